"""A partner opens the app's installs from its page: the shops that authorize it (shops, not
sellers), the seller count, recent authorizations and revocations, and 30 days of token use drawn
as SVG bar charts with the same figures in a table for screen readers."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from django.utils import timezone
from oauth2_provider.models import get_refresh_token_model
from playwright.sync_api import Page, expect

from apps_registry.models import GateDenialCount, ScopeUsage
from apps_registry.services.authorizations import authorization_grant, authorization_revoke_shop
from scopes.models import Scope
from tests import factories
from tests.e2e.test_partner_console import partner_with_app

SHOTS = Path("/work/notes/shots")


def installed_app(app):
    """Two sellers' shops authorize the app and a third shop was disconnected; tokens were issued
    on three of the last 30 days and calls denied on one."""
    for key in ("seller.product.basic", "seller.order.info"):
        factories.AppScopeFactory(app=app, scope=Scope.objects.get(key=key))
    first, second = factories.UserFactory(), factories.UserFactory()
    northwind = factories.ShopFactory(owner=first, name="Northwind Goods", region="GB")
    harbour = factories.ShopFactory(owner=first, name="Harbour Books", region="FR")
    alpine = factories.ShopFactory(owner=second, name="Alpine Tea", region="DE")
    for seller, shop, keys in (
        (first, northwind, ["seller.product.basic", "seller.order.info"]),
        (first, harbour, ["seller.product.basic"]),
        (second, alpine, ["seller.product.basic"]),
    ):
        authorization_grant(seller=seller, app=app, shops=[shop], scope_keys=keys, duration_days=90)
    authorization_revoke_shop(seller=first, app=app, shop=harbour)
    ScopeUsage.objects.create(
        app=app, shop=northwind, scope_id="seller.product.basic", last_used_at=timezone.now()
    )
    tokens = get_refresh_token_model().objects
    for index, days_ago in enumerate((0, 0, 0, 2, 5, 5, 12, 20, 20, 20, 20)):
        token = tokens.create(user=first, application=app, token=f"refresh-{index}")
        tokens.filter(pk=token.pk).update(created=timezone.now() - timedelta(days=days_ago))
    yesterday = timezone.now() - timedelta(days=1)
    GateDenialCount.objects.create(
        app=app,
        reason="scope_not_granted_by_seller",
        day=yesterday.date(),
        count=3,
        last_denied_at=yesterday,
    )


def test_a_partner_opens_the_installs_and_sees_the_shops_and_the_token_chart(
    live_server, page: Page, catalog
):
    app = partner_with_app(live_server, page)
    installed_app(app)

    page.goto(f"{live_server.url}/console/apps/{app.pk}/")
    page.get_by_role("link", name="Installs").click()

    expect(page).to_have_url(f"{live_server.url}/console/apps/{app.pk}/installs/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Installs")
    shops = page.get_by_test_id("installed-shops")
    expect(shops.locator("tbody tr")).to_have_count(2)
    expect(shops.locator("tbody tr").first).to_contain_text("Alpine Tea")
    expect(shops.locator("tbody tr").nth(1)).to_contain_text("Northwind Goods")
    expect(shops).not_to_contain_text("Harbour Books")
    expect(page.get_by_test_id("seller-count")).to_have_text("2")
    tokens_chart = page.get_by_test_id("chart-tokens-issued")
    chart_image = tokens_chart.get_by_role("img")
    expect(chart_image).to_have_accessible_name("Tokens issued per day, last 30 days")
    expect(chart_image).to_have_accessible_description(
        re.compile(
            r"^Access tokens issued to the app each day, one for each authorization code it "
            r"redeemed and each refresh, \d+ \w+ to \d+ \w+ \d{4} \(UTC\)\. Total: 11\.$"
        )
    )
    expect(tokens_chart.locator("rect.chart-bar")).to_have_count(30)
    expect(tokens_chart.locator("rect.chart-bar-zero")).to_have_count(25)
    expect(tokens_chart.locator("figcaption")).to_contain_text(
        "Tokens issued per day, last 30 days: 11 in total."
    )
    expect(page.get_by_test_id("chart-calls-denied").locator("rect.chart-bar")).to_have_count(30)
    events = page.get_by_test_id("authorization-events")
    expect(events.locator("tbody tr").first).to_contain_text("Shop disconnected")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SHOTS / "installs.png", full_page=False)
    page.get_by_test_id("token-use").screenshot(path=SHOTS / "installs-chart.png")
