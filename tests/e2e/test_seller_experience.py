"""The seller's side of the platform on a phone: signing in from an app's link, the platform's
consent page with the account consenting and a switch, confirming a disconnect, and the header
of someone who is both a seller and a partner."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from apps_registry.models import ShopAuthorization
from scopes.models import Scope
from tests import factories
from tests.e2e.consent_helpers import (
    CALLBACK,
    SCREENSHOTS,
    capture_callback,
    log_in,
    make_app,
    make_seller,
)
from tests.oauth.flow import Flow

PHONE = {"width": 390, "height": 844}
NOTES_SHOTS = Path("/work/notes/shots")


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    """Every page here is a seller's, so every page is on a phone."""
    return {**browser_context_args, "viewport": PHONE}


@pytest.fixture
def phone(page):
    return page


@pytest.fixture
def seller(db):
    return make_seller()


@pytest.fixture
def app(db):
    return make_app()


def _sign_in_here(page, user) -> None:
    """Fill the sign-in form the page is on and submit it."""
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(factories.PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()


def _shot(page, name: str, *, full_page: bool = True) -> None:
    """A screenshot in test-results/, and in the issue's notes where this machine keeps them."""
    folders = [SCREENSHOTS, *([NOTES_SHOTS] if NOTES_SHOTS.parent.is_dir() else [])]
    for folder in folders:
        folder.mkdir(exist_ok=True)
        page.screenshot(path=str(folder / f"{name}.png"), full_page=full_page)


def _fits_the_phone(locator) -> None:
    box = locator.bounding_box()
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= PHONE["width"]


def _connect(app, shop, keys, days=90):
    return factories.ShopAuthorizationFactory(
        app=app,
        shop=shop,
        scopes=list(Scope.objects.filter(key__in=keys)),
        expires_at=timezone.now() + timezone.timedelta(days=days),
    )


def test_signing_in_from_an_apps_link_continues_to_that_app(live_server, phone, seller, app):
    factories.ShopFactory(owner=seller, name="Northwind Goods")
    authorize_url = Flow.start(app, redirect_uri=CALLBACK).authorize_url()

    phone.goto(live_server.url + authorize_url)

    expect(phone.get_by_role("heading", level=1)).to_have_text(
        "Sign in to continue to Acme Inventory Sync"
    )
    expect(phone.locator(".platform-header")).to_contain_text("Commerce Platform")
    expect(phone.get_by_role("link", name="Sign up")).to_have_count(0)
    _shot(phone, "seller-sign-in")
    _sign_in_here(phone, seller)

    expect(phone.get_by_role("heading", level=1)).to_contain_text(
        "Acme Inventory Sync wants access to your shop"
    )
    assert phone.url == live_server.url + authorize_url


def test_an_unknown_apps_link_gets_the_ordinary_sign_in(live_server, phone):
    phone.goto(f"{live_server.url}/oauth/authorize/?response_type=code&client_id=nobody")

    expect(phone.get_by_role("heading", level=1)).to_have_text("Sign in")
    expect(phone.get_by_role("link", name="Sign up").first).to_be_visible()


def test_the_consent_page_is_the_platforms_and_names_who_consents(live_server, phone, seller, app):
    seller.first_name, seller.last_name = "Ada", "Lovelace"
    seller.username = "u-7f3a9c2e"  # generated at provisioning; means nothing to the seller
    seller.save(update_fields=["first_name", "last_name", "username"])
    factories.ShopFactory(owner=seller, name="Northwind Goods")
    log_in(phone, live_server, seller)
    capture_callback(phone)

    phone.goto(live_server.url + Flow.start(app, redirect_uri=CALLBACK).authorize_url())

    header = phone.locator("header.site-header")
    expect(header).to_have_text("Commerce Platform Authorize app")
    expect(header.get_by_role("link")).to_have_count(0)
    expect(phone.get_by_role("link", name="Console")).to_have_count(0)
    expect(phone.locator(".consent-account")).to_contain_text(
        "Signed in as Ada Lovelace seller@example.com"
    )
    expect(phone.get_by_text("u-7f3a9c2e")).to_have_count(0)
    _fits_the_phone(phone.get_by_role("button", name="Not you? Switch account"))
    _fits_the_phone(phone.get_by_role("button", name="Authorize"))
    assert phone.title() == "Authorize Acme Inventory Sync · Commerce Platform"
    _shot(phone, "seller-consent")


def test_switching_account_resumes_the_same_consent(live_server, phone, seller, app):
    factories.ShopFactory(owner=seller, name="Northwind Goods")
    other = make_seller("outlet@example.com")
    factories.ShopFactory(owner=other, name="Southwind Outlet")
    log_in(phone, live_server, seller)
    authorize_url = Flow.start(app, redirect_uri=CALLBACK).authorize_url()
    phone.goto(live_server.url + authorize_url)

    phone.get_by_role("button", name="Not you? Switch account").click()

    expect(phone.get_by_role("heading", level=1)).to_have_text(
        "Sign in to continue to Acme Inventory Sync"
    )
    _sign_in_here(phone, other)
    assert phone.url == live_server.url + authorize_url
    expect(phone.locator(".consent-account")).to_contain_text("outlet@example.com")
    expect(phone.get_by_label("Southwind Outlet")).to_be_visible()
    expect(phone.get_by_text("Northwind Goods")).to_have_count(0)


def test_disconnecting_says_what_stops_working_and_cancel_changes_nothing(
    live_server, phone, seller, app
):
    northwind = factories.ShopFactory(owner=seller, name="Northwind Goods")
    southwind = factories.ShopFactory(owner=seller, name="Southwind Outlet")
    first = _connect(app, northwind, ["seller.product.basic", "seller.order.info"])
    second = _connect(app, southwind, ["seller.product.basic"])
    log_in(phone, live_server, seller)
    phone.goto(f"{live_server.url}/seller/apps/")
    _shot(phone, "seller-apps")

    phone.get_by_role("button", name="Disconnect Northwind Goods from Acme Inventory Sync").click()
    dialog = phone.get_by_role(
        "dialog", name="Disconnect Northwind Goods from Acme Inventory Sync?"
    )
    expect(dialog).to_be_visible()
    expect(dialog.locator("p").first).to_have_text(
        "Acme Inventory Sync will immediately lose access to Northwind Goods: it will no "
        "longer be able to:"
    )
    expect(dialog.get_by_role("listitem")).to_have_text(
        [
            "Product Basic — See and edit your product listings, prices and inventory.",
            "Order Information — See your orders, including buyers' delivery addresses.",
        ]
    )
    _fits_the_phone(dialog.get_by_role("button", name="Disconnect shop"))
    _shot(phone, "seller-apps-confirm", full_page=False)
    dialog.get_by_role("link", name="Cancel").click()
    expect(dialog).to_be_hidden()
    first.refresh_from_db()
    assert first.revoked_at is None

    phone.get_by_role("button", name="Withdraw Order Information from Acme Inventory Sync").click()
    dialog = phone.get_by_role("dialog")
    expect(dialog).to_contain_text(
        "Acme Inventory Sync will immediately lose this permission on Northwind Goods"
    )
    dialog.get_by_role("button", name="Withdraw permission").click()
    expect(phone.get_by_text("no longer has “Order Information”")).to_be_visible()
    assert list(first.scopes.values_list("key", flat=True)) == ["seller.product.basic"]

    phone.get_by_role("button", name="Disconnect Acme Inventory Sync from all shops").click()
    dialog = phone.get_by_role("dialog")
    expect(dialog).to_contain_text(
        "Acme Inventory Sync will immediately lose access to Northwind Goods and Southwind "
        "Outlet: it will no longer be able to:"
    )
    dialog.get_by_role("button", name="Disconnect app").click()
    expect(phone.get_by_text("No app can access your shops.")).to_be_visible()
    assert ShopAuthorization.objects.filter(revoked_at__isnull=True).count() == 0
    assert {first.pk, second.pk} == set(ShopAuthorization.objects.values_list("pk", flat=True))


def test_without_javascript_a_disconnect_confirms_on_its_own_page(
    live_server, new_context, seller, app
):
    shop = factories.ShopFactory(owner=seller, name="Northwind Goods")
    authorization = _connect(app, shop, ["seller.product.basic"])
    page = new_context(java_script_enabled=False).new_page()
    log_in(page, live_server, seller)
    page.goto(f"{live_server.url}/seller/shops/")

    _shot(page, "seller-shops")
    page.get_by_role("button", name="Disconnect Northwind Goods from Acme Inventory Sync").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Disconnect Northwind Goods from Acme Inventory Sync?"
    )
    expect(page.get_by_text("it will no longer be able to:")).to_be_visible()
    page.get_by_role("button", name="Disconnect shop").click()
    expect(page).to_have_url(f"{live_server.url}/seller/shops/")
    expect(page.get_by_text("can no longer access Northwind Goods")).to_be_visible()
    authorization.refresh_from_db()
    assert authorization.revoked_at is not None


