"""The partner's applications in a real browser: the Applications page with each application's
status and next step, applying twice and landing on the open application, ticking the endpoints
the app calls, and the partner-only timeline after a reviewer asks for changes."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from apps_registry.models import AccessRequest
from apps_registry.services import access_requests as access_request_services
from apps_registry.services import reviews
from scopes.models import Scope
from tests import factories
from tests.apps_registry.review_helpers import ANSWERS, make_reviewer
from tests.e2e.test_partner_console import partner_with_app

pytestmark = pytest.mark.django_db(transaction=True)

SHOTS = Path("/work/notes/shots")
Status = AccessRequest.Status
SCOPE_KEY = "seller.customer_service"
CONVERSATIONS = "GET /customer_service/202309/conversations"
SEND_MESSAGE = "POST /customer_service/202309/conversations/{conversation_id}/messages"
WRITTEN_ANSWERS = {name: value for name, value in ANSWERS.items() if name != "endpoints_used"}


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SHOTS / f"{name}.png", full_page=True)


def fill_written_answers(page: Page) -> None:
    for name, answer in WRITTEN_ANSWERS.items():
        page.locator(f"[name='{name}']").fill(answer)


def submit_by_service(app, scope, member) -> AccessRequest:
    return access_request_services.access_request_submit(
        app=app,
        scope=scope,
        answers=WRITTEN_ANSWERS,
        endpoints=[CONVERSATIONS],
        acting_user=member,
    )


def test_the_partner_sees_each_application_with_its_status_and_next_step(
    live_server, page: Page, catalog
):
    app = partner_with_app(live_server, page)
    now = timezone.now()
    custom = {
        key: Scope.objects.get(key=key) for key in (SCOPE_KEY, "seller.customer_engagement.read")
    }
    changes = factories.AccessRequestFactory(
        app=app,
        scope=custom[SCOPE_KEY],
        status=Status.CHANGES_REQUESTED,
        submitted_at=now - timedelta(days=3),
    )
    factories.ApprovedAccessRequestFactory(
        app=factories.PartnerAppFactory(partner=app.partner, name="Order Bot"),
        scope=custom[SCOPE_KEY],
        submitted_at=now - timedelta(days=40),
        approval_expires_at=now.replace(year=now.year + 1, month=3, day=5),
    )
    factories.AccessRequestFactory(app=app, scope=custom["seller.customer_engagement.read"])
    factories.AccessRequestFactory(scope=custom[SCOPE_KEY])  # another partner's

    page.get_by_role("navigation", name="Partner console").get_by_role(
        "link", name="Applications"
    ).click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Applications")
    rows = page.get_by_test_id("application-row")
    expect(rows).to_have_count(3)
    expect(rows.nth(0)).to_contain_text("Helpdesk Sync")
    expect(rows.nth(0)).to_contain_text("Waiting for review")
    expect(rows.nth(1)).to_contain_text("Changes requested")
    expect(rows.nth(1).locator("time")).to_have_text("submitted 3 days ago")
    expect(rows.nth(1).locator("time")).to_have_attribute(
        "title", changes.submitted_at.strftime("%Y-%m-%d")
    )
    expect(rows.nth(2)).to_contain_text("Order Bot")
    expect(rows.nth(2)).to_contain_text(f"Approved — expires 5 Mar {now.year + 1}")
    shot(page, "applications")

    rows.nth(1).get_by_role("link", name="Respond to changes requested").click()
    expect(page).to_have_url(f"{live_server.url}/console/requests/{changes.pk}/")


def test_applying_twice_lands_on_the_open_application(live_server, page: Page, catalog):
    app = partner_with_app(live_server, page)
    member = app.partner.memberships.get().user
    scope = Scope.objects.get(key=SCOPE_KEY)
    apply_url = f"{live_server.url}/console/apps/{app.pk}/api/{SCOPE_KEY}/apply/"

    # A second tab's form, submitted after the first application went in: refused, with a link.
    page.goto(apply_url)
    fill_written_answers(page)
    page.get_by_role("checkbox", name=f"{CONVERSATIONS} · Get Conversations").check()
    first = submit_by_service(app, scope, member)
    page.get_by_role("button", name="Submit application").click()
    expect(page.get_by_test_id("open-application")).to_contain_text(
        f"Follow the open application #{first.pk} (submitted) instead"
    )
    shot(page, "applications-duplicate")
    page.get_by_role("link", name=f"the open application #{first.pk}").click()
    expect(page).to_have_url(f"{live_server.url}/console/requests/{first.pk}/")
    assert AccessRequest.objects.filter(app=app).count() == 1

    # Manage API offers the application, not the form; the apply URL leads to it as well.
    page.goto(f"{live_server.url}/console/apps/{app.pk}/api/")
    customer_service = page.locator(f"li[data-scope='{SCOPE_KEY}']")
    expect(customer_service.get_by_role("link", name="Apply for Customer Service")).to_have_count(0)
    customer_service.get_by_role("link", name="Follow the application").click()
    expect(page).to_have_url(f"{live_server.url}/console/requests/{first.pk}/")

    page.goto(apply_url)
    expect(page).to_have_url(f"{live_server.url}/console/requests/{first.pk}/")
    expect(page.get_by_role("status").filter(has_text="already has")).to_have_text(
        "Helpdesk Sync already has this application for Customer Service (submitted): "
        "follow it here."
    )


def test_the_partner_ticks_the_endpoints_the_app_calls(live_server, page: Page, catalog):
    app = partner_with_app(live_server, page)
    page.goto(f"{live_server.url}/console/apps/{app.pk}/api/{SCOPE_KEY}/apply/")
    fill_written_answers(page)

    page.get_by_role("button", name="Submit application").click()
    endpoints = page.get_by_role("group", name="Which endpoints will the app call?")
    expect(endpoints).to_contain_text("Tick at least one endpoint your app will call.")
    expect(page.locator("[name='data_usage']")).to_have_value(WRITTEN_ANSWERS["data_usage"])

    endpoints.get_by_role("checkbox", name=f"{CONVERSATIONS} · Get Conversations").check()
    endpoints.get_by_role("checkbox", name=f"{SEND_MESSAGE} · Send Message").check()
    shot(page, "applications-apply")
    page.get_by_role("button", name="Submit application").click()

    access_request = AccessRequest.objects.get(app=app)
    expect(page).to_have_url(f"{live_server.url}/console/requests/{access_request.pk}/")
    expect(page.locator(".answers")).to_contain_text(CONVERSATIONS)
    expect(page.locator(".answers")).to_contain_text(SEND_MESSAGE)
    assert access_request.chosen_endpoints == [
        {"method": "GET", "path": "/customer_service/202309/conversations"},
        {
            "method": "POST",
            "path": "/customer_service/202309/conversations/{conversation_id}/messages",
        },
    ]


def test_after_a_reviewer_asks_for_changes_the_partner_sees_only_their_timeline(
    live_server, page: Page, catalog
):
    app = partner_with_app(live_server, page)
    member = app.partner.memberships.get().user
    access_request = submit_by_service(app, Scope.objects.get(key=SCOPE_KEY), member)
    first, second = make_reviewer(email="rita@staff.example"), make_reviewer()
    reviews.access_request_assign(request_id=access_request.pk, reviewer=first)
    reviews.access_request_assign(request_id=access_request.pk, reviewer=second)
    reviews.access_request_request_changes(
        request_id=access_request.pk,
        reviewer=second,
        comment="Say how long you keep buyer messages.",
        field_comments={"data_protection": "What is the retention period?"},
    )

    page.goto(f"{live_server.url}/console/requests/")
    page.get_by_role("link", name="Respond to changes requested").click()

    expect(page.get_by_test_id("request-status")).to_have_text("Changes requested")
    expect(page.get_by_test_id("expected-decision")).to_have_count(0)
    entries = page.locator(".timeline > li")
    expect(entries).to_have_count(2)
    expect(entries.nth(0)).to_contain_text(f"Submitted by {member.email}")
    expect(entries.nth(1)).to_contain_text("Changes requested by the review team")
    expect(entries.nth(1)).to_contain_text("Say how long you keep buyer messages.")
    expect(entries.nth(1)).to_contain_text("What is the retention period?")
    expect(page.locator(".timeline")).not_to_contain_text("Assigned")
    expect(page.locator("body")).not_to_contain_text("rita@staff.example")
    expect(
        page.get_by_role("checkbox", name=f"{CONVERSATIONS} · Get Conversations")
    ).to_be_checked()
    shot(page, "applications-detail")
