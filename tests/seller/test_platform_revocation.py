"""When a Custom-scope approval is revoked or expires, the platform takes the scope back from
sellers' consents through the authorization services: events, closed shops, narrowed tokens."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from oauth2_provider.models import get_access_token_model, get_refresh_token_model

from apps_registry.models import AccessRequest, AuthorizationEvent, ShopAuthorization
from apps_registry.services import access_request_jobs, reviews
from apps_registry.services.authorizations import authorization_withdraw_scope_for_platform
from core.errors import DomainError
from tests import factories
from tests.apps_registry.review_helpers import make_access_token, make_reviewer
from tests.oauth.flow import app_with_scopes

AccessToken = get_access_token_model()
RefreshToken = get_refresh_token_model()

pytestmark = pytest.mark.django_db

PRODUCT, CUSTOM = "seller.product.basic", "seller.customer_service"


@pytest.fixture
def platform(seller, shop, product_scope, custom_scope):
    """An app approved for Customer Service, and the consents and tokens that carry it:
    - `seller` grants both scopes on `shop` and Customer Service alone on `second_shop`;
    - `other_seller` grants Customer Service alone on their one shop;
    - an expired consent of a third seller, and another app's consent, also hold it."""
    app = app_with_scopes(required=[product_scope], optional=[custom_scope], name="Acme Sync")
    access_request = AccessRequest.objects.get(app=app, scope=custom_scope)
    second_shop = factories.ShopFactory(owner=seller, name="Southwind Outlet")
    other_seller = factories.UserFactory()
    other_shop = factories.ShopFactory(owner=other_seller, name="Eastwind Crafts")
    both = factories.ShopAuthorizationFactory(
        app=app, shop=shop, scopes=[product_scope, custom_scope]
    )
    custom_only = factories.ShopAuthorizationFactory(
        app=app, shop=second_shop, scopes=[custom_scope]
    )
    other_sellers = factories.ShopAuthorizationFactory(
        app=app, shop=other_shop, scopes=[custom_scope]
    )
    lapsed = factories.ShopAuthorizationFactory(
        app=app, scopes=[custom_scope], expires_at=timezone.now() - timedelta(days=1)
    )
    other_app = factories.ShopAuthorizationFactory(
        app=app_with_scopes(optional=[custom_scope], name="Other app"),
        shop=shop,
        scopes=[custom_scope],
    )
    return {
        "app": app,
        "request": access_request,
        "both": both,
        "custom_only": custom_only,
        "other_sellers": other_sellers,
        "lapsed": lapsed,
        "other_app": other_app,
        "other_seller": other_seller,
        "seller_token": make_access_token(
            app=app, user=seller, scope=f"{PRODUCT} {CUSTOM}", raw="tok-seller"
        ),
        "other_seller_token": make_access_token(
            app=app, user=other_seller, scope=CUSTOM, raw="tok-other-seller"
        ),
        "lapsed_token": make_access_token(
            app=app, user=lapsed.shop.owner, scope=CUSTOM, raw="tok-lapsed"
        ),
        "other_app_token": make_access_token(
            app=other_app.app, user=seller, scope=CUSTOM, raw="tok-other-app"
        ),
    }


def _end_approval(platform, how: str) -> None:
    if how == "revoked":
        reviews.access_request_revoke(
            request_id=platform["request"].pk, reviewer=make_reviewer(), reason="Data misuse."
        )
    else:
        AccessRequest.objects.filter(pk=platform["request"].pk).update(
            approval_expires_at=timezone.now() - timedelta(minutes=1)
        )
        assert access_request_jobs.access_requests_expire_due() == 1


def _scope_keys(authorization) -> list[str]:
    return sorted(authorization.scopes.values_list("key", flat=True))


@pytest.mark.parametrize("how", ["revoked", "expired"])
def test_ending_an_approval_writes_one_platform_event_per_authorization(platform, seller, how):
    _end_approval(platform, how)

    events = AuthorizationEvent.objects.filter(
        action=AuthorizationEvent.Action.PLATFORM_REVOKE
    ).order_by("shop__name")
    assert [
        (event.seller, event.app, event.shop, event.scope_keys, event.details) for event in events
    ] == [
        (
            platform["other_seller"],
            platform["app"],
            platform["other_sellers"].shop,
            [CUSTOM],
            {
                "scope": CUSTOM,
                "access_request_id": platform["request"].pk,
                "approval": how,
                "authorization_closed": True,
            },
        ),
        (
            seller,
            platform["app"],
            platform["both"].shop,
            [CUSTOM],
            {
                "scope": CUSTOM,
                "access_request_id": platform["request"].pk,
                "approval": how,
                "authorization_closed": False,
            },
        ),
        (
            seller,
            platform["app"],
            platform["custom_only"].shop,
            [CUSTOM],
            {
                "scope": CUSTOM,
                "access_request_id": platform["request"].pk,
                "approval": how,
                "authorization_closed": True,
            },
        ),
    ]
    assert AuthorizationEvent.objects.count() == 3  # nothing for the lapsed or other app's consent


