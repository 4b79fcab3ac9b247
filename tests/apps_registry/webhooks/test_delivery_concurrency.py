"""Workers in parallel, with real threads and connections: one POST per claim (PostgreSQL), and a
slow receiver holds up only its own app."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from apps_registry.models import TEST_EVENT_TYPE, WebhookAttempt, WebhookDelivery
from apps_registry.webhooks.delivery import attempt_delivery, claim, record_attempt
from apps_registry.webhooks.outbox import record_event
from apps_registry.webhooks.transport import PostResult
from tests import factories
from tests.concurrency import THREAD_TIMEOUT_SECONDS, race
from tests.webhook_receiver import Reply, subscribe

pytestmark = pytest.mark.django_db(transaction=True)

Status = WebhookDelivery.Status
ROUNDS = 5


def _event(app) -> WebhookDelivery:
    # Outside a transaction the wake-up would run at once; these tests drive the attempts.
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("apps_registry.webhooks.outbox._wake_worker", lambda delivery_ids: None)
        return record_event(
            app_id=app.pk, event_type=TEST_EVENT_TYPE, data={"n": 1}, now=timezone.now()
        )


@pytest.mark.postgres
def test_two_workers_racing_for_a_delivery_post_it_once(webhook_receiver, loopback_webhooks):
    app = factories.PartnerAppFactory()
    subscribe(app, url=webhook_receiver.url)
    for round_number in range(1, ROUNDS + 1):
        delivery = _event(app)

        outcomes = race(
            lambda d=delivery: attempt_delivery(delivery_id=d.pk),
            lambda d=delivery: attempt_delivery(delivery_id=d.pk),
        )

        assert sorted(outcomes) == [False, True]
        delivery.refresh_from_db()
        assert (delivery.status, delivery.attempt_count) == (Status.DELIVERED, 1)
        assert len(webhook_receiver.requests) == round_number


@pytest.mark.postgres
def test_a_claim_waits_for_another_claim_of_the_same_app(webhook_receiver, loopback_webhooks):
    """Worker A has claimed the app's first delivery but not yet committed; worker B, claiming
    the second, waits for A and then finds the app's receiver busy."""
    app = factories.PartnerAppFactory()
    subscribe(app, url=webhook_receiver.url)
    first, second = _event(app), _event(app)
    holding = threading.Event()

    def claim_first_and_linger() -> None:
        try:
            with transaction.atomic():
                assert claim(delivery_id=first.pk, now=timezone.now()) is not None
                holding.set()
                time.sleep(0.5)
        finally:
            connection.close()

    worker = threading.Thread(target=claim_first_and_linger)
    worker.start()
    assert holding.wait(5)

    assert claim(delivery_id=second.pk, now=timezone.now()) is None

    worker.join(THREAD_TIMEOUT_SECONDS)
    held = WebhookDelivery.objects.filter(locked_until__isnull=False)
    assert list(held.values_list("pk", flat=True)) == [first.pk]


@pytest.mark.postgres
def test_recording_an_attempt_and_a_duplicate_claim_do_not_deadlock(
    webhook_receiver, loopback_webhooks, monkeypatch
):
    """A duplicate task claims the delivery while its worker records the attempt: both lock the
    endpoint before the delivery, so the claim waits and then finds it delivered."""
    app = factories.PartnerAppFactory()
    subscribe(app, url=webhook_receiver.url)
    delivery = _event(app)
    claimed_until = claim(delivery_id=delivery.pk, now=timezone.now())
    recording = threading.Event()
    create_attempt = WebhookAttempt.objects.create

    def create_attempt_slowly(**fields):
        recording.set()
        time.sleep(0.5)  # the duplicate claim starts meanwhile
        return create_attempt(**fields)

    monkeypatch.setattr(WebhookAttempt.objects, "create", create_attempt_slowly)

    def record() -> WebhookDelivery | None:
        return record_attempt(
            delivery_id=delivery.pk,
            claimed_until=claimed_until,
            url=webhook_receiver.url,
            result=PostResult(200, "", "ok", 5),
            now=timezone.now(),
        )

    def claim_again() -> datetime | None:
        assert recording.wait(5)
        # After the claim lapses, as when a worker is slow to record.
        return claim(delivery_id=delivery.pk, now=claimed_until + timedelta(seconds=1))

    recorded, claimed_again = race(record, claim_again)

    assert (recorded.status, claimed_again) == (Status.DELIVERED, None)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempt_count, delivery.locked_until) == (
        Status.DELIVERED,
        1,
        None,
    )


def test_a_slow_receiver_does_not_delay_another_apps_delivery(
    make_webhook_receiver, loopback_webhooks
):
    loopback_webhooks.WEBHOOK_TIMEOUT_SECONDS = 2.0
    slow, fast = make_webhook_receiver(), make_webhook_receiver()
    slow.answer(Reply(delay=10))
    slow_app, fast_app = factories.PartnerAppFactory(), factories.PartnerAppFactory()
    subscribe(slow_app, url=slow.url)
    subscribe(fast_app, url=fast.url)
    slow_first, slow_second, fast_delivery = _event(slow_app), _event(slow_app), _event(fast_app)

    def deliver_slow() -> None:
        try:
            attempt_delivery(delivery_id=slow_first.pk)
        finally:
            connection.close()

    worker = threading.Thread(target=deliver_slow)
    worker.start()
    assert slow.request_arrived.wait(5)
    in_flight_since = slow.requests[0].received_at

    # While the slow app's first delivery is in flight, its second is not taken...
    assert not attempt_delivery(delivery_id=slow_second.pk)
    # ...but another app's is, long before the slow one times out.
    assert attempt_delivery(delivery_id=fast_delivery.pk)
    assert fast.requests[0].received_at - in_flight_since < 1.0
    fast_delivery.refresh_from_db()
    assert fast_delivery.status == Status.DELIVERED
    assert worker.is_alive()

    worker.join(THREAD_TIMEOUT_SECONDS)
    slow_first.refresh_from_db()
    assert (slow_first.status, slow_first.attempt_count) == (Status.PENDING, 1)
    assert slow_first.attempts.get().error == "Timed out after 2 s"
    # Finishing the first woke the second, which the receiver now answers.
    slow_second.refresh_from_db()
    assert slow_second.status == Status.DELIVERED
    assert [request.headers["Webhook-Id"] for request in slow.requests] == [
        slow_first.event_id,
        slow_second.event_id,
    ]
    assert time.monotonic() - in_flight_since < 5
