import pytest

from scopes.selectors import scope_catalog, scope_groups, scopes_by_group
from tests import factories

pytestmark = pytest.mark.django_db


def test_groups_come_in_the_order_their_first_scope_appears_in_the_catalog():
    factories.ScopeFactory(key="seller.order.basic", group="Order", position=10)
    # Same position as the Order scope: the key decides (not the group's name), as it does for
    # the scopes themselves.
    factories.ScopeFactory(key="seller.z_finance.basic", group="Finance", position=10)
    factories.ScopeFactory(key="seller.product.basic", group="Product", position=5)
    factories.ScopeFactory(key="seller.order.extra", group="Order", position=1000)
    factories.ScopeFactory(key="seller.retired", group="Retired", position=1, is_active=False)

    assert scope_groups() == ["Product", "Order", "Finance"]
    assert scope_groups() == [group for group, _ in scopes_by_group(scope_catalog())]
