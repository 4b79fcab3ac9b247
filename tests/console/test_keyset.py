"""console/keyset.py: the one keyset pagination, at its edges (the API and page tests cover the
common walk through a list)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from apps_registry.models import PartnerApp
from apps_registry.selectors import installs as install_selectors
from apps_registry.selectors import partners as partner_selectors
from apps_registry.selectors import webhooks as webhook_selectors
from console.keyset import InvalidCursorError, KeysetPage, keyset_page
from tests import factories

pytestmark = pytest.mark.django_db


def newest_first():
    return PartnerApp.objects.order_by("-created", "-pk")


def ids(page) -> list[int]:
    return [app.pk for app in page.items]


def test_an_ordering_without_the_primary_key_last_is_refused():
    with pytest.raises(ValueError, match="ends with the primary key"):
        keyset_page(PartnerApp.objects.order_by("-created"), cursor=None, size=2)


def test_a_previous_page_whose_rows_are_gone_is_the_first_page():
    apps = [factories.PartnerAppFactory() for _ in range(3)]
    second = keyset_page(
        newest_first(), cursor=keyset_page(newest_first(), cursor=None, size=2).next_cursor, size=2
    )
    PartnerApp.objects.filter(pk__in=[apps[2].pk, apps[1].pk]).delete()

    back = keyset_page(newest_first(), cursor=second.previous_cursor, size=2)

    assert ids(second) == [apps[0].pk]
    assert ids(back) == [apps[0].pk]
    assert (back.previous_cursor, back.next_cursor) == (None, None)


def test_a_cursor_of_another_list_is_refused():
    factories.PartnerAppFactory.create_batch(2)
    cursor = keyset_page(newest_first(), cursor=None, size=1).next_cursor

    with pytest.raises(InvalidCursorError):
        keyset_page(PartnerApp.objects.order_by("name", "client_id", "pk"), cursor=cursor, size=1)


@pytest.mark.parametrize(
    "rows_for",
    [
        lambda user, app: partner_selectors.apps_for_user(user=user),
        lambda user, app: partner_selectors.applications_for_user(user=user),
        lambda user, app: install_selectors.installed_shops_for_user(user=user, app_id=app.pk),
        lambda user, app: webhook_selectors.deliveries_for_user(user=user, app_id=app.pk),
    ],
    ids=["apps", "applications", "installed shops", "deliveries"],
)
def test_the_keyset_lists_of_an_anonymous_user_are_an_empty_page(rows_for):
    # An organisation without members: an anonymous user's missing id must not reach its rows.
    access_request = factories.AccessRequestFactory()

    page = keyset_page(rows_for(AnonymousUser(), access_request.app), cursor=None, size=2)

    assert page == KeysetPage(items=[], previous_cursor=None, next_cursor=None)
