"""The explain page (/console/apps/<id>/explain/): the gate's own decision for a call the partner
types, every denial it can show with its fix, the app's shops to choose from, only for the app's
own organisation, and bad input refused on the form."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.urls import reverse
from django.utils import timezone

from apps_registry.gate.reasons import FixAction, GateReason
from apps_registry.models import GateDenialCount, Membership, ShopAuthorization
from apps_registry.selectors import gate as gate_selectors
from apps_registry.services.app_status import app_suspend
from apps_registry.services.authorizations import authorization_grant
from console.gate_presentation import FIX_LINK_LABELS, REASON_TEXTS
from tests import factories
from tests.oauth.flow import app_with_scopes

pytestmark = pytest.mark.django_db

PRODUCT_CALL = "/product/202309/products/123"


@pytest.fixture
def partner_client(client, app):
    """An owner of the app's organisation, signed in."""
    client.force_login(
        factories.MembershipFactory(partner=app.partner, role=Membership.Role.OWNER).user
    )
    return client


@pytest.fixture
def authorized(app, seller, shop, endpoints):
    """The seller authorized the app on `shop` for Product Basic only."""
    return authorization_grant(
        seller=seller, app=app, shops=[shop], scope_keys=["seller.product.basic"], duration_days=30
    )[0]


def explain(client, app, **query):
    return client.get(reverse("partner:app-explain", args=[app.pk]) + "?" + urlencode(query))


def decided(response):
    assert response.status_code == 200, response.content
    return response.context["explanation"]


def test_an_allowed_call_shows_its_endpoint_shop_and_scopes(partner_client, app, shop, authorized):
    response = explain(partner_client, app, method="GET", path=PRODUCT_CALL, shop=shop.cipher)

    explanation = decided(response)
    decision = explanation.decision
    assert decision.reason is GateReason.ALLOWED
    assert (decision.endpoint.method, decision.endpoint.path) == (
        "GET",
        "/product/202309/products/{product_id}",
    )
    assert decision.shop.cipher == shop.cipher
    assert decision.required_scopes == ("seller.product.basic",)
    assert decision.granted_scopes == ("seller.product.basic",)
    assert explanation.fix_url == ""
    page = response.text
    assert "Allowed" in page
    assert "<code>/product/202309/products/{product_id}</code> · " + decision.endpoint.title in page
    assert "Northwind Goods" in page
    assert 'data-testid="gate-fix"' not in page


@pytest.mark.parametrize(
    "path",
    [
        f"{PRODUCT_CALL}?shop_cipher={{cipher}}",
        f"https://open-api.example.com{PRODUCT_CALL}?app_key=x&shop_cipher={{cipher}}",
    ],
)
def test_the_shop_may_come_in_the_path_s_query_or_a_whole_url(
    partner_client, app, shop, authorized, path
):
    response = explain(partner_client, app, method="GET", path=path.format(cipher=shop.cipher))

    decision = decided(response).decision
    assert decision.reason is GateReason.ALLOWED
    assert decision.shop.cipher == shop.cipher


