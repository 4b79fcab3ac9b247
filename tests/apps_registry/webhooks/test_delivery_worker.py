"""The real worker (django-tasks-db's db_worker) and the sweep: a committed event is delivered
exactly once even when its wake-up is lost, the sweep runs twice, or a worker dies mid-attempt."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from apps_registry.models import TEST_EVENT_TYPE, WebhookDelivery
from apps_registry.webhooks import outbox
from apps_registry.webhooks.delivery import (
    SWEEP_GRACE,
    claim,
    deliver,
    enqueue_due_deliveries,
)
from tests import factories
from tests.webhook_receiver import subscribe
from tests.worker import run_worker

pytestmark = pytest.mark.django_db(transaction=True)

Status = WebhookDelivery.Status


@pytest.fixture(autouse=True)
def database_tasks(settings, loopback_webhooks):
    """Tasks go to the database, as in production, until a worker runs them."""
    settings.TASKS = {
        "default": {
            "BACKEND": "django_tasks_db.DatabaseBackend",
            "QUEUES": ["default", "webhooks"],
        }
    }


def _commit_event(app) -> WebhookDelivery:
    with transaction.atomic():
        return outbox.record_event(
            app_id=app.pk, event_type=TEST_EVENT_TYPE, data={"n": 1}, now=timezone.now()
        )


def _overdue(delivery: WebhookDelivery) -> None:
    """Make the delivery due for longer than the sweep's grace, as if committed minutes ago:
    with this backend the sweep leaves a delivery due only just now to its wake-up."""
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        next_attempt_at=timezone.now() - SWEEP_GRACE - timedelta(seconds=1)
    )


def test_the_wake_up_on_commit_reaches_the_worker(webhook_receiver):
    app = factories.PartnerAppFactory()
    subscribe(app, url=webhook_receiver.url)

    delivery = _commit_event(app)

    assert list(DBTaskResult.objects.values_list("queue_name", "args_kwargs")) == [
        ("webhooks", {"args": [delivery.pk], "kwargs": {}})
    ]
    assert webhook_receiver.requests == []
    run_worker()
    delivery.refresh_from_db()
    assert delivery.status == Status.DELIVERED
    assert len(webhook_receiver.requests) == 1


def test_a_lost_wake_up_is_delivered_once_by_the_sweep_however_often_it_runs(
    webhook_receiver, monkeypatch
):
    app = factories.PartnerAppFactory()
    subscribe(app, url=webhook_receiver.url)

    def unreachable(delivery_ids):
        raise ConnectionError("the process died before telling the worker")

    monkeypatch.setattr(outbox, "_wake_worker", unreachable)
    delivery = _commit_event(app)
    _overdue(delivery)
    assert not DBTaskResult.objects.exists()
    run_worker()
    assert webhook_receiver.requests == []

    # Two schedulers (or one, twice) sweep before the worker runs: two tasks, one POST.
    assert enqueue_due_deliveries() == 1
    assert enqueue_due_deliveries() == 1
    run_worker()

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempt_count) == (Status.DELIVERED, 1)
    assert [request.headers["Webhook-Id"] for request in webhook_receiver.requests] == [
        delivery.event_id
    ]
    assert list(DBTaskResult.objects.values_list("status", flat=True)) == ["SUCCESSFUL"] * 2
    assert enqueue_due_deliveries() == 0


def test_a_failed_attempt_is_deferred_to_when_the_retry_is_due(webhook_receiver):
    webhook_receiver.answer(500)
    app = factories.PartnerAppFactory()
    subscribe(app, url=webhook_receiver.url)
    delivery = _commit_event(app)

    run_worker()

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempt_count) == (Status.PENDING, 1)
    retry = DBTaskResult.objects.get(status="READY")
    assert (retry.queue_name, retry.run_after, retry.args_kwargs["args"]) == (
        "webhooks",
        delivery.next_attempt_at,
        [delivery.pk],
    )
    run_worker()  # not due yet
    assert len(webhook_receiver.requests) == 1


def test_a_delivery_held_by_a_crashed_worker_is_retried_once_its_claim_lapses(
    webhook_receiver, monkeypatch
):
    app = factories.PartnerAppFactory()
    subscribe(app, url=webhook_receiver.url)
    monkeypatch.setattr(outbox, "_wake_worker", lambda delivery_ids: None)
    delivery = _commit_event(app)
    _overdue(delivery)
    # A worker claimed it and died before posting.
    assert claim(delivery_id=delivery.pk, now=timezone.now()) is not None

    assert enqueue_due_deliveries() == 0
    deliver.enqueue(delivery.pk)
    run_worker()
    assert webhook_receiver.requests == []

    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        locked_until=timezone.now() - timedelta(seconds=1)
    )
    assert enqueue_due_deliveries() == 1
    run_worker()

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempt_count) == (Status.DELIVERED, 1)
    assert len(webhook_receiver.requests) == 1


def test_the_sweep_leaves_a_delivery_due_only_just_now_to_its_wake_up(webhook_receiver):
    app = factories.PartnerAppFactory()
    subscribe(app, url=webhook_receiver.url)
    delivery = _commit_event(app)
    DBTaskResult.objects.all().delete()  # the wake-up, whichever way it went

    assert enqueue_due_deliveries() == 0
    assert DBTaskResult.objects.count() == 0

    _overdue(delivery)
    assert enqueue_due_deliveries() == 1
    assert list(DBTaskResult.objects.values_list("args_kwargs", flat=True)) == [
        {"args": [delivery.pk], "kwargs": {}}
    ]
