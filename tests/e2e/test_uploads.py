"""Partner uploads in a real browser: an icon uploaded on the app page shows on the seller's
consent page, and a PDF attached to an application reaches the reviewer (ADR 0017)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from allauth.account.models import EmailAddress
from playwright.sync_api import Page, expect

from apps_registry.models import AccessRequest, Membership
from tests import factories
from tests.e2e.consent_helpers import CALLBACK, capture_callback, log_in, make_app, make_seller
from tests.e2e.test_partner_console import sign_in
from tests.e2e.test_review_workflow import sign_in_as_reviewer
from tests.oauth.flow import Flow
from tests.upload_files import PDF, logo_bytes

pytestmark = pytest.mark.django_db(transaction=True)

SHOTS = Path("/work/notes/shots")


def signed_in_owner(page: Page, live_server, partner) -> None:
    membership = factories.MembershipFactory(role=Membership.Role.OWNER, partner=partner)
    user = membership.user
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    sign_in(page, live_server, user)
    expect(page).to_have_url(f"{live_server.url}/console/")


def expect_icon_loaded(page: Page) -> None:
    icon = page.get_by_test_id("app-icon").first
    expect(icon).to_be_visible()
    # Visible is not loaded: wait for the browser to finish fetching and decoding the image.
    page.wait_for_function("image => image.complete", arg=icon.element_handle())
    assert icon.evaluate("image => image.naturalWidth") == 256


def test_a_partner_uploads_an_icon_and_a_seller_sees_it_on_the_consent_page(
    live_server, page: Page
):
    app = make_app()
    signed_in_owner(page, live_server, app.partner)
    page.goto(f"{live_server.url}/console/apps/{app.pk}/")
    expect(page.get_by_test_id("app-icon-placeholder").first).to_have_text("AI")

    page.get_by_text("Change the icon or publisher website").click()
    page.get_by_label("Icon", exact=False).and_(page.locator("input[type=file]")).set_input_files(
        {"name": "acme.png", "mimeType": "image/png", "buffer": logo_bytes()}
    )
    page.get_by_label("Publisher website").fill("https://acme-software.example/")
    page.get_by_role("button", name="Save icon and publisher").click()

    expect(page.get_by_role("status").filter(has_text="were saved")).to_be_visible()
    expect_icon_loaded(page)
    expect(page.get_by_test_id("app-publisher").first).to_have_text("acme-software.example")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SHOTS / "uploads-app.png")

    page.context.clear_cookies()
    seller = make_seller()
    log_in(page, live_server, seller)
    capture_callback(page)
    page.goto(live_server.url + Flow.start(app, redirect_uri=CALLBACK).authorize_url())
    expect(page.locator("#consent-title")).to_contain_text("Acme Inventory Sync")
    expect_icon_loaded(page)
    expect(page.get_by_test_id("app-publisher")).to_have_text("acme-software.example")
    page.screenshot(path=SHOTS / "uploads-consent.png")


def test_a_partner_attaches_a_pdf_and_the_reviewer_sees_it(live_server, page: Page, catalog):
    app = factories.PartnerAppFactory(name="Helpdesk Sync")
    signed_in_owner(page, live_server, app.partner)
    page.goto(f"{live_server.url}/console/apps/{app.pk}/api/seller.customer_service/apply/")
    page.get_by_label("What does your app do with this data?").fill(
        "Shows buyer conversations in a shared help-desk inbox so agents can answer them."
    )
    page.get_by_label("Why this scope, and why will a narrower one not do?").fill(
        "Only Customer Service exposes conversations and messages."
    )
    page.get_by_role("group", name="Which endpoints will the app call?").get_by_label(
        "GET /customer_service/202309/conversations · Get Conversations"
    ).check()
    page.get_by_label("How is the data stored, protected and deleted?").fill(
        "Encrypted at rest; deleted 90 days after the shop disconnects."
    )
    page.get_by_label("Supporting files").set_input_files(
        [{"name": "Data flow.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    page.get_by_role("button", name="Submit application").click()

    access_request = AccessRequest.objects.get(app=app)
    expect(page).to_have_url(f"{live_server.url}/console/requests/{access_request.pk}/")
    expect(page.get_by_test_id("attachments")).to_contain_text("Data flow.pdf")

    page.context.clear_cookies()
    sign_in_as_reviewer(page, live_server.url, "rita.reviewer@example.com")
    page.goto(f"{live_server.url}/admin/apps_registry/accessrequest/{access_request.pk}/change/")
    link = page.get_by_test_id("admin-attachments").get_by_role("link", name="Data flow.pdf")
    expect(link).to_have_attribute("target", "_blank")
    expect(link).to_have_attribute("href", re.compile(rf"/{access_request.pk}/files/"))
    response = page.request.get(live_server.url + link.get_attribute("href"))
    assert response.status == 200
    assert response.headers["content-disposition"] == 'attachment; filename="Data flow.pdf"'
    assert response.body() == PDF