def test_a_suspended_app_is_denied_whatever_the_call(
    partner_client, app, shop, authorized, admin_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        app_suspend(app_id=app.pk, acting_user=admin_user, reason="Scraping buyer data.")

    response = explain(partner_client, app, method="GET", path=PRODUCT_CALL, shop=shop.cipher)

    explanation = decided(response)
    assert explanation.decision.reason is GateReason.APP_SUSPENDED
    assert explanation.fix_url == reverse("partner:app-detail", args=[app.pk])
    page = response.text
    assert f"{app.name} is suspended by the platform" in page
    assert f'<a href="/console/apps/{app.pk}/">Read the suspension notice</a>' in page
    assert "No endpoint of the catalog matches" not in page


def test_a_call_no_endpoint_matches_says_which_methods_the_path_has(
    partner_client, app, shop, authorized
):
    response = explain(partner_client, app, method="DELETE", path=PRODUCT_CALL, shop=shop.cipher)

    explanation = decided(response)
    assert explanation.decision.reason is GateReason.UNKNOWN_ENDPOINT
    assert explanation.methods_at_path == ("GET",)
    assert explanation.fix_url == "/scopes/?q=%2Fproduct%2F202309%2Fproducts%2F123"
    assert "This path has GET endpoints." in response.text
    assert ">Search the API catalog</a>" in response.text


def test_a_custom_scope_without_approval_links_to_its_application(
    partner_client, app, shop, authorized
):
    response = explain(
        partner_client, app, method="GET", path="/customer_service/202309/conversations",
        shop=shop.cipher,
    )  # fmt: skip

    explanation = decided(response)
    assert explanation.decision.reason is GateReason.SCOPE_NOT_AVAILABLE_TO_APP
    assert explanation.decision.required_scopes == ("seller.customer_service",)
    apply_url = f"/console/apps/{app.pk}/api/seller.customer_service/apply/"
    assert explanation.fix_url == apply_url
    assert f'<a href="{apply_url}">Apply for the scope</a>' in response.text


def test_an_expired_approval_says_to_apply_again(
    client, seller, shop, endpoints, product_scope, custom_scope
):
    app = app_with_scopes(required=[product_scope, custom_scope])
    authorization_grant(
        seller=seller, app=app, shops=[shop], duration_days=30,
        scope_keys=["seller.product.basic", "seller.customer_service"],
    )  # fmt: skip
    app.access_requests.update(approval_expires_at=timezone.now() - timedelta(minutes=1))
    client.force_login(factories.MembershipFactory(partner=app.partner).user)

    response = explain(
        client, app, method="GET", path="/customer_service/202309/conversations", shop=shop.cipher
    )

    explanation = decided(response)
    assert explanation.decision.reason is GateReason.APPROVAL_EXPIRED
    assert explanation.fix_url == f"/console/apps/{app.pk}/api/seller.customer_service/apply/"


def test_a_scope_the_seller_did_not_grant_links_to_manage_api(
    partner_client, app, shop, authorized
):
    response = explain(
        partner_client, app, method="GET", path="/order/202309/orders", shop=shop.cipher
    )

    explanation = decided(response)
    decision = explanation.decision
    assert decision.reason is GateReason.SCOPE_NOT_GRANTED_BY_SELLER
    assert decision.required_scopes == ("seller.order.info",)
    assert decision.granted_scopes == ("seller.product.basic",)
    assert explanation.fix_url == f"/console/apps/{app.pk}/api/"
    assert "The seller has not granted seller.order.info to this app on Northwind Goods." in (
        response.text
    )


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({}, "acts on a shop: the call names none"),
        ({"shop": "other-shop"}, "The call names more than one shop"),
    ],
)
def test_a_shop_endpoint_needs_exactly_one_shop(
    partner_client, app, shop, authorized, query, message
):
    path = f"{PRODUCT_CALL}?shop_cipher={shop.cipher}" if query else PRODUCT_CALL

    response = explain(partner_client, app, method="GET", path=path, **query)

    assert decided(response).decision.reason is GateReason.SHOP_REQUIRED
    assert message in response.text


@pytest.mark.parametrize("cipher", ["someone-elses", "unknown"])
def test_a_shop_the_app_is_not_authorized_for_is_denied(
    partner_client, app, shop, authorized, cipher
):
    if cipher == "someone-elses":
        cipher = factories.ShopFactory().cipher

    response = explain(partner_client, app, method="GET", path=PRODUCT_CALL, shop=cipher)

    explanation = decided(response)
    assert explanation.decision.reason is GateReason.SHOP_NOT_AUTHORIZED
    assert explanation.fix_url == "/api/v1/authorization/shops"


def test_an_expired_consent_says_so(partner_client, app, shop, authorized):
    ShopAuthorization.objects.filter(pk=authorized.pk).update(expires_at=timezone.now())

    response = explain(partner_client, app, method="GET", path=PRODUCT_CALL, shop=shop.cipher)

    explanation = decided(response)
    assert explanation.decision.reason is GateReason.AUTHORIZATION_EXPIRED
    assert explanation.fix_url == f"/console/apps/{app.pk}/api/"


def test_explaining_counts_no_denial(partner_client, app, shop, authorized, flushed):
    explain(partner_client, app, method="GET", path="/order/202309/orders", shop=shop.cipher)

    flushed()

    assert not GateDenialCount.objects.exists()


