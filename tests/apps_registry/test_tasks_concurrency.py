"""Two review-reminder runs at once (two schedulers, a manual run next to the scheduled one), with
real threads and connections (PostgreSQL row locks): each reminder still goes once."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from apps_registry.models import AccessRequest
from apps_registry.services.access_request_jobs import (
    access_request_remind_expiry,
    access_requests_remind_overdue,
    review_reminders_send,
)
from tests.apps_registry.review_helpers import make_request, make_reviewer
from tests.concurrency import backend_pid, hold_until_blocked_or_finished, race

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

Status = AccessRequest.Status


def overlapping_runs(first_reminder):
    """`first_reminder` runs and holds its transaction open until a whole second run waits on it
    (or is done); returns both outcomes."""
    second_pid, second_ready, second_finished = [], threading.Event(), threading.Event()
    first_holding = threading.Event()
    now = timezone.now()

    def first():
        with transaction.atomic():
            outcome = first_reminder(now=now)
            first_holding.set()
            second_ready.wait(timeout=10)
            hold_until_blocked_or_finished(second_pid[0], second_finished)
        return outcome

    def second():
        # Only once the first run holds its rows: otherwise the second could simply go first.
        first_holding.wait(timeout=10)
        second_pid.append(backend_pid())
        second_ready.set()
        try:
            return review_reminders_send(now=now)
        finally:
            second_finished.set()

    return race(first, second)


def test_an_overlapping_run_sends_no_second_overdue_digest(settings):
    settings.REVIEW_TARGET_BUSINESS_DAYS = 5
    reviewer = make_reviewer()
    overdue = make_request(submitted_at=timezone.now() - timedelta(days=14))
    mail.outbox.clear()

    listed, second_run = overlapping_runs(access_requests_remind_overdue)

    assert (listed, second_run.digest_listed, second_run.failed) == (1, 0, 0)
    assert [(message.subject, message.to) for message in mail.outbox] == [
        ("1 application(s) past the review target", [reviewer.email])
    ]
    overdue.refresh_from_db()
    assert overdue.overdue_reminded_at is not None


def test_an_overlapping_run_sends_no_second_expiry_reminder():
    ending = make_request(
        status=Status.APPROVED, approval_expires_at=timezone.now() + timedelta(days=7)
    )
    mail.outbox.clear()

    reminded, second_run = overlapping_runs(
        lambda now: access_request_remind_expiry(request_id=ending.pk, now=now)
    )

    assert (reminded, second_run.reminded, second_run.failed) == (1, 0, 0)
    assert [message.subject for message in mail.outbox] == [
        f"Approval ending soon: {ending.scope.key} for {ending.app.name}"
    ]
    ending.refresh_from_db()
    assert ending.expiry_reminder_days == 7
