"""console/keyset.py: the one keyset pagination, at its edges (the API and page tests cover the
common walk through a list)."""

from __future__ import annotations

import pytest

from apps_registry.models import PartnerApp
from console.keyset import InvalidCursorError, keyset_page
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
