"""Seller center in the browser: see connected apps, withdraw a permission, disconnect."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from apps_registry.models import ShopAuthorization
from scopes.models import Scope
from tests import factories
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
    expect(page.get_by_text("no longer has “Order Information”")).to_be_visible()
    assert list(authorization.scopes.values_list("key", flat=True)) == ["seller.product.basic"]

    page.get_by_role("button", name="Disconnect Acme Inventory Sync from all shops").click()
    expect(page.get_by_text("No app can access your shops.")).to_be_visible()
    assert ShopAuthorization.objects.get().revoked_at is not None

    page.goto(f"{live_server.url}/seller/shops/")
    expect(page.get_by_text(shop.cipher)).to_be_visible()
