"""The periodic schedule (apps_registry/tasks.py): what runs when, and that a run repeated (two
schedulers, a retried task) does nothing twice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from crontask import scheduler
from django.tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from apps_registry import tasks
from apps_registry.models import AccessRequest, WebhookAttempt, WebhookDelivery
from apps_registry.services import authorization_jobs
from apps_registry.webhooks import delivery
from tests import factories
from tests.apps_registry.review_helpers import make_request, make_reviewer

pytestmark = pytest.mark.django_db

Status = AccessRequest.Status
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(NOW, tick=False)
    return time_machine


def test_the_schedule_enqueues_each_periodic_task_on_the_default_queue_at_its_time():
    schedule = {
        job.name: (
            "{minute} {hour} {day} {month} {day_of_week}".format(
                **{field.name: str(field) for field in job.trigger.fields}
            ),
            job.func.__self__.queue_name,
        )
        for job in scheduler.get_jobs()
        if job.func.__self__.module_path.startswith("apps_registry.tasks.")
    }

    assert schedule == {
        "enqueue_due_webhook_deliveries": ("* * * * *", "default"),
        "warn_expiring_authorizations": ("5 * * * *", "default"),
        "expire_due_authorizations": ("10 * * * *", "default"),
        "send_review_reminders": ("0 7 * * *", "default"),
        "clear_expired_oauth_tokens": ("0 3 * * *", "default"),
        "prune_task_results": ("20 3 * * *", "default"),
        "prune_webhook_deliveries": ("40 3 * * *", "default"),
    }
    assert all(job.func.__func__.__name__ == "enqueue" for job in scheduler.get_jobs())


@pytest.mark.parametrize(
    ("periodic_task", "module", "job"),
    [
        (tasks.enqueue_due_webhook_deliveries, delivery, "enqueue_due_deliveries"),
        (tasks.warn_expiring_authorizations, authorization_jobs, "authorizations_warn_expiring"),
        (tasks.expire_due_authorizations, authorization_jobs, "authorizations_expire_due"),
    ],
)
def test_the_webhook_and_authorization_tasks_run_their_job(periodic_task, module, job, monkeypatch):
    calls = []
    monkeypatch.setattr(module, job, lambda **kwargs: calls.append(kwargs) or 3)

    result = periodic_task.enqueue()

    assert (result.status, result.return_value, calls) == (TaskResultStatus.SUCCESSFUL, 3, [{}])


def test_the_review_reminders_run_twice_send_each_reminder_once(
    clock, settings, mailoutbox, django_capture_on_commit_callbacks
):
    settings.REVIEW_TARGET_BUSINESS_DAYS = 5
    make_reviewer()
    overdue = make_request(submitted_at=NOW - timedelta(days=14))
    ending = make_request(status=Status.APPROVED, approval_expires_at=NOW + timedelta(days=7))
    past = make_request(status=Status.APPROVED, approval_expires_at=NOW - timedelta(hours=1))

    with django_capture_on_commit_callbacks(execute=True):  # the expiry's mail waits for it
        first = tasks.send_review_reminders.enqueue()
        second = tasks.send_review_reminders.enqueue()

    assert (first.return_value, second.return_value) == (
        {"expired": 1, "digest_listed": 1, "reminded": 1, "failed": 0},
        {"expired": 0, "digest_listed": 0, "reminded": 0, "failed": 0},
    )
    assert sorted(message.subject for message in mailoutbox) == [
        "1 application(s) past the review target",
        f"Approval ending soon: {ending.scope.key} for {ending.app.name}",
        f"Approval expired: {past.scope.key} for {past.app.name}",
    ]
    overdue.refresh_from_db()
    ending.refresh_from_db()
    assert (overdue.overdue_reminded_at, ending.expiry_reminder_days) == (NOW, 7)


def test_a_failed_reminder_fails_the_task_after_sending_the_others(clock, monkeypatch, mailoutbox):
    unlucky = make_request(status=Status.APPROVED, approval_expires_at=NOW + timedelta(days=7))
    lucky = make_request(status=Status.APPROVED, approval_expires_at=NOW + timedelta(days=7))
    notify = tasks.access_request_jobs.notifications.notify_partner_of_expiring_approval

    def refuse_for_unlucky(*, access_request):
        if access_request.pk == unlucky.pk:
            raise OSError("template missing")
        return notify(access_request=access_request)

    monkeypatch.setattr(
        tasks.access_request_jobs.notifications,
        "notify_partner_of_expiring_approval",
        refuse_for_unlucky,
    )

    result = tasks.send_review_reminders.enqueue()

    assert result.status == TaskResultStatus.FAILED
    assert result.errors[0].exception_class is RuntimeError
    assert "1 reminder(s) failed (see the log); the next run retries them." in (
        result.errors[0].traceback
    )
    assert [message.subject for message in mailoutbox] == [
        f"Approval ending soon: {lucky.scope.key} for {lucky.app.name}"
    ]
    assert AccessRequest.objects.get(pk=unlucky.pk).expiry_reminder_days is None


# --- Clean-up -----------------------------------------------------------------------------------


def task_result(*, status, finished_at) -> DBTaskResult:
    return DBTaskResult.objects.create(
        status=status,
        task_path="apps_registry.mail.send_email",
        args_kwargs={"args": [], "kwargs": {}},
        backend_name="default",
        enqueued_at=finished_at,
        finished_at=finished_at,
    )


def test_task_results_are_pruned_after_their_retention_in_batches(clock, settings):
    settings.TASK_RESULT_RETENTION_DAYS = 14
    old = NOW - timedelta(days=14, seconds=1)
    for status in (TaskResultStatus.SUCCESSFUL, TaskResultStatus.FAILED) * 2:
        task_result(status=status, finished_at=old)
    kept = {
        task_result(status=TaskResultStatus.SUCCESSFUL, finished_at=NOW - timedelta(days=13)).pk,
        task_result(status=TaskResultStatus.READY, finished_at=None).pk,
    }

    assert tasks.housekeeping_jobs.task_results_prune(batch_size=3) == 4
    assert tasks.prune_task_results.enqueue().return_value == 0
    assert set(DBTaskResult.objects.values_list("pk", flat=True)) == kept


def webhook_delivery(*, app, status, finished_at, number) -> WebhookDelivery:
    pending = status == WebhookDelivery.Status.PENDING
    webhook = WebhookDelivery.objects.create(
        event_id=f"msg_{number}",
        app=app,
        event_type="authorization.revoked",
        payload={},
        created_at=NOW - timedelta(days=60),
        status=status,
        attempt_count=1,
        next_attempt_at=NOW if pending else None,
        finished_at=finished_at,
    )
    WebhookAttempt.objects.create(
        delivery=webhook,
        number=1,
        url="https://receiver.example/hook",
        started_at=NOW - timedelta(days=60),
        duration_ms=12,
        response_status=200,
    )
    return webhook


def test_finished_webhook_deliveries_are_pruned_with_their_attempts_after_30_days(clock):
    app = factories.PartnerAppFactory()
    old = NOW - timedelta(days=30, seconds=1)
    for number, status in enumerate([WebhookDelivery.Status.DELIVERED] * 2 + ["failed"] * 2):
        webhook_delivery(app=app, status=status, finished_at=old, number=number)
    kept = {
        webhook_delivery(
            app=app, status="delivered", finished_at=NOW - timedelta(days=29), number=10
        ).pk,
        webhook_delivery(app=app, status="pending", finished_at=None, number=11).pk,
    }

    assert tasks.housekeeping_jobs.webhook_deliveries_prune(batch_size=3) == 4
    assert tasks.prune_webhook_deliveries.enqueue().return_value == 0
    assert set(WebhookDelivery.objects.values_list("pk", flat=True)) == kept
    assert set(WebhookAttempt.objects.values_list("delivery_id", flat=True)) == kept