def test_another_organisation_gets_the_same_404_as_for_an_unknown_app(client, app, authorized):
    stranger = factories.MembershipFactory(role=Membership.Role.OWNER).user
    client.force_login(stranger)

    theirs = explain(client, app, method="GET", path=PRODUCT_CALL)
    unknown = client.get(reverse("partner:app-explain", args=[app.pk + 1000]))

    assert (theirs.status_code, unknown.status_code) == (404, 404)
    assert theirs.content == unknown.content
    assert gate_selectors.authorized_shops_for_user(user=stranger, app_id=app.pk) == []


def test_without_a_question_the_page_shows_the_form_and_the_app_s_shops(
    partner_client, app, seller, shop, authorized
):
    expired = factories.ShopFactory(owner=seller, name="Old Corner")
    factories.ShopAuthorizationFactory(
        app=app, shop=expired, expires_at=timezone.now() - timedelta(days=1)
    )
    revoked = factories.ShopAuthorizationFactory(app=app, revoked_at=timezone.now())
    elsewhere = factories.ShopAuthorizationFactory()  # another app's shop

    response = partner_client.get(reverse("partner:app-explain", args=[app.pk]))

    assert response.status_code == 200
    assert response.context["explanation"] is None
    assert [(s.name, s.consent_expired) for s in response.context["shops"]] == [
        ("Northwind Goods", False),
        ("Old Corner", True),
    ]
    page = response.text
    assert f'<option value="{shop.cipher}">Northwind Goods</option>' in page
    assert f'<option value="{expired.cipher}">Old Corner (consent expired)</option>' in page
    assert revoked.shop.cipher not in page
    assert elsewhere.shop.cipher not in page
    assert "2 shops authorized this app" in page


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"method": "GET"}, "path", "Enter the path your app called"),
        ({"method": "GET", "path": "   "}, "path", "Enter the path your app called"),
        ({"method": "GET", "path": "product/202309/products/1"}, "path", "starts with /"),
        ({"method": "GET", "path": "GET /product/1"}, "path", "starts with /"),
        ({"method": "GET", "path": "https://example.com"}, "path", "starts with /"),
        ({"method": "GET", "path": "/" + "a" * 5000}, "path", "at most 4096 characters"),
        ({"method": "GET", "path": PRODUCT_CALL, "shop": "x" * 65}, "shop", "at most 64"),
        ({"method": "FETCH", "path": PRODUCT_CALL}, "method", "Choose one of the catalog's"),
        ({"method": "get", "path": PRODUCT_CALL}, "method", "Choose one of the catalog's"),
        ({"method": "G" * 5000, "path": PRODUCT_CALL}, "method", "Choose one of the catalog's"),
        ({"path": PRODUCT_CALL}, "method", "Choose the call's method."),
    ],
)
def test_bad_input_is_refused_on_the_form(partner_client, app, authorized, query, field, message):
    response = explain(partner_client, app, **query)

    assert response.status_code == 400
    assert response.context["explanation"] is None
    assert message in " ".join(response.context["form"].errors[field])
    assert message.replace("'", "&#x27;") in response.text
    assert 'data-testid="gate-decision"' not in response.text


def test_a_nul_character_is_refused_before_the_page(partner_client, app):
    response = explain(partner_client, app, method="GET", path="/product/\x00")

    assert response.status_code == 400
    assert "NUL character" in response.text


def test_the_app_page_links_to_the_explain_page(partner_client, app):
    response = partner_client.get(reverse("partner:app-detail", args=[app.pk]))

    assert f'href="/console/apps/{app.pk}/explain/">Explain a call</a>' in response.text


def test_every_reason_reads_in_plain_words_and_every_fix_page_has_a_link_label():
    assert set(REASON_TEXTS) == set(GateReason)
    assert all(text.title and text.meaning and text.what_to_do for text in REASON_TEXTS.values())
    # The fixes fix_path links to a page (the others are changes to the partner's code).
    assert set(FIX_LINK_LABELS) == set(FixAction) - {
        FixAction.NONE, FixAction.SEND_TOKEN, FixAction.REFRESH_TOKEN, FixAction.CONFIGURE_GATEWAY,
    }  # fmt: skip
