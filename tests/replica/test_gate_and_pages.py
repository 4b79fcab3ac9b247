"""The gate's cold path and the replica-allowed pages against a real replica: a revocation denies
the next gate check and a browser sees its own write even while the replica has not replayed
them, the replica serves both once it has, and a replica that does not answer changes nothing
(ADR 0026)."""

from __future__ import annotations

import pytest
from django.db import DEFAULT_DB_ALIAS, connections
from django.test import Client
from django.test.utils import CaptureQueriesContext

from apps_registry.gate.context import forget_cached_contexts
from apps_registry.models import ShopAuthorization
from apps_registry.services.authorizations import authorization_revoke_shop
from core.replica import REPLICA
from core.replica_pages import WRITTEN_AT_COOKIE
from tests import factories
from tests.conftest import sign_in_with_mfa
from tests.oauth.flow import issue_tokens
from tests.replica.conftest import REPLICA_DATABASES, Gate

pytestmark = REPLICA_DATABASES

CONTEXT_TABLE = '"apps_registry_shopauthorization"'


def still_connected_on_replica(app, shop) -> bool:
    return (
        ShopAuthorization.objects.using(REPLICA)
        .filter(app=app, shop=shop, revoked_at__isnull=True)
        .exists()
    )


def sent(captured: CaptureQueriesContext) -> str:
    return "\n".join(query["sql"] for query in captured.captured_queries)


def test_a_revocation_denies_the_next_gate_check_while_the_replica_is_behind(
    replica, client, app, seller, shop, endpoints
):
    second = factories.ShopFactory(owner=seller, name="Second shop")
    gate = Gate.authorized(client, app, seller, [shop, second])
    assert gate.check().status_code == 200  # the context is cached
    replica.wait_until_caught_up()

    replica.pause()
    try:
        authorization_revoke_shop(seller=seller, app=app, shop=shop)
        with replica.queries() as on_replica:
            denied = gate.check()
        behind = still_connected_on_replica(app, shop)
    finally:
        replica.resume()

    assert behind  # the replica would have allowed the call
    assert denied.status_code == 403
    assert denied["X-Gate-Reason"] == "shop_not_authorized"
    assert len(on_replica.captured_queries) == 1  # asked how far it had replayed; not read


def test_the_gate_cold_path_reads_the_replica_once_it_has_replayed_the_versions(
    replica, client, app, seller, shop, endpoints
):
    second = factories.ShopFactory(owner=seller, name="Second shop")
    gate = Gate.authorized(client, app, seller, [shop, second])
    assert gate.check().status_code == 200  # the versions exist
    authorization_revoke_shop(seller=seller, app=app, shop=shop)
    replica.wait_until_caught_up()
    forget_cached_contexts()

    with (
        replica.queries() as on_replica,
        CaptureQueriesContext(connections[DEFAULT_DB_ALIAS]) as on_primary,
    ):
        denied = gate.check()
        allowed = gate.check(uri=f"/product/202309/products/42?shop_cipher={second.cipher}")

    assert denied["X-Gate-Reason"] == "shop_not_authorized"
    assert allowed.status_code == 200
    assert CONTEXT_TABLE in sent(on_replica)
    # The primary answered the token lookups (always its own, ADR 0026) and nothing else.
    assert CONTEXT_TABLE not in sent(on_primary)
    assert [
        q["sql"].startswith("EXECUTE gate_token_lookup") for q in on_primary.captured_queries
    ] == [True, True]


def test_a_browser_sees_its_own_write_while_the_replica_is_behind(
    replica, client, app, seller, shop
):
    issue_tokens(client, app, seller, [shop])
    replica.wait_until_caught_up()

    replica.pause()
    try:
        revoked = client.post(f"/seller/apps/{app.pk}/revoke/")
        with replica.queries() as on_replica:
            page = client.get("/seller/apps/")
        behind = still_connected_on_replica(app, shop)
    finally:
        replica.resume()

    assert revoked.status_code == 302
    assert WRITTEN_AT_COOKIE in revoked.cookies
    assert behind
    assert page.status_code == 200
    assert page.context["connected_apps"] == []
    assert len(on_replica.captured_queries) == 1  # the replay check only

    replica.wait_until_caught_up()
    with replica.queries() as on_replica:
        page = client.get("/seller/apps/")

    assert page.context["connected_apps"] == []
    assert "apps_registry_shopauthorization" in sent(on_replica)


def test_a_program_without_a_session_gets_no_written_at_cookie(replica, app):
    """An app's server posting to the token endpoint reads no page: no position, no cookie."""
    answer = Client().post(
        "/oauth/token/", {"grant_type": "refresh_token", "refresh_token": "unknown"}, secure=True
    )

    assert answer.status_code == 401
    assert WRITTEN_AT_COOKIE not in answer.cookies


def test_a_browser_that_wrote_nothing_reads_the_replica(replica, client, app, seller, shop):
    issue_tokens(client, app, seller, [shop])
    client.cookies.pop(WRITTEN_AT_COOKIE)  # the consent's POST left one
    replica.wait_until_caught_up()

    with replica.queries() as on_replica:
        page = client.get("/seller/apps/")

    assert [connected.app for connected in page.context["connected_apps"]] == [app]
    assert "apps_registry_shopauthorization" in sent(on_replica)


def test_an_unreachable_replica_leaves_pages_and_the_gate_to_the_primary(
    replica_unreachable, client, app, seller, shop, endpoints
):
    second = factories.ShopFactory(owner=seller, name="Second shop")
    gate = Gate.authorized(client, app, seller, [shop, second])
    authorization_revoke_shop(seller=seller, app=app, shop=shop)

    denied = gate.check()
    client.force_login(seller)
    page = client.get("/seller/apps/")

    assert denied.status_code == 403
    assert denied["X-Gate-Reason"] == "shop_not_authorized"
    assert page.status_code == 200
    assert [connected.app for connected in page.context["connected_apps"]] == [app]


@pytest.mark.parametrize(
    ("url", "table"),
    [
        ("/console/", "apps_registry_partnerapp"),
        ("/console/requests/", "apps_registry_accessrequest"),
        ("/admin/apps_registry/accessrequest/", "apps_registry_accessrequest"),
    ],
)
def test_the_heaviest_lists_read_the_replica(replica, client, admin_user, owner, url, table):
    if url.startswith("/admin/"):
        sign_in_with_mfa(client, admin_user)
    else:
        client.force_login(owner)
    replica.wait_until_caught_up()

    with replica.queries() as on_replica:
        page = client.get(url)

    assert page.status_code == 200
    assert f'FROM "{table}"' in sent(on_replica)
