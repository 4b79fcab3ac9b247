"""authorization_grant and friends, called directly: the refusals change nothing."""

from __future__ import annotations

import pytest

from apps_registry.errors import DomainError, InvalidTransitionError, PermissionRefusedError
from apps_registry.models import AuthorizationEvent, PartnerApp, ShopAuthorization
from apps_registry.services.authorizations import (
    authorization_grant,
    authorization_record_use,
    authorization_revoke_app,
)
from tests import factories

pytestmark = pytest.mark.django_db


def _grant(app, seller, owned_shops, **overrides):
    kwargs = {
        "seller": seller,
        "app": app,
        "shops": owned_shops,
        "scope_keys": ["seller.product.basic"],
        "duration_days": 90,
        **overrides,
    }
    return authorization_grant(**kwargs)


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"duration_days": 45}, DomainError),
        ({"shops": []}, DomainError),
        ({"scope_keys": []}, DomainError),
        ({"scope_keys": ["no.such.scope"]}, DomainError),
    ],
)
def test_grant_refusals_change_nothing(app, seller, shop, overrides, error):
    with pytest.raises(error):
        _grant(app, seller, [shop], **overrides)

    assert ShopAuthorization.objects.count() == 0
    assert AuthorizationEvent.objects.count() == 0


def test_grant_refuses_a_shop_the_seller_does_not_own(app, seller, shop):
    with pytest.raises(PermissionRefusedError):
        _grant(app, seller, [shop, factories.ShopFactory()])

    assert ShopAuthorization.objects.count() == 0


def test_grant_refuses_a_suspended_app(app, seller, shop):
    app.status = PartnerApp.Status.SUSPENDED

    with pytest.raises(InvalidTransitionError):
        _grant(app, seller, [shop])

    assert ShopAuthorization.objects.count() == 0


def test_regrant_after_expiry_starts_afresh(app, seller, shop, order_scope):
    expired = factories.ShopAuthorizationFactory(
        app=app, shop=shop, scopes=[order_scope], expires_at="2020-01-01T00:00:00Z"
    )

    _grant(app, seller, [shop])

    expired.refresh_from_db()
    assert list(expired.scopes.values_list("key", flat=True)) == ["seller.product.basic"]
    assert expired.is_active()


def test_revoke_app_twice_is_refused(app, seller, shop):
    _grant(app, seller, [shop])
    authorization_revoke_app(seller=seller, app=app)

    with pytest.raises(InvalidTransitionError):
        authorization_revoke_app(seller=seller, app=app)

    assert AuthorizationEvent.objects.filter(action="revoke_app").count() == 1


def test_record_use_writes_at_most_once_a_minute(app, seller, shop, django_assert_num_queries):
    _grant(app, seller, [shop])
    authorization_record_use(seller=seller, app=app)
    first = ShopAuthorization.objects.get().last_used_at

    with django_assert_num_queries(1):
        authorization_record_use(seller=seller, app=app)

    assert ShopAuthorization.objects.get().last_used_at == first
