"""Seller center in the browser: see connected apps, withdraw a permission, disconnect, and read
what the platform removed."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from apps_registry.models import AccessRequest, ShopAuthorization
from apps_registry.services.reviews import access_request_revoke
from scopes.models import Scope
from tests import factories
from tests.apps_registry.review_helpers import make_reviewer
from tests.e2e.consent_helpers import log_in, make_app, make_seller, screenshot


def test_seller_withdraws_a_permission_then_disconnects_the_app(live_server, page):
    seller = make_seller()
    shop = factories.ShopFactory(owner=seller, name="Northwind Goods", region="GB")
    app = make_app()
    authorization = factories.ShopAuthorizationFactory(
        app=app,
        shop=shop,
        scopes=list(Scope.objects.filter(key__in=["seller.product.basic", "seller.order.info"])),
        expires_at=timezone.now() + timedelta(days=90),
    )
    log_in(page, live_server, seller)

    page.goto(f"{live_server.url}/seller/")
    page.get_by_role("link", name="Manage connected apps").click()
    expect(page.get_by_role("heading", name="Acme Inventory Sync")).to_be_visible()
    expect(
        page.get_by_text("See your orders, including buyers' delivery addresses.")
    ).to_be_visible()
    screenshot(page, "seller-connected-apps")

    page.get_by_role("button", name="Withdraw Order Information from Acme Inventory Sync").click()
    page.get_by_role("dialog").get_by_role("button", name="Withdraw permission").click()
    expect(page.get_by_text("no longer has “Order Information”")).to_be_visible()
    assert list(authorization.scopes.values_list("key", flat=True)) == ["seller.product.basic"]

    page.get_by_role("button", name="Disconnect Acme Inventory Sync from all shops").click()
    page.get_by_role("dialog").get_by_role("button", name="Disconnect app").click()
    expect(page.get_by_text("No app can access your shops.")).to_be_visible()
    assert ShopAuthorization.objects.get().revoked_at is not None

    page.goto(f"{live_server.url}/seller/shops/")
    expect(page.get_by_text(shop.cipher)).to_be_visible()


def test_seller_sees_what_the_platform_removed_after_a_custom_approval_is_revoked(
    live_server, page
):
    seller = make_seller()
    main_shop = factories.ShopFactory(owner=seller, name="Northwind Goods", region="GB")
    outlet = factories.ShopFactory(owner=seller, name="Southwind Outlet", region="GB")
    app = make_app()
    factories.ShopAuthorizationFactory(
        app=app,
        shop=main_shop,
        scopes=list(
            Scope.objects.filter(key__in=["seller.product.basic", "seller.customer_service"])
        ),
    )
    factories.ShopAuthorizationFactory(
        app=app, shop=outlet, scopes=[Scope.objects.get(key="seller.customer_service")]
    )
    access_request_revoke(
        request_id=AccessRequest.objects.get(app=app).pk,
        reviewer=make_reviewer(),
        reason="Buyer data was exported to a third party.",
    )
    log_in(page, live_server, seller)

    page.goto(f"{live_server.url}/seller/apps/")

    notice = page.get_by_role("region", name="Access removed by the platform")
    expect(notice.get_by_role("listitem")).to_have_count(2)
    expect(notice.get_by_role("listitem").filter(has_text="Southwind Outlet")).to_contain_text(
        "can no longer use “Customer Service” on Southwind Outlet, because the platform "
        "withdrew its approval to use this data. It had no other permission on this shop, so "
        "the shop was disconnected from it."
    )
    app_card = page.get_by_role("region", name="Acme Inventory Sync")
    expect(app_card.get_by_role("cell", name="Northwind Goods GB")).to_be_visible()
    expect(app_card.get_by_text("Southwind Outlet")).to_have_count(0)
    expect(app_card.get_by_text("See and edit your product listings")).to_be_visible()
    expect(app_card.get_by_text("Read and answer your buyers' messages.")).to_have_count(0)
    screenshot(page, "seller-connected-apps-after-platform-revocation")