def test_a_seller_who_is_also_a_partner_switches_between_areas(live_server, phone, seller):
    factories.ShopFactory(owner=seller, name="Northwind Goods")
    factories.MembershipFactory(user=seller, partner__name="Helpdesk Works")
    log_in(phone, live_server, seller)
    phone.goto(f"{live_server.url}/seller/")

    nav = phone.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Connected apps")).to_be_visible()
    expect(nav.get_by_role("link", name="Console", exact=True)).to_have_count(0)
    nav.get_by_role("link", name="Switch to partner console").click()

    expect(phone).to_have_url(f"{live_server.url}/console/")
    nav = phone.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Console", exact=True)).to_have_attribute(
        "aria-current", "page"
    )
    expect(nav.get_by_role("link", name="Connected apps")).to_have_count(0)
    nav.get_by_role("link", name="Switch to seller center").click()
    expect(phone).to_have_url(f"{live_server.url}/seller/")


def test_a_seller_only_sees_the_seller_center(live_server, phone, seller):
    factories.ShopFactory(owner=seller, name="Northwind Goods")
    log_in(phone, live_server, seller)
    phone.goto(f"{live_server.url}/seller/shops/")

    nav = phone.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link")).to_have_text(
        ["Seller center", "Connected apps", "Shops", "Account"]
    )
    _fits_the_phone(nav.get_by_role("button", name="Sign out"))
