"""Reviewers' journeys in a real browser: sign in to /admin/ through allauth with password + TOTP,
work an application from the queue, and the partner sees the outcome on their request page."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone
from playwright.sync_api import Page, expect

from apps_registry.models import AccessRequest, ReviewEvent
from apps_registry.services import access_requests, reviews
from apps_registry.services.reviewers import reviewer_create
from tests import factories
from tests.apps_registry.review_helpers import (
    ask_about_data_protection_and_resubmit,
    make_first_approved,
    make_request,
    make_reviewer,
)
from tests.e2e.consent_helpers import screenshot

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "review-pass-phrase-42"
Status = AccessRequest.Status


def current_totp(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def sign_in_as_reviewer(page: Page, base_url: str, email: str) -> None:
    _, secret = reviewer_create(email=email, password=PASSWORD)
    page.goto(f"{base_url}/admin/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    page.fill('input[name="login"]', email)
    page.fill('input[name="password"]', PASSWORD)
    page.locator('form button[type="submit"]').first.click()
    expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/"))
    page.fill('input[name="code"]', current_totp(secret))
    page.locator('form button[type="submit"]').first.click()
    expect(page).to_have_url(f"{base_url}/admin/")
    expect(page.locator("#site-name")).to_have_text("Partner Console review")


def open_from_queue(page: Page, base_url: str, access_request: AccessRequest) -> None:
    page.goto(f"{base_url}/admin/apps_registry/accessrequest/")
    row = page.locator("#result_list tbody tr", has_text=access_request.app.name)
    expect(row.locator(".field-review_time_left")).to_have_text(
        f"{settings.REVIEW_TARGET_BUSINESS_DAYS} business days left"
    )
    row.get_by_role("link", name=access_request.app.name).click()
    expect(page.locator("#content h2").first).to_be_visible()


def test_reviewer_requests_changes_then_approves_the_resubmission(live_server, page: Page):
    base = live_server.url
    access_request = make_request(app=factories.PartnerAppFactory(name="Helpdesk Pro"))
    sign_in_as_reviewer(page, base, "rita.reviewer@example.com")

    open_from_queue(page, base, access_request)
    expect(page.get_by_text(access_request.data_protection)).to_be_visible()
    page.get_by_role("button", name="Assign to me").click()
    expect(page.locator(".messagelist")).to_contain_text("assigned to you")

    page.get_by_role("link", name="Request changes").click()
    page.fill('textarea[name="comment"]', "Say how long you keep messages.")
    page.fill('textarea[name="comment_data_protection"]', "Retention period?")
    page.get_by_role("button", name="Send to the partner").click()
    expect(page.locator(".messagelist")).to_contain_text("Changes requested")
    expect(page.locator("#timeline")).to_contain_text("On “Data protection”: Retention period?")

    access_requests.access_request_resubmit(
        request_id=access_request.pk,
        answers={"data_protection": "Messages are deleted after 30 days."},
        acting_user=access_request.submitted_by,
    )
    page.reload()
    expect(page.locator("#timeline ins")).to_have_text("Messages are deleted after 30 days.")
    page.get_by_role("button", name="Assign to me").click()
    page.get_by_role("link", name="Approve").click()
    page.fill('textarea[name="comment"]', "Thanks for the details.")
    page.get_by_role("button", name="Approve").click()
    expect(page.locator(".messagelist")).to_contain_text("Approved")

    access_request.refresh_from_db()
    assert access_request.status == Status.APPROVED
    assert access_request.decided_by.email == "rita.reviewer@example.com"
    assert list(
        ReviewEvent.objects.filter(request=access_request).values_list("action", flat=True)
    ) == [
        "assign",
        "request_changes",
        "resubmit",
        "assign",
        "approve",
    ]


def test_reviewer_rejects_and_the_partner_reads_the_reason(live_server, browser, page: Page):
    base = live_server.url
    access_request = make_request(app=factories.PartnerAppFactory(name="Promo Blaster"))
    sign_in_as_reviewer(page, base, "sam.reviewer@example.com")

    open_from_queue(page, base, access_request)
    page.get_by_role("button", name="Assign to me").click()
    page.get_by_role("link", name="Reject").click()
    page.get_by_role("button", name="Reject").click()
    expect(page.locator(".errorlist")).to_contain_text("Write a reason")
    page.fill('textarea[name="reason"]', "Bulk messaging buyers is not allowed.")
    page.get_by_role("button", name="Reject").click()
    expect(page.locator(".messagelist")).to_contain_text("Rejected")

    access_request.refresh_from_db()
    assert access_request.status == Status.REJECTED
    partner_session = Client()
    partner_session.force_login(access_request.submitted_by)
    partner_context = browser.new_context()
    partner_context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": partner_session.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": base,
            }
        ]
    )
    partner_page = partner_context.new_page()
    partner_page.goto(f"{base}/console/requests/{access_request.pk}/")
    expect(partner_page.get_by_text("Bulk messaging buyers is not allowed.").first).to_be_visible()
    partner_context.close()


def test_first_approver_sees_approve_disabled_with_the_reason(live_server, page: Page):
    base = live_server.url
    sign_in_as_reviewer(page, base, "fay.first@example.com")
    reviewer = get_user_model().objects.get(email="fay.first@example.com")
    access_request = make_request(
        app=factories.PartnerAppFactory(name="Ledger Link"),
        status=Status.IN_REVIEW,
        assigned_to=reviewer,
        scope=factories.CustomScopeFactory(requires_dual_approval=True),
    )
    reviews.access_request_approve(request_id=access_request.pk, reviewer=reviewer)
    reviews.access_request_assign(request_id=access_request.pk, reviewer=reviewer)

    page.goto(f"{base}/admin/apps_registry/accessrequest/{access_request.pk}/change/")

    approve = page.locator(".object-tools").get_by_role("button", name="Approve")
    expect(approve).to_be_disabled()
    expect(page.locator("#refusal-approve")).to_have_text(
        "Approve is not available to you: You gave the first approval, so this application needs a "
        "second approval from a different reviewer."
    )
    expect(page.locator(".object-tools").get_by_role("link", name="Reject")).to_be_enabled()
    expect(page.locator(".object-tools").get_by_role("link", name="Approve")).to_have_count(0)


def test_reviewer_sees_what_each_application_needs_then_judges_a_resubmission_beside_its_diff(
    live_server, page: Page
):
    base = live_server.url
    target = settings.REVIEW_TARGET_BUSINESS_DAYS
    sign_in_as_reviewer(page, base, "rita.reviewer@example.com")
    rita = get_user_model().objects.get(email="rita.reviewer@example.com")
    fay = make_reviewer(username="fay.first@example.com", email="fay.first@example.com")
    halfway = make_first_approved(fay)
    make_request(
        app=factories.PartnerAppFactory(name="Slow Poke"),
        submitted_at=timezone.now() - timedelta(days=21),
    )
    resubmitted = make_request(app=factories.PartnerAppFactory(name="Helpdesk Pro"))
    reviews.access_request_assign(request_id=resubmitted.pk, reviewer=rita)
    ask_about_data_protection_and_resubmit(
        resubmitted, reviewer=rita, revised="Encrypted at rest, deleted after 30 days."
    )

    # The queue: which approval a dual-approval application lacks, and the time left.
    page.goto(f"{base}/admin/apps_registry/accessrequest/")
    rows = page.locator("#result_list tbody tr")
    halfway_row = rows.filter(has_text=halfway.app.name)
    expect(halfway_row.locator(".review-badge")).to_have_text("Dual approval")
    expect(halfway_row.locator(".review-approval-progress")).to_have_text(
        "Dual approval needs 2nd approval (1st by fay.first@example.com)"
    )
    expect(rows.filter(has_text="Slow Poke").locator(".review-overdue")).to_have_text(
        re.compile(r"^overdue by \d+ business days$")
    )
    resubmitted_row = rows.filter(has_text="Helpdesk Pro")
    expect(resubmitted_row.locator(".field-review_time_left")).to_have_text(
        f"{target} business days left"
    )
    expect(resubmitted_row.locator(".field-status_with_approvals")).to_have_text("Submitted")
    expect(page.locator("#result_list")).not_to_contain_text("on target")
    screenshot(page, "reviewer-queue")

    # The resubmission's decision page: the answers, with the diff, beside the comment fields.
    resubmitted_row.get_by_role("link", name="Helpdesk Pro").click()
    page.get_by_role("button", name="Assign to me").click()
    page.locator(".object-tools").get_by_role("link", name="Request changes").click()
    expect(page.locator("nav[aria-label=Breadcrumbs] li[aria-current=page]")).to_have_text(
        "Request changes"
    )
    changed = page.locator("#answer-data_protection")
    expect(changed.locator("h3")).to_have_text("Data protection (changed)")
    expect(changed.locator("del")).to_have_text("90")
    expect(changed.locator("ins")).to_have_text("30")
    expect(changed.locator(".decision-answer-note")).to_have_text(
        "Reviewer asked: Retention period?"
    )
    unchanged = page.locator("#answer-data_usage")
    expect(unchanged.locator("summary")).to_have_text("Data usage (unchanged)")
    expect(unchanged.locator(".decision-answer-text")).to_be_hidden()
    unchanged.locator("summary").click()
    expect(unchanged.locator(".decision-answer-text")).to_have_text(resubmitted.data_usage)
    answers = page.locator(".decision-answers").bounding_box()
    form = page.locator(".decision-form").bounding_box()
    assert answers["x"] + answers["width"] <= form["x"]  # side by side
    assert abs(answers["y"] - form["y"]) < 1
    unchanged.locator("summary").click()
    screenshot(page, "reviewer-decision")

    page.set_viewport_size({"width": 390, "height": 844})
    answers = page.locator(".decision-answers").bounding_box()
    form = page.locator(".decision-form").bounding_box()
    assert form["y"] >= answers["y"] + answers["height"]  # stacked on a narrow screen
    page.set_viewport_size({"width": 1280, "height": 900})

    page.fill('textarea[name="comment"]', "Say where the backups live.")
    page.get_by_role("button", name="Send to the partner").click()
    expect(page.locator(".messagelist")).to_contain_text("Changes requested")
    resubmitted.refresh_from_db()
    assert resubmitted.status == Status.CHANGES_REQUESTED
