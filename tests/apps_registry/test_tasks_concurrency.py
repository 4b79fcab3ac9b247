"""Two runs of a periodic job at once (two schedulers, a manual run next to the scheduled one), with
real threads and connections (PostgreSQL row locks): each reminder still goes once, and each
authorization gets its event once."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from apps_registry.models import AccessRequest, WebhookDelivery, WebhookTopic
from apps_registry.services import authorization_jobs
from apps_registry.services.access_request_jobs import (
    access_request_remind_expiry,
    access_requests_remind_overdue,
    review_reminders_send,
)
from apps_registry.webhooks import outbox
from tests import factories
from tests.apps_registry.review_helpers import make_request, make_reviewer
from tests.concurrency import backend_pid, hold_until_blocked_or_finished, race
from tests.webhook_receiver import subscribe

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


# --- Authorization jobs: batches locked with skip_locked ----------------------------------------

AUTHORIZATIONS = 5
BATCH_SIZE = 2
# Each job, its topic, and where a due authorization's end lies from now.
AUTHORIZATION_JOBS = [
    pytest.param(
        authorization_jobs.authorizations_warn_expiring,
        WebhookTopic.AUTHORIZATION_EXPIRING,
        timedelta(days=10),
        id="expiring",
    ),
    pytest.param(
        authorization_jobs.authorizations_expire_due,
        WebhookTopic.AUTHORIZATION_EXPIRED,
        -timedelta(hours=1),
        id="expired",
    ),
]


class FirstRunDiedError(Exception):
    pass


@pytest.fixture
def woken_worker(monkeypatch) -> mock.Mock:
    """The webhook delivery task, replaced: what the committed events woke, and nothing sent."""
    deliver = mock.Mock()
    monkeypatch.setattr(outbox, "deliver", deliver)
    return deliver


def due_authorizations(ends_in: timedelta, *, now) -> list:
    """AUTHORIZATIONS of one subscribed app, each of its own shop, all due for `ends_in`."""
    app = factories.PartnerAppFactory()
    subscribe(app, url="https://hooks.example.com/partner")
    return [
        factories.ShopAuthorizationFactory(app=app, expires_at=now + ends_in)
        for _ in range(AUTHORIZATIONS)
    ]


def overlapping_job_runs(job, monkeypatch, *, now, then=lambda: None):
    """A first run of `job` locks and tells its first batch, then holds it uncommitted until a
    whole second run is done (or waits on it), then runs `then` (which may raise to roll the batch
    back) and goes on; returns both outcomes."""
    monkeypatch.setattr(authorization_jobs, "BATCH_SIZE", BATCH_SIZE)
    first_thread, second_pid = [], []
    first_holding, second_ready, second_finished = (threading.Event() for _ in range(3))
    record_events = authorization_jobs.record_events

    def record_then_hold(**kwargs):
        deliveries = record_events(**kwargs)
        if threading.get_ident() in first_thread and not first_holding.is_set():
            first_holding.set()
            second_ready.wait(timeout=10)
            hold_until_blocked_or_finished(second_pid[0], second_finished)
            then()
        return deliveries

    monkeypatch.setattr(authorization_jobs, "record_events", record_then_hold)

    def first():
        first_thread.append(threading.get_ident())
        return job(now=now)

    def second():
        # Only once the first run holds its batch: otherwise the second could simply go first.
        first_holding.wait(timeout=10)
        second_pid.append(backend_pid())
        second_ready.set()
        try:
            return job(now=now)
        finally:
            second_finished.set()

    return race(first, second, expected_errors=FirstRunDiedError)


def events_per_shop(topic) -> Counter:
    deliveries = WebhookDelivery.objects.filter(event_type=topic)
    return Counter(delivery.payload["data"]["shop_id"] for delivery in deliveries)


def woken_deliveries(woken_worker) -> list[int]:
    return sorted(call.args[0] for call in woken_worker.enqueue.call_args_list)


@pytest.mark.parametrize(("job", "topic", "ends_in"), AUTHORIZATION_JOBS)
def test_an_overlapping_run_skips_the_held_batch_and_each_authorization_is_told_once(
    job, topic, ends_in, woken_worker, monkeypatch
):
    now = timezone.now()
    authorizations = due_authorizations(ends_in, now=now)

    outcomes = overlapping_job_runs(job, monkeypatch, now=now)

    # The second run told every authorization but the held batch; the first, resumed, found
    # nothing more due.
    assert outcomes == [BATCH_SIZE, AUTHORIZATIONS - BATCH_SIZE]
    assert job(now=now) == 0
    assert events_per_shop(topic) == Counter(a.shop_id for a in authorizations)
    assert woken_deliveries(woken_worker) == sorted(
        WebhookDelivery.objects.values_list("pk", flat=True)
    )


@pytest.mark.parametrize(("job", "topic", "ends_in"), AUTHORIZATION_JOBS)
def test_a_held_batch_that_rolls_back_is_told_by_a_later_run(
    job, topic, ends_in, woken_worker, monkeypatch
):
    now = timezone.now()
    authorizations = due_authorizations(ends_in, now=now)

    def die():
        raise FirstRunDiedError

    died, second_run = overlapping_job_runs(job, monkeypatch, now=now, then=die)

    assert (type(died), second_run) == (FirstRunDiedError, AUTHORIZATIONS - BATCH_SIZE)
    # The held batch rolled back untold; the second run had skipped it.
    assert events_per_shop(topic) == Counter(a.shop_id for a in authorizations[BATCH_SIZE:])

    assert job(now=now) == BATCH_SIZE
    assert events_per_shop(topic) == Counter(a.shop_id for a in authorizations)
    assert woken_deliveries(woken_worker) == sorted(
        WebhookDelivery.objects.values_list("pk", flat=True)
    )
