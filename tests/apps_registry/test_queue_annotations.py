"""What the review queue says beside each application: time left against the review target (and
nothing where there is nothing useful to say), and where a dual-approval application stands."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.contrib.auth import get_user_model

from apps_registry.admin.queue_annotations import (
    approval_progress,
    breakable_name,
    review_time_left,
    status_with_approval_progress,
)
from apps_registry.models import AccessRequest

Status = AccessRequest.Status
MONDAY_NOON = datetime(2026, 3, 9, 12, 0, tzinfo=UTC)
BADGE = '<span class="review-badge">Dual approval</span>'


@pytest.fixture(autouse=True)
def five_day_target(settings):
    settings.REVIEW_TARGET_BUSINESS_DAYS = 5


def application(**fields) -> AccessRequest:
    return AccessRequest(**{"status": Status.SUBMITTED, "submitted_at": MONDAY_NOON, **fields})


@pytest.mark.parametrize(
    ("submitted_at", "expected"),
    [
        (datetime(2026, 3, 9, 9, 0, tzinfo=UTC), "5 business days left"),  # this morning
        (datetime(2026, 3, 6, 17, 0, tzinfo=UTC), "4 business days left"),  # last Friday
        (datetime(2026, 3, 3, 9, 0, tzinfo=UTC), "1 business day left"),
        (datetime(2026, 3, 2, 9, 0, tzinfo=UTC), "due today"),  # five business days ago
        (
            datetime(2026, 2, 27, 9, 0, tzinfo=UTC),
            '<span class="review-overdue">overdue by 1 business day</span>',
        ),
        (
            datetime(2026, 2, 24, 9, 0, tzinfo=UTC),
            '<span class="review-overdue">overdue by 4 business days</span>',
        ),
    ],
)
def test_time_left_counts_business_days_against_the_target(submitted_at, expected):
    waiting = application(status=Status.IN_REVIEW, submitted_at=submitted_at)

    assert review_time_left(waiting, now=MONDAY_NOON) == expected


@pytest.mark.parametrize(
    "status",
    [Status.CHANGES_REQUESTED, Status.APPROVED, Status.REJECTED, Status.WITHDRAWN, Status.REVOKED],
)
def test_time_left_says_nothing_when_no_reviewer_is_on_the_clock(status):
    long_ago = application(status=status, submitted_at=datetime(2026, 1, 5, tzinfo=UTC))

    assert review_time_left(long_ago, now=MONDAY_NOON) == ""


def test_a_fresh_application_is_not_called_on_target_or_zero_days_old():
    fresh = application(submitted_at=MONDAY_NOON)

    shown = review_time_left(fresh, now=MONDAY_NOON)

    assert shown == "5 business days left"
    assert "on target" not in shown
    assert "0 business days" not in shown


def test_a_single_approval_application_has_no_approval_note():
    assert approval_progress(application(requires_dual_approval=False)) == ""


def test_dual_approval_without_any_approval_needs_the_first():
    assert approval_progress(application(requires_dual_approval=True)) == (
        f"{BADGE} needs 1st approval"
    )


def test_dual_approval_with_a_first_approval_needs_the_second_and_names_the_first():
    rita = get_user_model()(email="rita@example.com")
    halfway = application(
        status=Status.IN_REVIEW, requires_dual_approval=True, first_approved_by=rita
    )

    assert (
        approval_progress(halfway) == f"{BADGE} needs 2nd approval (1st by rita<wbr>@example.com)"
    )


def test_the_first_approvers_name_is_escaped():
    odd = get_user_model()(email="<b>eve</b>")
    halfway = application(
        status=Status.IN_REVIEW, requires_dual_approval=True, first_approved_by=odd
    )

    assert approval_progress(halfway) == (
        f"{BADGE} needs 2nd approval (1st by &lt;b&gt;eve&lt;/b&gt;)"
    )


@pytest.mark.parametrize("status", [Status.APPROVED, Status.CHANGES_REQUESTED, Status.REJECTED])
def test_a_decided_or_returned_dual_approval_application_keeps_only_its_badge(status):
    assert approval_progress(application(status=status, requires_dual_approval=True)) == BADGE


def test_the_status_column_puts_a_dual_approval_applications_progress_under_its_status():
    assert status_with_approval_progress(application(requires_dual_approval=True)) == (
        f'Submitted<span class="review-approval-progress">{BADGE} needs 1st approval</span>'
    )
    assert status_with_approval_progress(application(requires_dual_approval=False)) == "Submitted"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("rita.reviewer@example.com", "rita.reviewer<wbr>@example.com"),
        ("rita", "rita"),
        ("<b>@example.com", "&lt;b&gt;<wbr>@example.com"),
    ],
)
def test_a_reviewers_email_may_wrap_before_its_at_sign(name, expected):
    assert breakable_name(get_user_model()(email=name)) == expected
