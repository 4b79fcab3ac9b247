"""Catalog managers in a real browser: one turns dual approval off on a scope, the change waits,
and a second manager confirms it from the list of scope changes."""

from __future__ import annotations

import pytest
from django.test import Client
from playwright.sync_api import Browser, Page, expect

from scopes.models import CatalogEvent, Scope, ScopeChange
from tests import factories
from tests.apps_registry.review_helpers import make_catalog_manager
from tests.conftest import sign_in_with_mfa

pytestmark = pytest.mark.django_db(transaction=True)


def signed_in_page(browser: Browser, live_server, user) -> Page:
    """A browser context of its own with an MFA-complete admin session for `user`."""
    client = Client()
    sign_in_with_mfa(client, user)
    context = browser.new_context()
    context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    return context.new_page()


def test_dual_approval_off_waits_until_a_second_catalog_manager_confirms(
    live_server, browser: Browser
):
    scope = factories.CustomScopeFactory(
        key="seller.widgets.read", name="Widgets", requires_dual_approval=True
    )
    first = signed_in_page(
        browser,
        live_server,
        make_catalog_manager(email="ann@platform.test", username="ann@platform.test"),
    )
    second = signed_in_page(
        browser,
        live_server,
        make_catalog_manager(email="bob@platform.test", username="bob@platform.test"),
    )

    first.goto(f"{live_server.url}/admin/scopes/scope/{scope.pk}/change/")
    first.locator("#id_requires_dual_approval").uncheck()
    first.locator('input[name="_save"]').click()

    expect(first.locator(".messagelist")).to_contain_text(
        "Not changed yet: requires dual approval of Widgets (seller.widgets.read) waits for a "
        "second catalog manager"
    )
    assert Scope.objects.get(pk=scope.pk).requires_dual_approval is True

    second.goto(f"{live_server.url}/admin/scopes/scopechange/?status__exact=pending")
    row = second.locator("#result_list tbody tr", has_text="seller.widgets.read")
    expect(row).to_contain_text("ann@platform.test")
    row.locator('input[name="_selected_action"]').check()
    second.locator('select[name="action"]').select_option("confirm_changes")
    second.get_by_role("button", name="Run").click()

    expect(second.locator(".messagelist")).to_contain_text(
        "Confirmed: requires_dual_approval of seller.widgets.read."
    )
    assert Scope.objects.get(pk=scope.pk).requires_dual_approval is False
    assert ScopeChange.objects.get().status == ScopeChange.Status.CONFIRMED
    second.goto(f"{live_server.url}/admin/scopes/scope/{scope.pk}/change/")
    history = second.locator("#events-group")
    expect(history).to_contain_text("Confirmed and applied")
    expect(history).to_contain_text("bob@platform.test")
    assert list(CatalogEvent.objects.order_by("pk").values_list("action", "actor__email")) == [
        (CatalogEvent.Action.PROPOSED, "ann@platform.test"),
        (CatalogEvent.Action.CONFIRMED, "bob@platform.test"),
    ]
