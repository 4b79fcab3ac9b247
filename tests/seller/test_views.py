"""Seller center pages: shops, connected apps, and revocation (docs/security.md E4)."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from oauth2_provider.models import get_access_token_model, get_refresh_token_model

from apps_registry.models import AuthorizationEvent, ShopAuthorization
from tests import factories
from tests.oauth.flow import app_with_scopes, issue_tokens

AccessToken = get_access_token_model()
RefreshToken = get_refresh_token_model()

pytestmark = pytest.mark.django_db


def _state():
    """Everything a revocation could change."""
    return (
        list(ShopAuthorization.objects.order_by("pk").values_list("pk", "revoked_at")),
        sorted(
            (auth.pk, key)
            for auth in ShopAuthorization.objects.all()
            for key in auth.scopes.values_list("key", flat=True)
        ),
        list(AccessToken.objects.order_by("pk").values_list("pk", "scope")),
        RefreshToken.objects.filter(revoked__isnull=True).count(),
        AuthorizationEvent.objects.count(),
    )


def test_pages_need_a_signed_in_seller(client):
    for url in ("/seller/", "/seller/shops/", "/seller/apps/"):
        assert client.get(url)["Location"].startswith("/accounts/login/")


def test_shops_page_lists_only_the_sellers_shops(client, seller, shop):
    factories.ShopFactory(name="Someone else's shop")
    client.force_login(seller)

    html = client.get("/seller/shops/").content.decode()

    assert "Northwind Goods" in html
    assert shop.cipher in html
    assert "Someone else" not in html


def test_seller_home_counts_shops_and_apps(client, app, seller, shop):
    issue_tokens(client, app, seller, [shop])

    html = client.get("/seller/").content.decode()

    assert "You have 1 shop." in html
    assert "1 app can access your shops." in html


def test_connected_apps_page_shows_shops_scopes_and_dates(client, app, seller, shop):
    issue_tokens(client, app, seller, [shop])
    factories.ShopAuthorizationFactory(app=factories.PartnerAppFactory(name="Not mine"))

    response = client.get("/seller/apps/")

    html = response.content.decode()
    assert "Acme Sync" in html
    assert "Northwind Goods" in html
    assert "See and edit your product listings." in html
    assert "See your orders." in html
    assert "Not mine" not in html
    assert [connected.app for connected in response.context["connected_apps"]] == [app]
    # The required scope has no withdraw button; the optional one has.
    assert f"/seller/apps/{app.pk}/scopes/seller.order.info/revoke/" in html
    assert f"/seller/apps/{app.pk}/scopes/seller.product.basic/revoke/" not in html


def test_revoke_app_ends_every_token_at_once(client, app, seller, shop):
    tokens = issue_tokens(client, app, seller, [shop])

    response = client.post(f"/seller/apps/{app.pk}/revoke/")

    assert response.status_code == 302
    assert ShopAuthorization.objects.get().revoked_at is not None
    assert AccessToken.objects.count() == 0
    assert RefreshToken.objects.filter(revoked__isnull=True).count() == 0
    assert AuthorizationEvent.objects.latest("pk").action == "revoke_app"
    api = client.get(
        "/api/v1/authorization/shops", HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}"
    )
    assert api.status_code == 401


def test_revoke_one_shop_keeps_the_other(client, app, seller, shop):
    second = factories.ShopFactory(owner=seller, name="Second shop")
    tokens = issue_tokens(client, app, seller, [shop, second])

    client.post(f"/seller/apps/{app.pk}/shops/{second.pk}/revoke/")

    assert ShopAuthorization.objects.get(shop=second).revoked_at is not None
    assert ShopAuthorization.objects.get(shop=shop).revoked_at is None
    api = client.get(
        "/api/v1/authorization/shops", HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}"
    )
    assert [entry["id"] for entry in api.json()["shops"]] == [shop.pk]


def test_revoking_the_last_shop_revokes_the_tokens(client, app, seller, shop):
    issue_tokens(client, app, seller, [shop])

    client.post(f"/seller/apps/{app.pk}/shops/{shop.pk}/revoke/")

    assert AccessToken.objects.count() == 0
    assert RefreshToken.objects.filter(revoked__isnull=True).count() == 0


def test_withdrawing_an_optional_scope_strips_it_from_tokens(client, app, seller, shop):
    issue_tokens(client, app, seller, [shop])

    client.post(f"/seller/apps/{app.pk}/scopes/seller.order.info/revoke/")

    assert list(ShopAuthorization.objects.get().scopes.values_list("key", flat=True)) == [
        "seller.product.basic"
    ]
    assert AccessToken.objects.get().scope == "seller.product.basic"
    assert AuthorizationEvent.objects.latest("pk").scope_keys == ["seller.order.info"]


def test_a_required_scope_cannot_be_withdrawn_alone(client, app, seller, shop):
    issue_tokens(client, app, seller, [shop])
    before = _state()

    response = client.post(
        f"/seller/apps/{app.pk}/scopes/seller.product.basic/revoke/", follow=True
    )

    assert "disconnect the app instead" in response.content.decode()
    assert _state() == before


def test_withdrawing_a_required_scope_is_never_offered_for_confirmation(client, app, seller, shop):
    issue_tokens(client, app, seller, [shop])

    required = client.get(f"/seller/apps/{app.pk}/scopes/seller.product.basic/revoke/")
    optional = client.get(f"/seller/apps/{app.pk}/scopes/seller.order.info/revoke/")

    assert (required.status_code, optional.status_code) == (404, 200)


@pytest.mark.parametrize(
    "path",
    [
        "/seller/apps/{app}/revoke/",
        "/seller/apps/{app}/shops/{shop}/revoke/",
        "/seller/apps/{app}/scopes/seller.order.info/revoke/",
    ],
)
def test_another_seller_gets_404_and_nothing_changes(client, app, seller, shop, path):
    issue_tokens(client, app, seller, [shop])
    before = _state()
    client.force_login(factories.UserFactory())

    response = client.post(path.format(app=app.pk, shop=shop.pk))

    assert response.status_code == 404
    assert _state() == before


def test_a_shop_of_another_seller_under_my_app_is_404(client, app, seller, shop):
    issue_tokens(client, app, seller, [shop])
    foreign = factories.ShopAuthorizationFactory(app=app)
    before = _state()

    response = client.post(f"/seller/apps/{app.pk}/shops/{foreign.shop.pk}/revoke/")

    assert response.status_code == 404
    assert _state() == before


@pytest.mark.parametrize(
    ("path", "confirmation"),
    [
        (
            "/seller/apps/{app}/revoke/",
            {
                "title": "Disconnect Acme Sync from all your shops?",
                "consequence": "Acme Sync will immediately lose access to Northwind Goods and "
                "Second shop: it will no longer be able to:",
                "lost_scopes": ["seller.product.basic", "seller.order.info"],
                "confirm_label": "Disconnect app",
            },
        ),
        (
            "/seller/apps/{app}/shops/{second}/revoke/",
            {
                "title": "Disconnect Second shop from Acme Sync?",
                "consequence": "Acme Sync will immediately lose access to Second shop: it will "
                "no longer be able to:",
                "lost_scopes": ["seller.product.basic"],
                "confirm_label": "Disconnect shop",
            },
        ),
        (
            "/seller/apps/{app}/scopes/seller.order.info/revoke/",
            {
                "title": "Withdraw “Order Information” from Acme Sync?",
                "consequence": "Acme Sync will immediately lose this permission on Northwind "
                "Goods: it will no longer be able to:",
                "lost_scopes": ["seller.order.info"],
                "confirm_label": "Withdraw permission",
            },
        ),
    ],
)
def test_get_shows_what_will_stop_working_and_changes_nothing(
    client, app, seller, shop, order_scope, path, confirmation
):
    second = factories.ShopFactory(owner=seller, name="Second shop")
    issue_tokens(client, app, seller, [shop, second])
    second_authorization = ShopAuthorization.objects.get(shop=second)
    second_authorization.scopes.remove(order_scope)
    before = _state()

    response = client.get(path.format(app=app.pk, second=second.pk))

    assert response.status_code == 200
    shown = response.context["confirmation"]
    assert {
        "title": shown.title,
        "consequence": shown.consequence,
        "lost_scopes": [scope.key for scope in shown.lost_scopes],
        "confirm_label": shown.confirm_label,
    } == confirmation
    html = response.content.decode()
    assert f'action="{path.format(app=app.pk, second=second.pk)}"' in html
    assert all(scope.consent_text in html for scope in shown.lost_scopes)
    assert _state() == before


@pytest.mark.parametrize(
    "path",
    [
        "/seller/apps/{app}/revoke/",
        "/seller/apps/{app}/shops/{shop}/revoke/",
        "/seller/apps/{app}/scopes/seller.order.info/revoke/",
    ],
)
def test_another_sellers_confirmation_page_is_404(client, app, seller, shop, path):
    issue_tokens(client, app, seller, [shop])
    client.force_login(factories.UserFactory())

    assert client.get(path.format(app=app.pk, shop=shop.pk)).status_code == 404


@pytest.mark.parametrize(
    ("return_to", "expected"),
    [
        ("shops", "/seller/shops/"),
        ("apps", "/seller/apps/"),
        ("https://evil.example/", "/seller/apps/"),
        ("", "/seller/apps/"),
    ],
)
def test_a_disconnect_returns_to_the_page_it_came_from_and_nowhere_else(
    client, app, seller, shop, return_to, expected
):
    issue_tokens(client, app, seller, [shop])

    page = client.get(f"/seller/apps/{app.pk}/shops/{shop.pk}/revoke/", {"return_to": return_to})
    response = client.post(
        f"/seller/apps/{app.pk}/shops/{shop.pk}/revoke/", {"return_to": return_to}
    )

    assert page.context["return_url"] == expected
    assert response["Location"] == expected
    assert ShopAuthorization.objects.get().revoked_at is not None


def test_shops_page_lists_each_shops_apps_with_a_disconnect_button(client, app, seller, shop):
    issue_tokens(client, app, seller, [shop])
    factories.ShopFactory(owner=seller, name="Quiet shop")

    response = client.get("/seller/shops/")

    assert [
        (listed.name, [auth.app.name for auth in authorizations])
        for listed, authorizations in response.context["shops"]
    ] == [("Northwind Goods", ["Acme Sync"]), ("Quiet shop", [])]
    assert f'action="/seller/apps/{app.pk}/shops/{shop.pk}/revoke/"' in response.content.decode()


@pytest.mark.parametrize(
    "path",
    [
        "/seller/apps/{huge}/revoke/",
        "/seller/apps/{app}/shops/{huge}/revoke/",
        "/seller/apps/{huge}/scopes/seller.product.basic/revoke/",
    ],
)
def test_revoking_with_an_id_larger_than_any_row_is_not_found(client, app, seller, shop, path):
    issue_tokens(client, app, seller, [shop])
    before = _state()

    response = client.post(path.format(huge=2**63, app=app.pk))

    assert response.status_code == 404
    assert _state() == before


def test_create_shop_command_creates_a_seller_who_can_sign_in(capsys):
    call_command(
        "create_shop",
        owner_email="Ada@Example.com",
        name="Ada's Atelier",
        region="gb",
        password="a-long-password-123",
    )

    output = json.loads(capsys.readouterr().out)
    shop = ShopAuthorization._meta.get_field("shop").related_model.objects.get(pk=output["id"])
    assert (shop.name, shop.region, shop.cipher) == ("Ada's Atelier", "GB", output["cipher"])
    assert shop.owner.email == "ada@example.com"
    assert shop.owner.check_password("a-long-password-123")
    assert shop.owner.emailaddress_set.get().verified is True
    assert output["owner_created"] is True

    call_command("create_shop", owner_email="ada@example.com", name="Second", region="FR")
    assert json.loads(capsys.readouterr().out)["owner_created"] is False
    assert shop.owner.shops.count() == 2


def _connect(seller, app_count: int, shops_per_app: int, scopes) -> None:
    shops = [factories.ShopFactory(owner=seller) for _ in range(shops_per_app)]
    for _ in range(app_count):
        app = app_with_scopes(required=scopes[:1], optional=scopes[1:])
        for shop in shops:
            factories.ShopAuthorizationFactory(app=app, shop=shop, scopes=scopes)


@pytest.mark.parametrize(("app_count", "shops_per_app"), [(1, 1), (12, 4)])
def test_connected_apps_page_runs_a_constant_number_of_queries(
    client, seller, product_scope, order_scope, app_count, shops_per_app, django_assert_num_queries
):
    client.force_login(seller)
    scopes = [product_scope, order_scope]
    _connect(seller, app_count=app_count, shops_per_app=shops_per_app, scopes=scopes)

    # None of them per app, shop or scope: 200 apps of a seller cost what one does.
    with django_assert_num_queries(8):
        response = client.get("/seller/apps/")

    assert response.status_code == 200
    assert len(response.context["connected_apps"]) == app_count


def test_connected_apps_page_by_name_twenty_at_a_time(
    client, seller, product_scope, order_scope, django_assert_num_queries
):
    client.force_login(seller)
    _connect(seller, app_count=21, shops_per_app=2, scopes=[product_scope, order_scope])
    by_name = list(
        ShopAuthorization.objects.filter(shop__owner=seller)
        .order_by("app__name", "app__pk")
        .values_list("app__name", flat=True)
        .distinct()
    )

    first = client.get("/seller/apps/")
    names = [connected.app.name for connected in first.context["connected_apps"]]
    assert names == by_name[:20]
    assert all(len(connected.authorizations) == 2 for connected in first.context["connected_apps"])
    assert first.context["page"].previous_cursor is None
    with django_assert_num_queries(8):
        second = client.get("/seller/apps/", {"cursor": first.context["page"].next_cursor})
    assert [connected.app.name for connected in second.context["connected_apps"]] == by_name[20:]
    assert second.context["page"].next_cursor is None
    assert 'rel="prev">Previous</a>' in second.content.decode()
    home = client.get("/seller/")
    assert "21 apps can access your shops." in home.content.decode()


def test_connected_apps_page_given_a_broken_link_shows_the_first_page_and_says_so(
    client, seller, product_scope, order_scope
):
    client.force_login(seller)
    _connect(seller, app_count=1, shops_per_app=1, scopes=[product_scope, order_scope])

    response = client.get("/seller/apps/", {"cursor": "not-a-cursor"})

    assert response.status_code == 200
    assert len(response.context["connected_apps"]) == 1
    assert "This page link is not valid" in response.content.decode()


def test_shops_page_lists_each_shops_live_apps_in_a_constant_number_of_queries(
    client, seller, product_scope, order_scope, django_assert_num_queries
):
    client.force_login(seller)
    _connect(seller, app_count=1, shops_per_app=1, scopes=[product_scope, order_scope])
    with django_assert_num_queries(5):
        assert client.get("/seller/shops/").status_code == 200

    _connect(seller, app_count=4, shops_per_app=3, scopes=[product_scope, order_scope])
    revoked = ShopAuthorization.objects.filter(shop__owner=seller).latest("pk")
    ShopAuthorization.objects.filter(pk=revoked.pk).update(revoked_at=revoked.granted_at)
    with django_assert_num_queries(5):
        response = client.get("/seller/shops/")

    assert response.status_code == 200
    apps_per_shop = sorted(len(authorizations) for _, authorizations in response.context["shops"])
    assert apps_per_shop == [1, 3, 4, 4]
