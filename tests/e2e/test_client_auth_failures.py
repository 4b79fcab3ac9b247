"""Browser journey: someone guesses an app's client secret; its owner opens the app page and sees
the failures by address (ADR 0009)."""

from __future__ import annotations

import base64

from playwright.sync_api import expect

from apps_registry.models import Membership, PartnerApp
from tests import factories
from tests.e2e.consent_helpers import log_in, make_seller, screenshot


def test_the_owner_sees_someone_guessing_the_apps_secret(live_server, page):
    owner = make_seller("owner@acme.example")
    membership = factories.MembershipFactory(user=owner, role=Membership.Role.OWNER)
    app = factories.PartnerAppFactory(
        partner=membership.partner, name="Acme Sync", status=PartnerApp.Status.LIVE
    )
    wrong = base64.b64encode(f"{app.client_id}:not-the-secret".encode()).decode()
    for _ in range(2):
        response = page.request.post(
            f"{live_server.url}/oauth/token/",
            form={"grant_type": "refresh_token", "refresh_token": "nope"},
            headers={"Authorization": f"Basic {wrong}"},
        )
        assert response.status == 401

    log_in(page, live_server, owner)
    page.goto(f"{live_server.url}/console/apps/")
    page.get_by_role("link", name="Acme Sync").first.click()

    section = page.get_by_test_id("client-auth-failures")
    expect(section.get_by_role("heading")).to_have_text("Failed client authentications")
    expect(section).to_contain_text("2 requests to the token, revocation or introspection")
    row = section.get_by_role("row").filter(has_text="127.0.0.1")
    expect(row.get_by_role("cell").nth(1)).to_have_text("2")
    screenshot(page, "app-client-auth-failures")
