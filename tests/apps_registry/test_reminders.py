"""The daily send_review_reminders command."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from apps_registry.models import AccessRequest
from tests import factories
from tests.apps_registry.review_helpers import make_request, make_reviewer

pytestmark = pytest.mark.django_db

Status = AccessRequest.Status


def run_reminders() -> str:
    out = StringIO()
    call_command("send_review_reminders", stdout=out)
    return out.getvalue()


def test_reminders_expire_overdue_and_ending_approvals(
    settings, mailoutbox, django_capture_on_commit_callbacks
):
    settings.REVIEW_TARGET_BUSINESS_DAYS = 5
    reviewer = make_reviewer()
    now = timezone.now()
    overdue = make_request(
        submitted_at=now - timedelta(days=14), app=factories.PartnerAppFactory(name="Late App")
    )
    make_request(submitted_at=now - timedelta(hours=1))  # on target
    make_request(
        status=Status.CHANGES_REQUESTED, submitted_at=now - timedelta(days=30)
    )  # partner's turn
    ending = make_request(status=Status.APPROVED, approval_expires_at=now + timedelta(days=30))
    make_request(
        status=Status.APPROVED, approval_expires_at=now + timedelta(days=20)
    )  # no reminder today
    past = make_request(status=Status.APPROVED, approval_expires_at=now - timedelta(hours=1))

    with django_capture_on_commit_callbacks(execute=True):
        output = run_reminders()

    assert output.strip() == (
        "Expired 1 approval(s); 1 application(s) past the review target; "
        "reminded partners of 1 approval(s) ending soon."
    )
    past.refresh_from_db()
    assert past.status == Status.EXPIRED
    by_subject = {message.subject: message for message in mailoutbox}
    assert set(by_subject) == {
        "1 application(s) past the review target",
        f"Approval ending soon: {ending.scope.key} for {ending.app.name}",
        f"Approval expired: {past.scope.key} for {past.app.name}",
    }
    digest = by_subject["1 application(s) past the review target"]
    assert digest.to == [reviewer.email]
    assert "Late App" in digest.body
    assert f"/admin/apps_registry/accessrequest/{overdue.pk}/change/" in digest.body
    assert by_subject[f"Approval ending soon: {ending.scope.key} for {ending.app.name}"].to == [
        ending.submitted_by.email
    ]


def test_reminders_with_nothing_to_do_send_nothing(mailoutbox):
    make_reviewer()

    assert run_reminders().startswith("Expired 0 approval(s); 0 application(s)")
    assert mailoutbox == []
