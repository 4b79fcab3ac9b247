"""Delivering webhooks on the worker: claim, sign, POST, record the attempt, retry with backoff.

A worker claims a delivery with one conditional UPDATE, so two workers never post the same event
at once, and an app's receiver gets one delivery at a time: a slow or dead receiver holds up only
its own app's events. The POST runs outside any transaction; the attempt is recorded after it.
A worker that dies mid-attempt leaves the delivery locked until `locked_until`, after which the
periodic sweep (`enqueue_due_deliveries`) hands it to another.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, Subquery
from django.tasks import task
from django.utils import timezone

from apps_registry.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from apps_registry.notifications import notify_partner_of_failing_webhook
from apps_registry.webhooks import signing, transport

logger = logging.getLogger(__name__)

Status = WebhookDelivery.Status

# Beyond the POST's own timeouts, how long a claim lasts, so a worker that is merely slow to record
# its attempt keeps it.
CLAIM_MARGIN_SECONDS = 30
# With a backend that defers, each retry is enqueued for its time and each new event on its commit:
# the sweep takes only what should have been picked up by now, not what is merely queued behind
# busy workers, so a lagging queue is not topped up with the same deliveries every minute.
SWEEP_GRACE = timedelta(minutes=2)
# A fault of ours, not the receiver's: its details go to the log, never to the partner.
INTERNAL_ERROR = "The console could not sign or send this delivery; the platform has been alerted"


@task(queue_name="webhooks")
def deliver(delivery_id: int) -> None:
    """Attempt the delivery if it is due and nobody else holds it."""
    attempt_delivery(delivery_id=delivery_id)


def attempt_delivery(*, delivery_id: int, now: datetime | None = None) -> bool:
    """Claim the delivery, POST it once and record the outcome; then wake the app's next due
    delivery. Returns False when it was not claimed (not due, held, or its app's receiver busy)."""
    now = now or timezone.now()
    claimed_until = claim(delivery_id=delivery_id, now=now)
    if claimed_until is None:
        return False
    delivery = WebhookDelivery.objects.get(pk=delivery_id)
    endpoint = WebhookEndpoint.objects.filter(app_id=delivery.app_id).first()
    if endpoint is None:
        fail_without_endpoint(delivery_id=delivery_id, claimed_until=claimed_until, now=now)
    else:
        result = post_delivery(delivery, endpoint=endpoint, now=now)
        record_attempt(
            delivery_id=delivery_id,
            claimed_until=claimed_until,
            url=endpoint.url,
            result=result,
            now=now,
        )
    wake_next_delivery(app_id=delivery.app_id, now=now)
    return True


def claim(*, delivery_id: int, now: datetime) -> datetime | None:
    """Hold the delivery until the returned moment if it is pending, due, not held, and no other
    delivery of its app is held; None otherwise. One UPDATE under the app's endpoint lock, so two
    workers cannot both win, nor hold two of one app's deliveries."""
    claimed_until = now + claim_duration()
    app_id = WebhookDelivery.objects.filter(pk=delivery_id).values_list("app_id", flat=True).first()
    if app_id is None:
        return None
    with transaction.atomic():
        # Claims of one app's deliveries queue on its endpoint's row. Without it, PostgreSQL's
        # READ COMMITTED would let two workers claiming two different deliveries of the app both
        # find no other held; after the lock, the UPDATE's fresh snapshot sees the first claim.
        _lock_endpoint(app_id)
        rows = (
            WebhookDelivery.objects.filter(
                _unlocked(now), pk=delivery_id, status=Status.PENDING, next_attempt_at__lte=now
            )
            .filter(~Exists(_held(now).filter(app_id=app_id).exclude(pk=delivery_id)))
            .update(locked_until=claimed_until)
        )
    return claimed_until if rows == 1 else None


def claim_duration() -> timedelta:
    return timedelta(
        seconds=settings.WEBHOOK_CONNECT_TIMEOUT_SECONDS
        + settings.WEBHOOK_TIMEOUT_SECONDS
        + CLAIM_MARGIN_SECONDS
    )


def post_delivery(
    delivery: WebhookDelivery, *, endpoint: WebhookEndpoint, now: datetime
) -> transport.PostResult:
    """POST the delivery's payload to the endpoint, signed for this attempt's time. A fault of
    ours (a secret no key decrypts, a bug) is a failed attempt too, so the delivery is retried
    and fails as usual instead of staying claimed at the head of its app's queue."""
    started = time.monotonic()
    try:
        body = signing.body(delivery.payload)
        headers = signing.signed_headers(
            signing_secrets=signing.signing_secrets(endpoint, now=now),
            event_id=delivery.event_id,
            timestamp=int(now.timestamp()),
            body=body,
        )
        return transport.post(endpoint.url, body=body, headers=headers)
    except Exception:
        logger.exception("Webhook delivery %s could not be signed or posted", delivery.pk)
        duration_ms = round((time.monotonic() - started) * 1000)
        return transport.PostResult(None, INTERNAL_ERROR, "", duration_ms)


@transaction.atomic
def record_attempt(
    *,
    delivery_id: int,
    claimed_until: datetime,
    url: str,
    result: transport.PostResult,
    now: datetime,
) -> WebhookDelivery | None:
    """Write the attempt and move the delivery on: delivered, retried later, or failed once the
    retries are used up. None when the claim was lost meanwhile (nothing is written)."""
    delivery = _lock_delivery(delivery_id)
    if delivery.status != Status.PENDING or delivery.locked_until != claimed_until:
        logger.warning("Webhook delivery %s: claim lost during the attempt", delivery_id)
        return None
    WebhookAttempt.objects.create(
        delivery=delivery,
        number=delivery.attempt_count + 1,
        url=url,
        started_at=now,
        duration_ms=result.duration_ms,
        response_status=result.response_status,
        error=result.error,
        response_excerpt=result.excerpt,
    )
    delivery.attempt_count += 1
    delivery.last_response_status = result.response_status
    delivery.locked_until = None
    if result.succeeded:
        _finish(delivery, status=Status.DELIVERED, now=now)
        WebhookEndpoint.objects.filter(app_id=delivery.app_id).update(failing_since=None)
        return delivery
    delay = retry_delay(delivery)
    if delay is None:
        _finish(delivery, status=Status.FAILED, now=now)
        _mark_endpoint_failing(app_id=delivery.app_id, now=now)
        return delivery
    delivery.next_attempt_at = now + delay
    delivery.save(
        update_fields=["attempt_count", "last_response_status", "locked_until", "next_attempt_at"]
    )
    _schedule(delivery_id=delivery.pk, run_after=delivery.next_attempt_at)
    return delivery


def retry_delay(delivery: WebhookDelivery) -> timedelta | None:
    """How long after a failed attempt the next one is due, or None once this round's retries are
    used up (a replay starts a new round)."""
    attempts_in_round = delivery.attempt_count - delivery.round_started_at_attempt
    delays = settings.WEBHOOK_RETRY_DELAYS_SECONDS
    if attempts_in_round > len(delays):
        return None
    return timedelta(seconds=delays[attempts_in_round - 1])


@transaction.atomic
def fail_without_endpoint(*, delivery_id: int, claimed_until: datetime, now: datetime) -> None:
    """The app's endpoint was removed after the event: there is nowhere to post it."""
    delivery = _lock_delivery(delivery_id)
    if delivery.status != Status.PENDING or delivery.locked_until != claimed_until:
        return
    delivery.locked_until = None
    _finish(delivery, status=Status.FAILED, now=now)


def wake_next_delivery(*, app_id: int, now: datetime) -> None:
    """Enqueue the app's earliest due delivery, so a backlog drains without waiting for the
    sweep once the receiver is free."""
    next_id = _first_due_per_app(now).filter(app_id=app_id).values_list("pk", flat=True).first()
    if next_id is not None:
        deliver.enqueue(next_id)


def enqueue_due_deliveries(*, now: datetime | None = None, limit: int = 500) -> int:
    """The periodic sweep: enqueue each app's earliest due, unheld delivery whose receiver is
    free, oldest first. Recovers lost wake-ups and crashed workers; the claim makes a second
    run harmless. Returns how many were enqueued."""
    now = now or timezone.now()
    # A backend that cannot defer (the immediate one in tests) leaves every retry to the sweep.
    overdue_at = now - SWEEP_GRACE if deliver.get_backend().supports_defer else now
    held_apps = _held(now).values("app_id")
    due_ids = list(
        _first_due_per_app(now)
        .filter(next_attempt_at__lte=overdue_at)
        .exclude(app_id__in=held_apps)
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    for delivery_id in due_ids:
        deliver.enqueue(delivery_id)
    return len(due_ids)


def _finish(delivery: WebhookDelivery, *, status: str, now: datetime) -> None:
    delivery.status = status
    delivery.finished_at = now
    delivery.next_attempt_at = None
    delivery.save(
        update_fields=[
            "attempt_count",
            "last_response_status",
            "locked_until",
            "status",
            "finished_at",
            "next_attempt_at",
        ]
    )


def _mark_endpoint_failing(*, app_id: int, now: datetime) -> None:
    # Only the change from working to failing mails the partner: one dead receiver, one email.
    became_failing = WebhookEndpoint.objects.filter(
        app_id=app_id, failing_since__isnull=True
    ).update(failing_since=now)
    if not became_failing:
        return
    # Queued in this transaction (the database backend writes the task row in it), so the one
    # email commits with failing_since and a crash right after the commit cannot lose it. A
    # failure to queue it is logged and must not undo the attempt, or the delivery would be
    # posted again and again.
    try:
        with transaction.atomic():
            notify_partner_of_failing_webhook(app_id=app_id)
    except Exception:
        logger.exception("Webhook endpoint of app %s is failing; its email was not queued", app_id)


def _schedule(*, delivery_id: int, run_after: datetime) -> None:
    # A backend that cannot defer (the immediate one in tests) leaves the retry to the sweep.
    if deliver.get_backend().supports_defer:
        transaction.on_commit(
            lambda: deliver.using(run_after=run_after).enqueue(delivery_id), robust=True
        )


def _lock_endpoint(app_id: int) -> None:
    list(WebhookEndpoint.objects.select_for_update().filter(app_id=app_id).values("pk"))


def _lock_delivery(delivery_id: int) -> WebhookDelivery:
    """Lock the delivery's endpoint, then the delivery: the order of the claim and of the
    services (replay), so a recorder and a claimer of one app never wait on each other in a
    circle (PostgreSQL would abort one of them as a deadlock)."""
    app_id = WebhookDelivery.objects.values_list("app_id", flat=True).get(pk=delivery_id)
    _lock_endpoint(app_id)
    return WebhookDelivery.objects.select_for_update().get(pk=delivery_id)


def _unlocked(now: datetime) -> Q:
    return Q(locked_until__isnull=True) | Q(locked_until__lte=now)


def _held(now: datetime):
    return WebhookDelivery.objects.filter(locked_until__gt=now)


def _due(now: datetime):
    return WebhookDelivery.objects.filter(
        _unlocked(now), status=Status.PENDING, next_attempt_at__lte=now
    )


def _first_due_per_app(now: datetime):
    earliest = _due(now).filter(app_id=OuterRef("app_id")).order_by("next_attempt_at", "pk")
    return _due(now).filter(pk=Subquery(earliest.values("pk")[:1]))