@pytest.mark.parametrize("how", ["revoked", "expired"])
def test_an_authorization_left_with_no_scope_is_closed_and_others_are_narrowed(platform, how):
    _end_approval(platform, how)

    for name in ("both", "custom_only", "other_sellers", "lapsed", "other_app"):
        platform[name].refresh_from_db()
    assert platform["both"].revoked_at is None
    assert _scope_keys(platform["both"]) == [PRODUCT]
    assert platform["custom_only"].revoked_at is not None
    assert platform["other_sellers"].revoked_at is not None
    assert platform["custom_only"].revoked_at == platform["other_sellers"].revoked_at
    # A lapsed consent is history, and another app's approval is not the one that ended.
    assert (platform["lapsed"].revoked_at, _scope_keys(platform["lapsed"])) == (None, [CUSTOM])
    assert (platform["other_app"].revoked_at, _scope_keys(platform["other_app"])) == (
        None,
        [CUSTOM],
    )


@pytest.mark.parametrize("how", ["revoked", "expired"])
def test_tokens_are_narrowed_or_revoked_with_the_consent(platform, how):
    _end_approval(platform, how)

    # The seller still grants Product Basic on one shop: the token keeps it.
    assert AccessToken.objects.get(pk=platform["seller_token"].pk).scope == PRODUCT
    # The other seller has no consent left: every token of theirs for the app is revoked.
    assert not AccessToken.objects.filter(user=platform["other_seller"]).exists()
    assert RefreshToken.objects.get(user=platform["other_seller"]).revoked is not None
    # A token outliving its consent loses the scope too; another app's token is untouched.
    assert not AccessToken.objects.filter(pk=platform["lapsed_token"].pk).exists()
    assert AccessToken.objects.get(pk=platform["other_app_token"].pk).scope == CUSTOM
    assert RefreshToken.objects.filter(revoked__isnull=True).count() == 2


def test_the_reviewers_history_counts_what_the_withdrawal_changed(platform):
    _end_approval(platform, "revoked")

    event = platform["request"].events.get()
    assert event.details == {
        "app_scopes_removed": 1,
        "authorizations_changed": 3,
        "authorizations_closed": 2,
        # the seller's token narrowed, the other seller's and the lapsed token revoked
        "tokens_changed": 3,
    }


def test_an_unknown_reason_is_refused_and_changes_nothing(platform, custom_scope):
    with pytest.raises(DomainError, match="Unknown end of an approval"):
        authorization_withdraw_scope_for_platform(
            app=platform["app"],
            scope=custom_scope,
            access_request_id=platform["request"].pk,
            approval="withdrawn",
        )

    assert AuthorizationEvent.objects.count() == 0
    assert ShopAuthorization.objects.filter(revoked_at__isnull=False).count() == 0
    assert _scope_keys(platform["both"]) == sorted([PRODUCT, CUSTOM])


@pytest.mark.parametrize(
    ("how", "because"),
    [
        ("revoked", "because the platform withdrew its approval to use this data."),
        ("expired", "because its approval to use this data expired."),
    ],
)
def test_the_connected_apps_page_after_a_platform_revocation(
    client, platform, seller, how, because
):
    _end_approval(platform, how)
    client.force_login(seller)

    response = client.get("/seller/apps/")

    # The shop left with no permission is gone; the other keeps what the seller still grants.
    connected = {entry.app.name: entry for entry in response.context["connected_apps"]}
    assert sorted(connected) == ["Acme Sync", "Other app"]
    acme = connected["Acme Sync"]
    assert [auth.shop.name for auth in acme.authorizations] == ["Northwind Goods"]
    assert [scope.key for scope in acme.scopes] == [PRODUCT]
    # The seller reads what the platform removed, and why.
    notice = " ".join(response.content.decode().split("Access removed by the platform")[1].split())
    today = timezone.localdate().strftime("%-d %b %Y")
    assert (
        f"{today}: <strong>Acme Sync</strong> can no longer use “Customer Service” on "
        f"Southwind Outlet, {because} It had no other permission on this shop, so the shop was "
        "disconnected from it.</li>"
    ) in notice
    assert (
        f"{today}: <strong>Acme Sync</strong> can no longer use “Customer Service” on "
        f"Northwind Goods, {because} </li>"
    ) in notice
    assert "Eastwind Crafts" not in notice  # the other seller's shop


def test_the_notice_leaves_out_platform_revocations_older_than_30_days(
    client, platform, seller, time_machine
):
    _end_approval(platform, "revoked")
    time_machine.move_to(timezone.now() + timedelta(days=30, minutes=1))
    client.force_login(seller)

    html = client.get("/seller/apps/").content.decode()

    assert "Acme Sync" in html
    assert "Access removed by the platform" not in html
