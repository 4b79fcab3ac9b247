"""Manage API in a real browser: groups that open and close, a save bar that counts unsaved
changes and stays in view, a warning before leaving them, and a search that finds a pasted call's
scope in place, or by reloading the page without JavaScript."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser, Page, expect

from apps_registry.models import AppScope
from scopes.models import Scope
from tests import factories
from tests.e2e.test_partner_console import partner_with_app

SHOTS = Path("/work/notes/shots")


def scope_row(page: Page, key: str):
    return page.locator(f"li[data-scope='{key}']")


def group_section(page: Page, name: str):
    return page.locator(f"details[data-group='{name}']")


def selected_count(page: Page, group: str):
    return group_section(page, group).locator(".scope-section-count")


def test_a_partner_chooses_scopes_from_groups_and_saves_from_the_save_bar(
    live_server, page: Page, catalog
):
    app = partner_with_app(live_server, page)
    factories.AppScopeFactory(
        app=app, scope=Scope.objects.get(key="seller.product.basic"), is_required=True
    )
    manage_api_url = f"{live_server.url}/console/apps/{app.pk}/api/"
    dialogs: list[str] = []

    def answer(dialog) -> None:
        dialogs.append(dialog.type)
        dialog.dismiss()  # stay on the page

    page.on("dialog", answer)
    page.goto(manage_api_url)

    # The group with a chosen scope is open; the others are closed.
    product, order = group_section(page, "Product"), group_section(page, "Order")
    expect(product).to_have_attribute("open", "")
    expect(selected_count(page, "Product")).to_have_text("1 of 4 selected")
    expect(order).not_to_have_attribute("open", "")
    expect(selected_count(page, "Order")).to_have_text("0 of 4 selected")
    expect(scope_row(page, "seller.order.info")).to_be_hidden()
    save_bar_status = page.locator("[data-unsaved-status]")
    expect(save_bar_status).to_have_text("No unsaved changes")
    expect(page.get_by_role("button", name="Save scope selection")).to_be_disabled()
    expect(page.get_by_role("button", name="Discard changes")).to_be_disabled()

    # Collapse a group and expand it again; open another.
    product.locator("summary").click()
    expect(scope_row(page, "seller.product.write")).to_be_hidden()
    product.locator("summary").click()
    expect(scope_row(page, "seller.product.write")).to_be_visible()
    order.locator("summary").click()
    expect(scope_row(page, "seller.order.info")).to_be_visible()

    page.get_by_label("Ask sellers for Product Modify").select_option("optional")
    page.get_by_label("Ask sellers for Order Information").select_option("required")
    expect(save_bar_status).to_have_text("2 unsaved changes")
    expect(selected_count(page, "Product")).to_have_text("2 of 4 selected")
    expect(selected_count(page, "Order")).to_have_text("1 of 4 selected")
    expect(page.get_by_role("button", name="Save scope selection")).to_be_enabled()
    # At the top of a page longer than the window, the save bar is at the window's bottom.
    page.evaluate("window.scrollTo(0, 0)")
    assert page.evaluate("document.documentElement.scrollHeight") > 2 * 900
    bar = page.locator(".save-bar").bounding_box()
    assert bar["y"] + bar["height"] == 900
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SHOTS / "manageapi.png")
    # Scrolled to the end, the save bar is in its place under the groups in the whole-page shot.
    page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
    page.screenshot(path=SHOTS / "manageapi-full.png", full_page=True)

    # Leaving asks first; staying keeps the choices.
    with page.expect_event("dialog"):
        page.get_by_role("navigation", name="Breadcrumb").get_by_role("link", name="Apps").click()
    assert dialogs == ["beforeunload"]
    expect(page).to_have_url(manage_api_url)
    expect(save_bar_status).to_have_text("2 unsaved changes")

    page.get_by_role("button", name="Save scope selection").click()

    expect(page.get_by_role("status").filter(has_text="were saved")).to_be_visible()
    assert dialogs == ["beforeunload"]  # saving did not ask
    assert dict(AppScope.objects.filter(app=app).values_list("scope__key", "is_required")) == {
        "seller.product.basic": True,
        "seller.product.write": False,
        "seller.order.info": True,
    }
    expect(save_bar_status).to_have_text("No unsaved changes")
    expect(group_section(page, "Order")).to_have_attribute("open", "")

    # Discard puts back the saved choices, and then leaving does not ask.
    page.get_by_label("Ask sellers for Order Information").select_option("")
    expect(save_bar_status).to_have_text("1 unsaved change")
    page.get_by_role("button", name="Discard changes").click()
    expect(page.get_by_label("Ask sellers for Order Information")).to_have_value("required")
    expect(save_bar_status).to_have_text("No unsaved changes")
    page.get_by_role("navigation", name="Breadcrumb").get_by_role("link", name="Apps").click()
    expect(page).to_have_url(f"{live_server.url}/console/apps/")
    assert dialogs == ["beforeunload"]


def test_a_pasted_call_shows_only_its_scope_as_the_partner_types(live_server, page: Page, catalog):
    app = partner_with_app(live_server, page)
    page.goto(f"{live_server.url}/console/apps/{app.pk}/api/")
    page.get_by_label("Ask sellers for Product Basic").select_option("required")
    listed = page.locator("li[data-scope]:visible")
    expect(listed).to_have_count(41)

    page.get_by_label("Search by scope or API").fill(
        "GET /order/202407/orders/{order_id}/price_detail"
    )

    expect(listed).to_have_count(1)
    expect(scope_row(page, "seller.order.info")).to_be_visible()
    expect(page.locator("details[data-group]:visible")).to_have_count(1)
    expect(page.get_by_role("status").filter(has_text="asked of sellers")).to_contain_text(
        "1 scope matching “GET /order/202407/orders/{order_id}/price_detail”"
    )
    # Searching in place keeps the unsaved choice, and the page's address.
    expect(page.locator("[data-unsaved-status]")).to_have_text("1 unsaved change")
    assert "?" not in page.url

    page.get_by_label("Search by scope or API").fill("/product/202309/products/search")
    expect(listed).to_have_count(1)
    expect(scope_row(page, "seller.product.basic")).to_be_visible()

    page.get_by_label("Search by scope or API").fill("no scope has this")
    expect(listed).to_have_count(0)
    expect(page.get_by_role("heading", name="No scope matches")).to_be_visible()

    page.get_by_role("link", name="Clear", exact=True).click()
    expect(listed).to_have_count(41)
    expect(page.get_by_label("Search by scope or API")).to_have_value("")
    expect(page.locator("[data-unsaved-status]")).to_have_text("1 unsaved change")


def test_without_javascript_the_search_reloads_the_page_with_only_the_matches(
    live_server, browser: Browser, catalog
):
    context = browser.new_context(
        java_script_enabled=False, viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    app = partner_with_app(live_server, page)
    page.goto(f"{live_server.url}/console/apps/{app.pk}/api/")

    page.get_by_label("Search by scope or API").fill(
        "GET /order/202407/orders/{order_id}/price_detail"
    )
    page.get_by_role("button", name="Search").click()

    expect(page).to_have_url(
        f"{live_server.url}/console/apps/{app.pk}/api/?q=GET+%2Forder%2F202407%2Forders%2F%7Border_id%7D%2Fprice_detail&group=&status="
    )
    expect(page.locator("li[data-scope]")).to_have_count(1)
    expect(scope_row(page, "seller.order.info")).to_be_visible()
    page.get_by_label("Ask sellers for Order Information").select_option("optional")
    page.get_by_role("button", name="Save scope selection").click()

    expect(page.get_by_role("status").filter(has_text="were saved")).to_be_visible()
    assert list(AppScope.objects.filter(app=app).values_list("scope__key", "is_required")) == [
        ("seller.order.info", False)
    ]
    context.close()
