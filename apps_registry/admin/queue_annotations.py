"""What the review queue says about each application beyond its fields: how long is left against
the review target, and where a dual-approval application stands. Each says nothing ("") where it
has nothing useful to say, so the queue shows only what needs a reviewer's attention."""

from __future__ import annotations

from datetime import datetime

from django.utils.html import format_html

from apps_registry.models import AccessRequest
from apps_registry.selectors import access_requests as queue


def business_days(count: int) -> str:
    return f"{count} business day" if count == 1 else f"{count} business days"


def review_time_left(access_request: AccessRequest, *, now: datetime | None = None) -> str:
    """Time left against the review target while the application waits on reviewers, e.g.
    "2 business days left", "due today" or, flagged as a warning, "overdue by 1 business day"."""
    if access_request.status not in queue.WAITING_ON_REVIEWER_STATUSES:
        return ""
    days_left = queue.review_business_days_left(access_request, now=now)
    if days_left > 0:
        return f"{business_days(days_left)} left"
    if days_left == 0:
        return "due today"
    return format_html(
        '<span class="review-overdue">overdue by {}</span>', business_days(-days_left)
    )


def breakable_name(user) -> str:
    """A reviewer's name with a line-break opportunity before the "@" of an e-mail, so a long one
    wraps there instead of widening the queue past the screen."""
    local, at, domain = str(user).partition("@")
    return format_html("{}<wbr>{}{}", local, at, domain) if at else str(user)


def approval_progress(access_request: AccessRequest) -> str:
    """A dual-approval application's badge and, while it waits on reviewers, which approval it
    still needs and who gave the first. Reads `first_approved_by` (select it with the request)."""
    if not access_request.requires_dual_approval:
        return ""
    badge = format_html('<span class="review-badge">{}</span>', "Dual approval")
    if access_request.status not in queue.WAITING_ON_REVIEWER_STATUSES:
        return badge
    if access_request.first_approved_by is None:
        return format_html("{} needs 1st approval", badge)
    return format_html(
        "{} needs 2nd approval (1st by {})",
        badge,
        breakable_name(access_request.first_approved_by),
    )


def status_with_approval_progress(access_request: AccessRequest) -> str:
    """The application's status and, under it, a dual-approval application's progress."""
    status = access_request.get_status_display()
    progress = approval_progress(access_request)
    if not progress:
        return status
    return format_html('{}<span class="review-approval-progress">{}</span>', status, progress)
