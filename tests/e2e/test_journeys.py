"""Journeys across roles in a real browser: a new partner applies for a dual-approval Custom scope
and two reviewers take it through changes to approval; the landing page sends each audience to its
place; a seller sees their shops."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password
from django.core import mail
from django.utils import timezone
from playwright.sync_api import Page, expect

from apps_registry.models import AccessRequest, AppScope, Membership, PartnerApp, ReviewEvent
from apps_registry.services.authorizations import shop_create
from tests import factories
from tests.apps_registry.review_helpers import ANSWERS
from tests.e2e.consent_helpers import SCREENSHOTS, log_in, screenshot
from tests.e2e.mfa_helpers import enter_code, set_up_totp
from tests.e2e.test_review_workflow import open_from_queue, sign_in_as_reviewer

pytestmark = pytest.mark.django_db(transaction=True)

Status = AccessRequest.Status
PARTNER_EMAIL = "dev@helpdesk-works.test"
PARTNER_PASSWORD = "a-Long-and-unusual-passphrase-42"
FIRST_REVIEWER = "rita.reviewer@example.com"
SECOND_REVIEWER = "sam.reviewer@example.com"
APP_NAME = "Helpdesk Sync"
SCOPE_KEY = "seller.customer_service"


def outbox_since(start: int) -> list[tuple[str, str]]:
    """(recipient, subject) of every e-mail sent after the outbox held `start` messages."""
    return [(message.to[0], message.subject) for message in mail.outbox[start:]]


def expect_sign_in_first(page: Page, target: str) -> None:
    """The page is the sign-in form, set to go on to `target` (percent-encoded or not)."""
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next="))
    assert parse_qs(urlsplit(page.url).query) == {"next": [target]}
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")


def display_date(moment) -> str:
    """A date as the console prints it (Django's "j M Y")."""
    return f"{moment.day} {moment:%b %Y}"


def test_a_partner_applies_for_a_dual_approval_scope_and_two_reviewers_approve_it(
    live_server, page: Page, new_context, catalog
):
    base = live_server.url
    # The review team is on duty before the application arrives, so both are e-mailed about it.
    rita = new_context().new_page()
    sign_in_as_reviewer(rita, base, FIRST_REVIEWER)
    sam = new_context().new_page()
    sign_in_as_reviewer(sam, base, SECOND_REVIEWER)
    assert mail.outbox == []

    # --- Partner: sign up, verify the e-mail, create the organisation and the app ---
    page.goto(f"{base}/")
    page.get_by_role("link", name="Sign up").click()
    page.get_by_label("Email").fill(PARTNER_EMAIL)
    page.get_by_label("Password", exact=True).fill(PARTNER_PASSWORD)
    page.get_by_label("Password (again)").fill(PARTNER_PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Verify your email address")
    assert EmailAddress.objects.get(email=PARTNER_EMAIL).verified is False
    assert [message.to for message in mail.outbox] == [[PARTNER_EMAIL]]

    link = re.search(r"https?://[^/\s]+(/accounts/confirm-email/\S+/)", mail.outbox[0].body)[1]
    page.goto(f"{base}{link}")
    page.get_by_role("button", name="Confirm").click()
    expect(page).to_have_url(f"{base}/console/")
    assert EmailAddress.objects.get(email=PARTNER_EMAIL).verified is True
    expect(page.get_by_role("heading", level=1)).to_have_text("Create your organisation")
    page.get_by_label("Organisation name").fill("Helpdesk Works")
    page.get_by_role("button", name="Create organisation").click()
    partner_user = get_user_model().objects.get(email=PARTNER_EMAIL)
    membership = Membership.objects.get(user=partner_user)
    assert (membership.partner.name, membership.role) == ("Helpdesk Works", "owner")

    # Owners see client secrets only with two-factor authentication (ADR 0018).
    recovery_codes = set_up_totp(page, PARTNER_PASSWORD)
    page.goto(f"{base}/console/apps/new/")
    enter_code(page, recovery_codes[0])
    expect(page.get_by_role("heading", level=1)).to_have_text("Create an app")
    page.get_by_label("Name").fill(APP_NAME)
    page.get_by_label("Description").fill("Answers buyer messages from one inbox.")
    page.get_by_label("Category").select_option("customer_service")
    page.get_by_label("Redirect URIs").fill("https://helpdesk.example.com/oauth/callback")
    page.get_by_role("button", name="Create app").click()

    app = PartnerApp.objects.get(name=APP_NAME)
    assert app.partner == membership.partner
    expect(page).to_have_url(f"{base}/console/apps/{app.pk}/")
    secret = page.get_by_test_id("client-secret")
    expect(secret).to_be_visible()
    raw_secret = secret.inner_text().strip()
    # Stored only as a keyed hash: the page is the one place the raw secret ever appears.
    assert raw_secret != app.client_secret
    assert check_password(raw_secret, app.client_secret)
    screenshot(page, "journey-01-partner-secret-shown-once")
    page.reload()
    expect(page.get_by_test_id("client-secret")).to_have_count(0)
    expect(page.get_by_test_id("secret-hint")).to_have_text(f"••••••••{raw_secret[-4:]}")
    assert raw_secret not in page.content()

    # --- Partner: apply for Customer Service from Manage API ---
    page.get_by_role("link", name="Manage API").first.click()
    expect(page).to_have_url(f"{base}/console/apps/{app.pk}/api/")
    customer_service = page.locator(f"li[data-scope='{SCOPE_KEY}']")
    expect(customer_service.get_by_test_id("scope-status")).to_have_text("Apply to use")
    customer_service.get_by_role("link", name="Apply for Customer Service").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Apply for Customer Service")
    for field, answer in ANSWERS.items():
        if field == "endpoints_used":  # ticked from the scope's endpoints
            page.get_by_role("checkbox", name=f"{answer} · Get Conversations").check()
        else:
            page.locator(f"[name='{field}']").fill(answer)
    outbox_before_submit = len(mail.outbox)
    page.get_by_role("button", name="Submit application").click()

    access_request = AccessRequest.objects.get(app=app, scope__key=SCOPE_KEY)
    expect(page).to_have_url(f"{base}/console/requests/{access_request.pk}/")
    expect(page.get_by_test_id("request-status")).to_have_text("Submitted")
    assert (access_request.status, access_request.submitted_by) == (Status.SUBMITTED, partner_user)
    subject = f"Application to review: {SCOPE_KEY} for {APP_NAME}"
    assert sorted(outbox_since(outbox_before_submit)) == [
        (FIRST_REVIEWER, subject),
        (SECOND_REVIEWER, subject),
    ]

    # --- Reviewer 1: open it from the queue, assign it, ask for changes ---
    open_from_queue(rita, base, access_request)
    expect(rita.get_by_text(ANSWERS["data_usage"])).to_be_visible()
    rita.get_by_role("button", name="Assign to me").click()
    expect(rita.locator(".messagelist")).to_contain_text("The application is assigned to you.")
    access_request.refresh_from_db()
    assert (access_request.status, access_request.assigned_to.email) == (
        Status.IN_REVIEW,
        FIRST_REVIEWER,
    )
    rita.get_by_role("link", name="Request changes").click()
    rita.fill("textarea[name='comment']", "Say how long you keep buyer messages.")
    rita.fill("textarea[name='comment_data_protection']", "What is the retention period?")
    outbox_before_changes = len(mail.outbox)
    rita.get_by_role("button", name="Send to the partner").click()
    expect(rita.locator(".messagelist")).to_contain_text("Changes requested")
    access_request.refresh_from_db()
    assert access_request.status == Status.CHANGES_REQUESTED
    assert outbox_since(outbox_before_changes) == [
        (PARTNER_EMAIL, f"Changes requested: {SCOPE_KEY} for {APP_NAME}")
    ]

    # --- Partner: read the comments, edit the answer, resubmit ---
    page.reload()
    expect(page.get_by_test_id("request-status")).to_have_text("Changes requested")
    expect(page.locator(".timeline")).to_contain_text("Say how long you keep buyer messages.")
    expect(page.get_by_test_id("reviewer-comment")).to_have_text(
        "Reviewer: What is the retention period?"
    )
    screenshot(page, "journey-02-partner-reads-requested-changes")
    new_protection = "Encrypted at rest; messages are deleted 30 days after the ticket closes."
    page.get_by_label("How is the data stored, protected and deleted?").fill(new_protection)
    page.get_by_role("button", name="Resubmit for review").click()
    expect(page.get_by_role("status").filter(has_text="resubmitted")).to_have_text(
        "Your answers were resubmitted for review."
    )
    expect(page.get_by_test_id("request-status")).to_have_text("Submitted")
    access_request.refresh_from_db()
    assert (access_request.status, access_request.data_protection) == (
        Status.SUBMITTED,
        new_protection,
    )
    assert access_request.data_usage == ANSWERS["data_usage"]

    # --- Reviewer 1: sees the diff, gives the first of two approvals ---
    rita.reload()
    diff = rita.locator("#timeline table.review-diff")
    expect(diff.locator("del")).to_have_text(ANSWERS["data_protection"])
    expect(diff.locator("ins")).to_have_text(new_protection)
    screenshot(rita, "journey-03-reviewer-sees-the-resubmission-diff")
    rita.get_by_role("button", name="Assign to me").click()
    rita.get_by_role("link", name="Approve").click()
    expect(rita.get_by_text("This application needs two different reviewers.")).to_be_visible()
    outbox_before_first_approval = len(mail.outbox)
    rita.get_by_role("button", name="Approve").click()
    expect(rita.get_by_text(f"{FIRST_REVIEWER} gave the first approval")).to_be_visible()
    screenshot(rita, "journey-04-reviewer-after-first-approval")
    access_request.refresh_from_db()
    assert access_request.status == Status.IN_REVIEW
    assert access_request.first_approved_by.email == FIRST_REVIEWER
    assert (access_request.assigned_to, access_request.decided_by) == (None, None)
    # Only the other reviewer can finish it; the partner hears nothing until the decision.
    assert outbox_since(outbox_before_first_approval) == [
        (SECOND_REVIEWER, f"Second approval needed: {SCOPE_KEY} for {APP_NAME}")
    ]
    expect(rita.get_by_role("link", name="Approve")).to_have_count(0)

    # --- Reviewer 2: gives the second approval, until a chosen date ---
    open_from_queue(sam, base, access_request)
    sam.get_by_role("button", name="Assign to me").click()
    sam.get_by_role("link", name="Approve").click()
    until = timezone.localdate() + timedelta(days=180)
    sam.get_by_label("Approval ends on").fill(until.isoformat())
    sam.get_by_label("Note to the partner").fill("Approved for the help-desk inbox.")
    outbox_before_approval = len(mail.outbox)
    sam.get_by_role("button", name="Approve").click()
    expect(sam.locator(".messagelist")).to_contain_text("Approved")
    access_request.refresh_from_db()
    assert access_request.status == Status.APPROVED
    assert (access_request.first_approved_by.email, access_request.decided_by.email) == (
        FIRST_REVIEWER,
        SECOND_REVIEWER,
    )
    assert timezone.localtime(access_request.approval_expires_at).date() == until
    assert outbox_since(outbox_before_approval) == [
        (PARTNER_EMAIL, f"Approved: {SCOPE_KEY} for {APP_NAME}")
    ]
    assert list(
        ReviewEvent.objects.filter(request=access_request)
        .order_by("created_at", "pk")
        .values_list("action", "actor__email")
    ) == [
        ("submit", PARTNER_EMAIL),
        ("assign", FIRST_REVIEWER),
        ("request_changes", FIRST_REVIEWER),
        ("resubmit", PARTNER_EMAIL),
        ("assign", FIRST_REVIEWER),
        ("first_approval", FIRST_REVIEWER),
        ("assign", SECOND_REVIEWER),
        ("approve", SECOND_REVIEWER),
    ]

    # --- Partner: sees the approval and asks sellers for the scope ---
    page.reload()
    expect(page.get_by_test_id("request-status")).to_have_text("Approved")
    page.get_by_role("status").get_by_role("link", name="Manage API").click()
    expect(page).to_have_url(f"{base}/console/apps/{app.pk}/api/")
    customer_service = page.locator(f"li[data-scope='{SCOPE_KEY}']")
    expect(customer_service.get_by_test_id("scope-status")).to_have_text("Approved")
    expect(customer_service.locator(".scope-note")).to_have_text(
        f"Approved until {display_date(until)} · Application"
    )
    assert not AppScope.objects.filter(app=app).exists()
    page.get_by_label("Ask sellers for Customer Service").select_option("required")
    page.get_by_role("button", name="Save scope selection").click()
    expect(page.get_by_role("status").filter(has_text="were saved")).to_be_visible()
    expect(page.get_by_label("Ask sellers for Customer Service")).to_have_value("required")
    customer_service.screenshot(path=SCREENSHOTS / "journey-05-partner-asks-sellers-for-it.png")
    assert list(AppScope.objects.filter(app=app).values_list("scope__key", "is_required")) == [
        (SCOPE_KEY, True)
    ]


def test_the_landing_page_sends_each_audience_to_its_place(live_server, page: Page, catalog):
    base = live_server.url
    page.goto(f"{base}/")
    expect(page.locator(".cards h2")).to_have_text(["Partners", "Sellers", "Reviewers"])
    screenshot(page, "journey-landing")

    page.get_by_role("link", name="Browse every access scope").click()
    expect(page).to_have_url(f"{base}/scopes/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Access scopes")
    expect(page.locator(".scope-item")).to_have_count(41)

    # Signed out, the seller center and the review workspace ask the visitor to sign in first.
    for link, target in (
        ("Open the seller center", "/seller/"),
        ("Open the review workspace", "/admin/"),
    ):
        page.goto(f"{base}/")
        page.get_by_role("link", name=link).click()
        expect_sign_in_first(page, target)

    page.goto(f"{base}/")
    page.get_by_role("link", name="Open the partner console").click()
    expect_sign_in_first(page, "/console/")
    membership = factories.MembershipFactory(partner__name="Helpdesk Works")
    user = membership.user
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{base}/console/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Helpdesk Works")


def test_a_seller_sees_their_shops_with_regions_and_ciphers(live_server, page: Page):
    northwind, _ = shop_create(
        owner_email="owner@northwind.test",
        name="Northwind Goods",
        region="gb",
        password=factories.PASSWORD,
    )
    southwind, created_seller = shop_create(
        owner_email="owner@northwind.test", name="Southwind Outlet", region="FR"
    )
    assert created_seller is False
    factories.ShopFactory(name="Someone Else's Shop")
    seller = northwind.owner

    log_in(page, live_server, seller)
    page.goto(f"{live_server.url}/seller/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Seller center")
    expect(page.get_by_role("region", name="Your shops")).to_contain_text("You have 2 shops.")
    expect(page.get_by_role("region", name="Connected apps")).to_contain_text(
        "No app can access your shops."
    )
    screenshot(page, "journey-seller-center")

    page.get_by_role("link", name="View shops").click()
    expect(page).to_have_url(f"{live_server.url}/seller/shops/")
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(2)
    for row, shop, region in ((rows.nth(0), northwind, "GB"), (rows.nth(1), southwind, "FR")):
        expect(row.locator("td").nth(0)).to_have_text(shop.name)
        expect(row.locator("td").nth(1)).to_have_text(region)
        expect(row.locator("td").nth(2)).to_have_text(shop.cipher)
    expect(page.get_by_text("Someone Else's Shop")).to_have_count(0)
    screenshot(page, "journey-seller-shops")

    page.get_by_role("link", name="Seller center").first.click()
    page.get_by_role("link", name="Manage connected apps").click()
    expect(page).to_have_url(f"{live_server.url}/seller/apps/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Connected apps")
