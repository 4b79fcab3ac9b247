"""Without DATABASE_REPLICA_URL (`make test`, `make run`, the default everywhere) nothing of the
read replica does anything: one database, no router, no cookie, no extra query."""

from __future__ import annotations

import os

import pytest
from django.conf import settings

from apps_registry.gate.versions import app_changed, app_version_key, read_versions
from apps_registry.models import Shop
from core.replica import read_from_replica
from core.replica_pages import WRITTEN_AT_COOKIE
from tests import factories
from tests.oauth.flow import issue_tokens

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        bool(os.environ.get("DATABASE_REPLICA_URL")), reason="a replica is configured"
    ),
]


def test_there_is_one_database_and_no_router():
    assert list(settings.DATABASES) == ["default"]
    assert settings.DATABASE_ROUTERS == []


def test_an_allowed_read_is_the_same_read_on_the_one_database(django_assert_num_queries):
    factories.ShopFactory(name="Northwind Goods")

    with django_assert_num_queries(1):
        names = read_from_replica(
            lambda: list(Shop.objects.values_list("name", flat=True)), caught_up_to=0
        )

    assert names == ["Northwind Goods"]


def test_versions_carry_no_wal_position_and_cost_no_query(
    django_assert_num_queries, django_capture_on_commit_callbacks
):
    with django_assert_num_queries(0):
        (before,) = read_versions([app_version_key(7)])
        with django_capture_on_commit_callbacks(execute=True):
            app_changed(7)
        (after,) = read_versions([app_version_key(7)])

    assert after != before
    assert [len(before), len(after)] == [32, 32]  # a bare uuid4 hex, as before replicas


def test_a_write_leaves_no_cookie_and_the_page_shows_it(client, app, seller, shop):
    issue_tokens(client, app, seller, [shop])

    revoked = client.post(f"/seller/apps/{app.pk}/revoke/")
    page = client.get("/seller/apps/")

    assert revoked.status_code == 302
    assert WRITTEN_AT_COOKIE not in revoked.cookies
    assert WRITTEN_AT_COOKIE not in client.cookies
    assert page.status_code == 200
    assert page.context["connected_apps"] == []
