"""Shared pieces of the consent-page browser journeys."""

from __future__ import annotations

from pathlib import Path

from allauth.account.models import EmailAddress

from tests import factories
from tests.oauth.flow import app_with_scopes

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-results"
# Nothing listens here: the browser's navigation to the app is intercepted (page.route).
CALLBACK = "http://127.0.0.1:8765/callback"


def make_seller(email: str = "seller@example.com"):
    seller = factories.UserFactory(username=email, email=email)
    EmailAddress.objects.create(user=seller, email=email, verified=True, primary=True)
    return seller


def make_app(redirect_uri: str = CALLBACK):
    """A verified partner's app asking for Product Basic (required), Orders (optional) and a
    sensitive Custom scope (optional, approved)."""
    product = factories.ScopeFactory(
        key="seller.product.basic",
        name="Product Basic",
        group="Product",
        consent_text="See and edit your product listings, prices and inventory.",
    )
    factories.EndpointFactory(
        method="GET",
        path="/product/202309/products/{product_id}",
        title="Get Product",
        scopes=[product],
    )
    factories.EndpointFactory(
        method="POST",
        path="/product/202502/products/search",
        title="Search Products",
        scopes=[product],
    )
    orders = factories.ScopeFactory(
        key="seller.order.info",
        name="Order Information",
        group="Order",
        consent_text="See your orders, including buyers' delivery addresses.",
    )
    factories.EndpointFactory(
        method="GET", path="/order/202309/orders", title="Get Order Detail", scopes=[orders]
    )
    messages = factories.CustomScopeFactory(
        key="seller.customer_service",
        name="Customer Service",
        group="Customer Service",
        consent_text="Read and answer your buyers' messages.",
    )
    partner = factories.PartnerFactory(name="Acme Software Ltd", is_verified=True)
    return app_with_scopes(
        required=[product],
        optional=[orders, messages],
        partner=partner,
        name="Acme Inventory Sync",
        description="Keeps your stock levels and orders in sync with your warehouse.",
        redirect_uris=redirect_uri,
    )


def log_in(page, live_server, seller) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill('input[name="login"]', seller.email)
    page.fill('input[name="password"]', factories.PASSWORD)
    with page.expect_navigation():
        page.press('input[name="password"]', "Enter")
    assert "/accounts/login/" not in page.url


def capture_callback(page, callback: str = CALLBACK) -> list[str]:
    """Record navigations to the app's redirect URI instead of loading them."""
    captured: list[str] = []

    def handle(route):
        captured.append(route.request.url)
        route.fulfill(status=200, content_type="text/plain", body="callback received")

    page.route(f"{callback}**", handle)
    return captured


def screenshot(page, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
