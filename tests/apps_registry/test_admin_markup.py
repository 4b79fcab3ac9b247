"""What every custom admin page shares with the admin's own: its breadcrumb markup, and dates in
ISO format (YYYY-MM-DD, times HH:MM UTC) wherever no template asks for another."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
from django.urls import reverse
from django.utils import formats

from apps_registry.models import AccessRequest
from apps_registry.services import reviews
from tests import factories
from tests.apps_registry.review_helpers import make_request

pytestmark = pytest.mark.django_db

Status = AccessRequest.Status
SUBMITTED_AT = datetime(2026, 3, 4, 9, 30, tzinfo=UTC)


def breadcrumbs(page: str) -> str:
    """The breadcrumb list inside the admin's <nav aria-label="Breadcrumbs">."""
    nav = page.split('<nav aria-label="Breadcrumbs">', 1)[1].split("</nav>", 1)[0]
    return nav.strip()


# --- Breadcrumbs --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("decision", "status", "title"),
    [
        ("approve", Status.IN_REVIEW, "Approve"),
        ("reject", Status.IN_REVIEW, "Reject"),
        ("request-changes", Status.IN_REVIEW, "Request changes"),
        ("revoke", Status.APPROVED, "Revoke the approval"),
    ],
)
def test_decision_pages_use_the_admins_breadcrumb_markup(client, reviewer, decision, status, title):
    access_request = make_request(
        app=factories.PartnerAppFactory(name="Helpdesk Pro"),
        scope=factories.CustomScopeFactory(key="seller.customer_service"),
        status=status,
        assigned_to=reviewer,
    )
    change = reverse("admin:apps_registry_accessrequest_change", args=[access_request.pk])
    page = client.get(
        reverse("admin:apps_registry_accessrequest_decide", args=[access_request.pk, decision])
    ).content.decode()

    assert breadcrumbs(page) == (
        '<ol class="breadcrumbs">\n'
        '<li><a href="/admin/">Home</a></li>\n'
        '<li><a href="/admin/apps_registry/">Partners, apps and access</a></li>\n'
        '<li><a href="/admin/apps_registry/accessrequest/">Access requests</a></li>\n'
        f'<li><a href="{change}">Helpdesk Pro → seller.customer_service '
        f"({access_request.get_status_display()})</a></li>\n"
        f'<li aria-current="page">{title}</li>\n'
        "</ol>"
    )


def test_the_suspend_page_uses_the_admins_breadcrumb_markup(client, superuser):
    app = factories.PartnerAppFactory(name="Helpdesk Pro")
    change = reverse("admin:apps_registry_partnerapp_change", args=[app.pk])

    page = client.get(reverse("admin:apps_registry_partnerapp_suspend", args=[app.pk]))

    assert breadcrumbs(page.content.decode()) == (
        '<ol class="breadcrumbs">\n'
        '<li><a href="/admin/">Home</a></li>\n'
        '<li><a href="/admin/apps_registry/">Partners, apps and access</a></li>\n'
        '<li><a href="/admin/apps_registry/partnerapp/">Partner apps</a></li>\n'
        f'<li><a href="{change}">{app}</a></li>\n'
        '<li aria-current="page">Suspend</li>\n'
        "</ol>"
    )


def test_the_custom_pages_breadcrumbs_continue_the_admins_own(client, reviewer, in_review):
    """The decision page's trail is the detail page's, with the detail page as a link."""
    change = reverse("admin:apps_registry_accessrequest_change", args=[in_review.pk])
    detail_trail = breadcrumbs(client.get(change).content.decode())
    decision_trail = breadcrumbs(
        client.get(
            reverse("admin:apps_registry_accessrequest_decide", args=[in_review.pk, "approve"])
        ).content.decode()
    )

    current = re.search(r'<li aria-current="page">(.*)</li>', detail_trail).group(1)
    assert decision_trail == detail_trail.replace(
        f'<li aria-current="page">{current}</li>',
        f'<li><a href="{change}">{current}</a></li>\n<li aria-current="page">Approve</li>',
    )


# --- Dates --------------------------------------------------------------------------------------


def test_dates_and_times_default_to_iso_8601_in_utc():
    assert formats.date_format(date(2026, 3, 4)) == "2026-03-04"
    assert formats.date_format(date(2026, 3, 4), "SHORT_DATE_FORMAT") == "2026-03-04"
    assert formats.localize(SUBMITTED_AT) == "2026-03-04 09:30 UTC"
    assert formats.date_format(SUBMITTED_AT, "SHORT_DATETIME_FORMAT") == "2026-03-04 09:30 UTC"


def test_the_queue_shows_when_each_application_came_in_iso_format(client, reviewer):
    access_request = make_request(submitted_at=SUBMITTED_AT)

    page = client.get(reverse("admin:apps_registry_accessrequest_changelist")).content.decode()

    row = page.split(f">{access_request.pk}</a>")[1]
    assert '<td class="field-submitted_at nowrap">2026-03-04 09:30 UTC</td>' in row
    assert "03/04/2026" not in page
    assert "March 4" not in page


def test_the_detail_page_shows_every_date_in_iso_format(client, reviewer):
    access_request = make_request(
        status=Status.IN_REVIEW, assigned_to=reviewer, submitted_at=SUBMITTED_AT
    )
    make_request(
        app=access_request.app,
        status=Status.APPROVED,
        submitted_at=SUBMITTED_AT,
        decided_at=SUBMITTED_AT,
        approval_expires_at=datetime(2027, 3, 4, 23, 59, tzinfo=UTC),
    )
    event = reviews.access_request_request_changes(
        request_id=access_request.pk, reviewer=reviewer, comment="Say more."
    ).events.get()

    page = client.get(
        reverse("admin:apps_registry_accessrequest_change", args=[access_request.pk])
    ).content.decode()

    assert '<div class="readonly">2026-03-04 09:30 UTC</div>' in page  # submitted at
    assert "<td>2026-03-04</td>\n                <td>2027-03-04</td>" in page  # other request
    created = event.created_at
    assert f'<time datetime="{created.isoformat()}">{created:%Y-%m-%d %H:%M} UTC</time>' in page


def test_a_decision_page_shows_the_submission_time_in_iso_format(client, reviewer):
    access_request = make_request(
        status=Status.IN_REVIEW, assigned_to=reviewer, submitted_at=SUBMITTED_AT
    )

    page = client.get(
        reverse("admin:apps_registry_accessrequest_decide", args=[access_request.pk, "approve"])
    ).content.decode()

    assert '<time datetime="2026-03-04T09:30:00+00:00">2026-03-04 09:30 UTC</time>' in page


def test_the_review_history_list_shows_times_in_iso_format(client, reviewer, in_review):
    event = reviews.access_request_request_changes(
        request_id=in_review.pk, reviewer=reviewer, comment="Say more."
    ).events.get()

    page = client.get(reverse("admin:apps_registry_reviewevent_changelist")).content.decode()

    assert f"{event.created_at:%Y-%m-%d %H:%M} UTC" in page
