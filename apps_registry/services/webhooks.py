"""An app's webhook endpoint: where its events go, which topics, the secret they are signed with,
a test event and replaying a delivery (ADR 0020).

Who may act: every member of the app's partner organisation, owner or developer, as for the app's
redirect URIs (lock_member_app: anyone else is refused with `not_a_member`; the pages and the API
answer 404 for another organisation's app before calling here). Suspension does not block any of
these services, unlike changes to the app's details: a suspended app keeps receiving
`app.suspended` and may fix, test and replay its receiver. A new secret is returned once, in
plaintext, and stored only encrypted (webhooks/secrets.py); audit rows keep its last characters.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from apps_registry.error_codes import WebhookErrorCode
from apps_registry.events import audit as audit_events
from apps_registry.events.audit import record_partner_event
from apps_registry.models import (
    TEST_EVENT_TYPE,
    PartnerApp,
    PartnerAuditEvent,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookTopic,
)
from apps_registry.services._app_lock import lock_member_app
from apps_registry.webhooks import outbox, secrets
from apps_registry.webhooks.delivery import deliver
from apps_registry.webhooks.urls import validated_webhook_url
from core.errors import (
    InvalidInputError,
    InvalidTransitionError,
    NotFoundError,
    RateLimitedError,
)

logger = logging.getLogger("apps_registry.webhooks")

# Each test event or replay is a signed POST to a URL the partner chose: a cap keeps the buttons
# from being a way to flood any public address.
TEST_EVENTS_PER_HOUR = 10
REPLAYS_PER_HOUR = 10


@dataclass(frozen=True)
class WebhookSetResult:
    endpoint: WebhookEndpoint
    created: bool
    # The plaintext signing secret, only when the endpoint was created: shown once.
    secret: str | None = None


def _lock_endpoint(app: PartnerApp) -> WebhookEndpoint:
    endpoint = WebhookEndpoint.objects.select_for_update().filter(app=app).first()
    if endpoint is None:
        raise InvalidTransitionError(
            f"{app.name} has no webhook URL yet: set one first.", code=WebhookErrorCode.NOT_SET
        )
    return endpoint


def validated_topics(topics: list[str]) -> list[str]:
    """The chosen topics in the order WebhookTopic lists them; unknown ones are named."""
    unknown = sorted({topic for topic in topics if topic not in WebhookTopic.values})
    if unknown:
        message = (
            f"Unknown topic{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}. "
            f"Choose from {', '.join(WebhookTopic.values)}."
        )
        raise InvalidInputError(
            message, code=WebhookErrorCode.TOPICS_INVALID, fields={"topics": [message]}
        )
    if not topics:
        message = "Choose at least one topic to receive."
        raise InvalidInputError(
            message, code=WebhookErrorCode.TOPICS_INVALID, fields={"topics": [message]}
        )
    return [topic for topic in WebhookTopic.values if topic in topics]


def webhook_endpoint_set(
    *, app_id: int, acting_user: AbstractBaseUser, url: str, topics: list[str]
) -> WebhookSetResult:
    """Create the app's endpoint with a new signing secret (returned once), or change its URL and
    topics; audited. The URL is checked before the transaction: its DNS lookup can take seconds,
    and must not hold the write lock meanwhile."""
    return _save_webhook_endpoint(
        app_id=app_id,
        acting_user=acting_user,
        url=validated_webhook_url(url),
        topics=validated_topics(topics),
    )


@transaction.atomic
def _save_webhook_endpoint(
    *, app_id: int, acting_user: AbstractBaseUser, url: str, topics: list[str]
) -> WebhookSetResult:
    app = lock_member_app(app_id=app_id, acting_user=acting_user)
    now = timezone.now()
    endpoint = WebhookEndpoint.objects.select_for_update().filter(app=app).first()
    if endpoint is None:
        secret = secrets.new_secret()
        endpoint = WebhookEndpoint.objects.create(
            app=app,
            url=url,
            topics=topics,
            secret_ciphertext=secrets.encrypt(secret),
            secret_hint=secrets.secret_hint(secret),
            secret_created_at=now,
            created_at=now,
            updated_at=now,
        )
        details = audit_events.WebhookSet(url=url, topics=topics, secret_hint=endpoint.secret_hint)
    else:
        secret = None
        details = audit_events.WebhookSet(
            url=url, topics=topics, previous_url=endpoint.url, previous_topics=endpoint.topics
        )
        if url != endpoint.url:
            # The warning was about the old receiver; the new one has not failed yet.
            endpoint.failing_since = None
        endpoint.url, endpoint.topics, endpoint.updated_at = url, topics, now
        endpoint.save(update_fields=["url", "topics", "updated_at", "failing_since"])
    record_partner_event(details=details, actor=acting_user, app=app)
    logger.info("app %s webhook URL set by user %s", app.pk, acting_user.pk)
    return WebhookSetResult(endpoint=endpoint, created=secret is not None, secret=secret)


@transaction.atomic
def webhook_endpoint_remove(*, app_id: int, acting_user: AbstractBaseUser) -> None:
    """Stop sending the app's events: the endpoint and its secret are deleted; the delivery log
    stays."""
    app = lock_member_app(app_id=app_id, acting_user=acting_user)
    endpoint = _lock_endpoint(app)
    endpoint.delete()
    record_partner_event(
        details=audit_events.WebhookRemoved(url=endpoint.url), actor=acting_user, app=app
    )
    logger.info("app %s webhook removed by user %s", app.pk, acting_user.pk)


@transaction.atomic
def webhook_secret_rotate(
    *, app_id: int, acting_user: AbstractBaseUser
) -> tuple[WebhookEndpoint, str]:
    """A new signing secret, returned once. Deliveries carry a second signature with the old one
    for WEBHOOK_PREVIOUS_SECRET_HOURS, so the receiver can switch without dropping events."""
    app = lock_member_app(app_id=app_id, acting_user=acting_user)
    endpoint = _lock_endpoint(app)
    now = timezone.now()
    secret = secrets.new_secret()
    previous_hint = endpoint.secret_hint
    endpoint.previous_secret_ciphertext = endpoint.secret_ciphertext
    endpoint.previous_secret_expires_at = now + timedelta(
        hours=settings.WEBHOOK_PREVIOUS_SECRET_HOURS
    )
    endpoint.secret_ciphertext = secrets.encrypt(secret)
    endpoint.secret_hint = secrets.secret_hint(secret)
    endpoint.secret_created_at = endpoint.updated_at = now
    endpoint.save(
        update_fields=[
            "previous_secret_ciphertext",
            "previous_secret_expires_at",
            "secret_ciphertext",
            "secret_hint",
            "secret_created_at",
            "updated_at",
        ]
    )
    record_partner_event(
        details=audit_events.WebhookSecretRotated(
            secret_hint=endpoint.secret_hint,
            previous_secret_hint=previous_hint,
            previous_secret_expires_at=endpoint.previous_secret_expires_at.isoformat(),
        ),
        actor=acting_user,
        app=app,
    )
    logger.info("app %s webhook secret rotated by user %s", app.pk, acting_user.pk)
    return endpoint, secret


def _hour_full_until(rows: QuerySet, *, limit: int, now: datetime) -> datetime | None:
    """When `limit` of `rows` were created in the last hour: the time the oldest of them leaves
    the hour, and another is allowed. None while there is room."""
    last_hour = list(
        rows.filter(created_at__gt=now - timedelta(hours=1))
        .order_by("-created_at")
        .values_list("created_at", flat=True)[:limit]
    )
    return last_hour[-1] + timedelta(hours=1) if len(last_hour) == limit else None


def _seconds_until(moment: datetime, now: datetime) -> int:
    return math.ceil((moment - now).total_seconds())


def webhook_test_data(app: PartnerApp) -> dict[str, str]:
    """The `data` of the test event: something friendly a receiver can log."""
    return {
        "message": "A test event from the Partner Console: your receiver got it.",
        "app_name": app.name,
    }


@transaction.atomic
def webhook_send_test(*, app_id: int, acting_user: AbstractBaseUser) -> WebhookDelivery:
    """Queue a `webhook.test` event to the app's endpoint, whatever its topics; at most
    TEST_EVENTS_PER_HOUR an hour per app."""
    app = lock_member_app(app_id=app_id, acting_user=acting_user)
    _lock_endpoint(app)
    now = timezone.now()
    again_at = _hour_full_until(
        WebhookDelivery.objects.filter(app=app, event_type=TEST_EVENT_TYPE),
        limit=TEST_EVENTS_PER_HOUR,
        now=now,
    )
    if again_at is not None:
        raise RateLimitedError(
            f"{app.name} was sent {TEST_EVENTS_PER_HOUR} test events in the last hour, the most "
            f"allowed: send another after {again_at:%H:%M} UTC.",
            code=WebhookErrorCode.TEST_EVENTS_LIMITED,
            retry_after_seconds=_seconds_until(again_at, now),
        )
    delivery = outbox.record_event(
        app_id=app.pk, event_type=TEST_EVENT_TYPE, data=webhook_test_data(app), now=now
    )
    if delivery is None:  # the endpoint is locked above and takes the test event always
        raise RuntimeError(f"No test delivery was recorded for app {app.pk}.")
    return delivery


@transaction.atomic
def webhook_delivery_replay(
    *, app_id: int, event_id: str, acting_user: AbstractBaseUser
) -> WebhookDelivery:
    """Send a delivered or failed event again with a new round of retries and the same id; audited.
    Delivered ones: at most REPLAYS_PER_HOUR an hour per app. Failed ones are bounded by the failed
    deliveries, each back in the retry schedule: unlimited, so a partner can replay all after an
    outage."""
    app = lock_member_app(app_id=app_id, acting_user=acting_user)
    _lock_endpoint(app)
    delivery = (
        WebhookDelivery.objects.select_for_update().filter(app=app, event_id=event_id).first()
    )
    if delivery is None:
        raise NotFoundError("No such delivery.", code=WebhookErrorCode.DELIVERY_NOT_FOUND)
    if delivery.status == WebhookDelivery.Status.PENDING:
        raise InvalidTransitionError(
            f"Event {event_id} is still being delivered: replay it once it is delivered or has "
            "failed.",
            code=WebhookErrorCode.DELIVERY_PENDING,
        )
    now = timezone.now()
    if delivery.status == WebhookDelivery.Status.DELIVERED:
        # Counted from the audit trail, under the app's lock, so concurrent replays see each other.
        again_at = _hour_full_until(
            PartnerAuditEvent.objects.filter(
                app=app,
                action=PartnerAuditEvent.Action.WEBHOOK_REPLAYED,
                details__previous_status=WebhookDelivery.Status.DELIVERED,
            ),
            limit=REPLAYS_PER_HOUR,
            now=now,
        )
        if again_at is not None:
            raise RateLimitedError(
                f"{app.name} had {REPLAYS_PER_HOUR} delivered events replayed in the last hour, "
                f"the most allowed: replay another after {again_at:%H:%M} UTC. Failed events may "
                "be replayed at any time.",
                code=WebhookErrorCode.REPLAYS_LIMITED,
                retry_after_seconds=_seconds_until(again_at, now),
            )
    record_partner_event(
        details=audit_events.WebhookReplayed(
            event_id=delivery.event_id,
            event_type=delivery.event_type,
            previous_status=delivery.status,
        ),
        actor=acting_user,
        app=app,
    )
    delivery.status = WebhookDelivery.Status.PENDING
    delivery.next_attempt_at = now
    delivery.finished_at = None
    delivery.locked_until = None
    # The backoff counts from here, so the replay gets the whole retry schedule again.
    delivery.round_started_at_attempt = delivery.attempt_count
    delivery.save(
        update_fields=[
            "status",
            "next_attempt_at",
            "finished_at",
            "locked_until",
            "round_started_at_attempt",
        ]
    )
    transaction.on_commit(lambda: deliver.enqueue(delivery.pk), robust=True)
    return delivery
