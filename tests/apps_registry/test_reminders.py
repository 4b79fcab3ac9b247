"""The daily send_review_reminders command."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from apps_registry import notifications
from apps_registry.models import AccessRequest, ReviewEvent
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
        status=Status.APPROVED, approval_expires_at=now + timedelta(days=40)
    )  # no reminder yet
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
    # Reviewers read dates in ISO format, in the admin and in its e-mails alike.
    assert f"submitted {timezone.localdate(overdue.submitted_at).isoformat()}," in digest.body
    assert f"/admin/apps_registry/accessrequest/{overdue.pk}/change/" in digest.body
    assert by_subject[f"Approval ending soon: {ending.scope.key} for {ending.app.name}"].to == [
        ending.submitted_by.email
    ]


def test_reminders_with_nothing_to_do_send_nothing(mailoutbox):
    make_reviewer()

    assert run_reminders().startswith("Expired 0 approval(s); 0 application(s)")
    assert mailoutbox == []


# --- Idempotent and catch-up-safe ---------------------------------------------------------------

MONDAY_9AM = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock(time_machine):
    """Frozen at a Monday 09:00 UTC (the server's time zone); `clock.move_to` to go on."""
    time_machine.move_to(MONDAY_9AM, tick=False)
    return time_machine


def subjects(mailoutbox) -> list[str]:
    return sorted(message.subject for message in mailoutbox)


def ending_subject(access_request) -> str:
    return f"Approval ending soon: {access_request.scope.key} for {access_request.app.name}"


DIGEST_OF_ONE = "1 application(s) past the review target"


def test_running_twice_in_a_day_sends_each_reminder_once(clock, settings, mailoutbox):
    settings.REVIEW_TARGET_BUSINESS_DAYS = 5
    make_reviewer()
    overdue = make_request(submitted_at=MONDAY_9AM - timedelta(days=14))
    ending = make_request(
        status=Status.APPROVED, approval_expires_at=MONDAY_9AM + timedelta(days=30)
    )

    run_reminders()
    clock.move_to(MONDAY_9AM + timedelta(hours=14))  # 23:00, same day
    second_output = run_reminders()

    assert subjects(mailoutbox) == sorted([DIGEST_OF_ONE, ending_subject(ending)])
    assert second_output.strip() == (
        "Expired 0 approval(s); 0 application(s) past the review target; "
        "reminded partners of 0 approval(s) ending soon."
    )
    overdue.refresh_from_db()
    ending.refresh_from_db()
    assert overdue.overdue_reminded_at == MONDAY_9AM
    assert (ending.expiry_reminder_days, ending.expiry_reminded_at) == (30, MONDAY_9AM)
    assert (overdue.version, ending.version) == (1, 1)  # bookkeeping, not a transition
    assert ReviewEvent.objects.count() == 0


def test_the_overdue_digest_goes_once_each_calendar_day(clock, settings, mailoutbox):
    settings.REVIEW_TARGET_BUSINESS_DAYS = 5
    make_reviewer()
    make_request(submitted_at=MONDAY_9AM - timedelta(days=14))
    tuesday_1am = MONDAY_9AM + timedelta(hours=16)  # under 24 hours later, but a new day

    run_reminders()
    run_reminders()
    clock.move_to(tuesday_1am)
    run_reminders()
    run_reminders()

    assert subjects(mailoutbox) == [DIGEST_OF_ONE, DIGEST_OF_ONE]


def test_expiry_reminders_go_30_7_and_1_days_before_the_end_each_once(clock, mailoutbox):
    ends = MONDAY_9AM + timedelta(days=31, hours=3)
    ending = make_request(status=Status.APPROVED, approval_expires_at=ends)

    reminded_days_left = []
    for days_left in range(31, -1, -1):  # daily until the morning of the last day
        clock.move_to(ends - timedelta(days=days_left, hours=3))
        sent_before = len(mailoutbox)
        run_reminders()
        run_reminders()
        reminded_days_left += [days_left] * (len(mailoutbox) - sent_before)

    assert reminded_days_left == [30, 7, 1]
    assert subjects(mailoutbox) == [ending_subject(ending)] * 3
    ending.refresh_from_db()
    assert (ending.status, ending.expiry_reminder_days) == (Status.APPROVED, 1)


def test_after_a_missed_day_only_the_most_urgent_due_reminder_goes_once(clock, mailoutbox):
    seven_day_missed = make_request(
        status=Status.APPROVED,
        approval_expires_at=MONDAY_9AM + timedelta(days=6),
        expiry_reminder_days=30,
    )
    first_seen_at_5_days = make_request(
        status=Status.APPROVED, approval_expires_at=MONDAY_9AM + timedelta(days=5)
    )

    run_reminders()
    run_reminders()

    assert subjects(mailoutbox) == sorted(
        [ending_subject(seven_day_missed), ending_subject(first_seen_at_5_days)]
    )
    assert [
        AccessRequest.objects.get(pk=r.pk).expiry_reminder_days
        for r in (seven_day_missed, first_seen_at_5_days)
    ] == [7, 7]

    clock.move_to(MONDAY_9AM + timedelta(days=5, hours=-1))  # no runs in between
    run_reminders()
    run_reminders()

    assert len(mailoutbox) == 4
    assert [
        AccessRequest.objects.get(pk=r.pk).expiry_reminder_days
        for r in (seven_day_missed, first_seen_at_5_days)
    ] == [1, 1]


@pytest.fixture
def failing_for(monkeypatch):
    """Make the expiry reminder of one request fail to be recorded and queued (a template error)."""
    send = notifications.notify_partner_of_expiring_approval

    def fail_for(request_id):
        def notify_partner_of_expiring_approval(*, access_request):
            if access_request.pk == request_id:
                raise OSError("template missing")
            return send(access_request=access_request)

        monkeypatch.setattr(
            notifications,
            "notify_partner_of_expiring_approval",
            notify_partner_of_expiring_approval,
        )

    return fail_for


def test_a_failed_reminder_does_not_stop_the_others_and_is_retried_next_run(
    clock, failing_for, monkeypatch, mailoutbox, caplog
):
    unlucky, lucky = (
        make_request(status=Status.APPROVED, approval_expires_at=MONDAY_9AM + timedelta(days=7))
        for _ in range(2)
    )
    failing_for(unlucky.pk)

    out = StringIO()
    with (
        caplog.at_level(logging.ERROR),
        pytest.raises(CommandError, match=r"^1 reminder\(s\) failed \(see the log\)"),
    ):
        call_command("send_review_reminders", stdout=out)

    assert out.getvalue().strip().endswith("reminded partners of 1 approval(s) ending soon.")
    assert subjects(mailoutbox) == [ending_subject(lucky)]
    assert AccessRequest.objects.get(pk=unlucky.pk).expiry_reminder_days is None
    assert AccessRequest.objects.get(pk=lucky.pk).expiry_reminder_days == 7
    assert [
        record.getMessage() for record in caplog.records if record.levelno >= logging.ERROR
    ] == [
        f"Review reminder failed: the expiry reminder of access request {unlucky.pk}; "
        "the next run retries it"
    ]

    monkeypatch.undo()  # the template is back
    clock.move_to(MONDAY_9AM + timedelta(days=1))
    run_reminders()

    assert [message.subject for message in mailoutbox] == [
        ending_subject(lucky),
        ending_subject(unlucky),
    ]
    assert AccessRequest.objects.get(pk=unlucky.pk).expiry_reminder_days == 7


def test_a_failed_overdue_digest_is_retried_next_run(clock, settings, monkeypatch, mailoutbox):
    settings.REVIEW_TARGET_BUSINESS_DAYS = 5
    make_reviewer()
    overdue = make_request(submitted_at=MONDAY_9AM - timedelta(days=14))
    send = notifications.notify_reviewers_of_overdue

    def refuse(**kwargs):
        raise OSError("template missing")

    monkeypatch.setattr(notifications, "notify_reviewers_of_overdue", refuse)
    with pytest.raises(CommandError):
        run_reminders()
    assert AccessRequest.objects.get(pk=overdue.pk).overdue_reminded_at is None

    monkeypatch.setattr(notifications, "notify_reviewers_of_overdue", send)
    run_reminders()

    assert subjects(mailoutbox) == [DIGEST_OF_ONE]
    assert AccessRequest.objects.get(pk=overdue.pk).overdue_reminded_at == MONDAY_9AM


def test_a_reminder_whose_mail_fails_to_send_stays_recorded_and_is_not_sent_again(
    clock, failing_mail, monkeypatch, mailoutbox, caplog
):
    ending = make_request(
        status=Status.APPROVED, approval_expires_at=MONDAY_9AM + timedelta(days=7)
    )

    # The tests' tasks run at once: the mail task's retries all fail, then it gives up.
    with caplog.at_level(logging.ERROR):
        output = run_reminders()

    assert output.strip().endswith("reminded partners of 1 approval(s) ending soon.")
    assert AccessRequest.objects.get(pk=ending.pk).expiry_reminder_days == 7
    assert [r for r in caplog.records if r.name == "apps_registry.mail"][-1].getMessage() == (
        f"Email {ending_subject(ending)!r} to {[ending.submitted_by.email]} failed 5 times; "
        "giving up"
    )

    monkeypatch.undo()  # the mail server is back
    clock.move_to(MONDAY_9AM + timedelta(days=1))
    run_reminders()

    assert mailoutbox == []


@pytest.mark.django_db(transaction=True)
def test_a_mail_failure_does_not_stop_the_daily_expiry(failing_mail):
    past = timezone.now() - timedelta(minutes=1)
    due = [
        make_request(status=Status.APPROVED, approval_expires_at=past),
        make_request(status=Status.APPROVED, approval_expires_at=past),
    ]

    call_command("send_review_reminders")

    assert [AccessRequest.objects.get(pk=r.pk).status for r in due] == [
        Status.EXPIRED,
        Status.EXPIRED,
    ]
