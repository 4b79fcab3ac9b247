"""Browser journey through the public scope catalog: search by API name, open the scope."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-results"


def test_search_by_api_name_finds_the_scope_and_its_endpoint(live_server, page, catalog):
    page.goto(f"{live_server.url}/scopes/")
    search = page.get_by_label("Search scopes and APIs")
    search.fill("inventory")
    search.press("Enter")

    hit = page.locator(
        "li.scope-item", has=page.get_by_role("link", name="Product Modify", exact=True)
    )
    expect(page.get_by_role("status").filter(has_text="scopes match")).to_have_text(
        "4 scopes match “inventory”"
    )
    expect(hit.locator(".catalog-matches")).to_contain_text("Update Inventory")
    expect(hit.locator(".badge-public")).to_have_text("Public")
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "catalog-search.png", full_page=True)

    hit.get_by_role("link", name="Product Modify", exact=True).click()

    expect(page).to_have_url(f"{live_server.url}/scopes/seller.product.write/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Product Modify")
    row = page.get_by_role("row").filter(has_text="Update Inventory")
    expect(row).to_contain_text("/product/202309/products/{product_id}/inventory/update")
    expect(row).to_contain_text("POST")
    page.screenshot(path=SCREENSHOTS / "catalog-detail.png", full_page=True)


def test_keyboard_alone_reaches_the_search_and_filters(live_server, page, catalog):
    page.goto(f"{live_server.url}/scopes/")
    page.get_by_label("Search scopes and APIs").focus()
    page.keyboard.type("order")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Group", exact=True)).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_label("Type", exact=True)).to_be_focused()
    page.get_by_label("Type", exact=True).select_option("custom")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Search")).to_be_focused()
    page.keyboard.press("Enter")

    expect(page).to_have_url(f"{live_server.url}/scopes/?q=order&group=&kind=custom")
    expect(page.locator(".scope-item .badge-public")).to_have_count(0)
    expect(page.locator(".scope-item .badge-custom").first).to_have_text("Custom")


@pytest.mark.parametrize(
    "path", ["/scopes/", "/scopes/?q=inventory", "/scopes/seller.product.write/"]
)
def test_catalog_fits_a_phone_screen(live_server, page, catalog, path):
    page.set_viewport_size({"width": 375, "height": 812})
    page.goto(f"{live_server.url}{path}")

    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    if path == "/scopes/?q=inventory":
        SCREENSHOTS.mkdir(exist_ok=True)
        page.screenshot(path=SCREENSHOTS / "catalog-phone.png", full_page=True)
