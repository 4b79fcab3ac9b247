"""Browser journeys on the consent page: choose shops, untick, incremental consent, cancel."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from apps_registry.models import AuthorizationEvent, ShopAuthorization
from scopes.models import Scope
from tests import factories
from tests.e2e.consent_helpers import (
    CALLBACK,
    capture_callback,
    log_in,
    make_app,
    make_seller,
    screenshot,
)
from tests.oauth.flow import Flow


@pytest.fixture
def seller(db):
    return make_seller()


@pytest.fixture
def app(db):
    return make_app()


def _open_consent(page, live_server, seller, app):
    log_in(page, live_server, seller)
    captured = capture_callback(page)
    response = page.goto(live_server.url + Flow.start(app, redirect_uri=CALLBACK).authorize_url())
    return response, captured


def _query(url: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


def test_seller_picks_one_of_two_shops_and_unticks_an_optional_scope(
    live_server, page, seller, app
):
    first = factories.ShopFactory(owner=seller, name="Northwind Goods", region="GB")
    second = factories.ShopFactory(owner=seller, name="Southwind Outlet", region="FR")
    response, captured = _open_consent(page, live_server, seller, app)

    # The page cannot be framed.
    assert response.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    expect(page.get_by_text("Verified partner")).to_be_visible()
    expect(page.get_by_text("127.0.0.1:8765")).to_be_visible()
    expect(page.get_by_text("Sensitive data")).to_have_count(1)
    # The required scope's box cannot be unticked.
    expect(page.locator("#scope-seller\\.product\\.basic")).to_be_disabled()
    page.get_by_text("Show the 2 API endpoints this allows").click()
    expect(page.get_by_text("/product/202502/products/search")).to_be_visible()

    page.get_by_label("Southwind Outlet").check()
    page.locator("#scope-seller\\.customer_service").uncheck()
    page.get_by_label("180 days").check()
    screenshot(page, "consent-choose-shop-untick-scope")
    page.get_by_role("button", name="Authorize").click()
    page.wait_for_url(f"{CALLBACK}**")

    assert "code" in _query(captured[-1])
    authorization = ShopAuthorization.objects.get()
    assert authorization.shop == second
    assert sorted(authorization.scopes.values_list("key", flat=True)) == [
        "seller.order.info",
        "seller.product.basic",
    ]
    assert (authorization.expires_at - authorization.granted_at).days == 180
    assert not ShopAuthorization.objects.filter(shop=first).exists()


def test_incremental_consent_shows_what_was_granted_and_what_is_new(live_server, page, seller, app):
    shop = factories.ShopFactory(owner=seller, name="Northwind Goods", region="GB")
    factories.ShopAuthorizationFactory(
        app=app,
        shop=shop,
        scopes=[Scope.objects.get(key="seller.product.basic")],
        expires_at=timezone.now() + timedelta(days=60),
    )
    _open_consent(page, live_server, seller, app)

    product = page.locator("li.consent-scope", has_text="Product Basic")
    orders = page.locator("li.consent-scope", has_text="Order Information")
    expect(product.get_by_text("Already granted")).to_be_visible()
    expect(orders.get_by_text("New", exact=True)).to_be_visible()
    expect(page.get_by_text("Already connected until")).to_be_visible()
    screenshot(page, "consent-incremental")

    page.get_by_role("button", name="Authorize").click()
    page.wait_for_url(f"{CALLBACK}**")

    assert sorted(ShopAuthorization.objects.get().scopes.values_list("key", flat=True)) == [
        "seller.customer_service",
        "seller.order.info",
        "seller.product.basic",
    ]


def test_cancel_sends_the_seller_back_with_access_denied(live_server, page, seller, app):
    factories.ShopFactory(owner=seller, name="Northwind Goods")
    _response, captured = _open_consent(page, live_server, seller, app)

    page.get_by_role("button", name="Cancel").click()
    page.wait_for_url(f"{CALLBACK}**")

    query = _query(captured[-1])
    assert (query["error"], query["state"]) == ("access_denied", "state-123")
    assert ShopAuthorization.objects.count() == 0
    assert AuthorizationEvent.objects.count() == 0


def test_seller_without_shops_is_told_so(live_server, page, seller, app):
    _open_consent(page, live_server, seller, app)

    expect(page.get_by_text("You don't have a shop yet.")).to_be_visible()
    expect(page.get_by_role("button", name="Authorize")).to_have_count(0)
    screenshot(page, "consent-no-shops")


def test_consent_page_on_a_phone(live_server, page, seller, app):
    factories.ShopFactory(owner=seller, name="Northwind Goods")
    page.set_viewport_size({"width": 390, "height": 844})
    _open_consent(page, live_server, seller, app)

    authorize = page.get_by_role("button", name="Authorize")
    expect(authorize).to_be_visible()
    box = authorize.bounding_box()
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= 390
    screenshot(page, "consent-phone")


def test_an_international_redirect_host_is_shown_in_ascii_first(live_server, page, seller):
    # "аpple.com" with a Cyrillic а: registered in the ASCII form oauthlib requires.
    callback = "https://xn--pple-43d.com/callback"
    app = make_app(redirect_uri=callback)
    shop = factories.ShopFactory(owner=seller, name="Northwind Goods", region="GB")
    log_in(page, live_server, seller)
    captured = capture_callback(page, callback)

    page.goto(live_server.url + Flow.start(app, redirect_uri=callback).authorize_url())

    # What the browser will go to comes first and in bold; the lookalike rendering after it.
    redirect_line = page.locator(".consent-redirect")
    expect(redirect_line).to_have_text(
        "Whatever you choose, you'll be sent back to xn--pple-43d.com. This is an international "
        "domain name, also displayed as \u0430pple.com; letters from other alphabets can make "
        "such a name look like another site's."
    )
    expect(redirect_line.locator("strong")).to_have_text(["xn--pple-43d.com"])
    expect(redirect_line.locator(".consent-redirect-idn .mono")).to_have_text("\u0430pple.com")
    screenshot(page, "consent-idn-redirect-host")
    page.get_by_role("button", name="Authorize").click()
    page.wait_for_url(f"{callback}**")

    assert urlsplit(captured[-1]).hostname == "xn--pple-43d.com"
    assert "code" in _query(captured[-1])
    assert ShopAuthorization.objects.get().shop == shop
