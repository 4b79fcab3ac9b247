"""What the platform tells apps about sellers' consents on its own schedule: that one ends soon
(authorization.expiring, 30 days before, then daily until renewed or ended) and that one ended
(authorization.expired, once). The periodic schedule in apps_registry/tasks.py runs both hourly.

Each authorization records what it was told (`expiry_warned_on`, `expired_notified_at`) in the
transaction that writes the outbox row, under its lock, so a second run, or two schedulers at
once, send nothing twice.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from apps_registry.events import authorization as authorization_events
from apps_registry.models import ShopAuthorization, WebhookTopic
from apps_registry.webhooks import events as webhook_events
from apps_registry.webhooks.outbox import record_events

# Apps are warned from this many days before a consent ends (TikTok Shop's notice, too).
EXPIRY_WARNING_DAYS = 30
# A consent that ended longer ago than this is history, not news: the first run after this
# feature ships does not tell apps of every consent that ever lapsed.
EXPIRED_NOTICE_LOOKBACK_DAYS = 30
# Authorizations locked and told per transaction, so one run never holds thousands of locks.
BATCH_SIZE = 200


def authorizations_warn_expiring(*, now: datetime | None = None) -> int:
    """Tell each app, once a day, of its live authorizations that end within
    EXPIRY_WARNING_DAYS. A renewal moves `expires_at` out of the window and stops the warnings.
    Returns how many authorizations were warned about."""
    now = now or timezone.now()
    today = timezone.localdate(now)

    def due(authorizations: QuerySet[ShopAuthorization]) -> QuerySet[ShopAuthorization]:
        return authorizations.filter(
            Q(expiry_warned_on__isnull=True) | Q(expiry_warned_on__lt=today),
            revoked_at__isnull=True,
            expires_at__gt=now,
            expires_at__lte=now + timedelta(days=EXPIRY_WARNING_DAYS),
        )

    def warn(batch: list[ShopAuthorization], scope_keys: dict[int, list[str]]) -> list[dict]:
        for authorization in batch:
            authorization.expiry_warned_on = today
        ShopAuthorization.objects.bulk_update(batch, ["expiry_warned_on"])
        return [
            webhook_events.authorization_expiring(
                authorization, scope_keys=scope_keys[authorization.pk], now=now
            )
            for authorization in batch
        ]

    return _run_in_batches(due, warn, WebhookTopic.AUTHORIZATION_EXPIRING, now=now)


def authorizations_expire_due(*, now: datetime | None = None) -> int:
    """Tell each app, once, of its authorizations that passed `expires_at` unrenewed in the last
    EXPIRED_NOTICE_LOOKBACK_DAYS, and record the end in the seller's consent history too. A
    consent renewed after it ended is told of its new end in turn. Returns how many."""
    now = now or timezone.now()

    def due(authorizations: QuerySet[ShopAuthorization]) -> QuerySet[ShopAuthorization]:
        return authorizations.filter(
            # Told before the current `expires_at` means told of an end a renewal replaced.
            Q(expired_notified_at__isnull=True) | Q(expired_notified_at__lt=F("expires_at")),
            revoked_at__isnull=True,
            expires_at__lte=now,
            expires_at__gt=now - timedelta(days=EXPIRED_NOTICE_LOOKBACK_DAYS),
        )

    def expire(batch: list[ShopAuthorization], scope_keys: dict[int, list[str]]) -> list[dict]:
        for authorization in batch:
            authorization.expired_notified_at = now
        ShopAuthorization.objects.bulk_update(batch, ["expired_notified_at"])
        authorization_events.record_authorization_events(
            [
                authorization_events.build_authorization_event(
                    authorization_events.Expired(expires_at=authorization.expires_at.isoformat()),
                    seller=authorization.shop.owner,
                    app=authorization.app,
                    shop=authorization.shop,
                    scope_keys=scope_keys[authorization.pk],
                    now=now,
                )
                for authorization in batch
            ]
        )
        return [
            webhook_events.authorization_expired(
                authorization, scope_keys=scope_keys[authorization.pk]
            )
            for authorization in batch
        ]

    return _run_in_batches(due, expire, WebhookTopic.AUTHORIZATION_EXPIRED, now=now)


def _run_in_batches(
    due: Callable[[QuerySet[ShopAuthorization]], QuerySet[ShopAuthorization]],
    tell: Callable[[list[ShopAuthorization], dict[int, list[str]]], list[dict[str, Any]]],
    topic: WebhookTopic,
    *,
    now: datetime,
) -> int:
    """Until none is `due`: lock a batch, re-check it under the lock (another run may have told
    it since), `tell` the batch (which records, in a few bulk queries, that each was told and
    returns each event's data, in the batch's order), then write the events per app, all in one
    transaction per batch."""
    told = 0
    while True:
        with transaction.atomic():
            batch = list(
                due(ShopAuthorization.objects.select_for_update(of=("self",), skip_locked=True))
                .select_related("shop__owner", "app")
                # The order of the index on live authorizations' ends, so a batch is a range of it.
                .order_by("expires_at", "pk")[:BATCH_SIZE]
            )
            if not batch:
                return told
            scope_keys: dict[int, list[str]] = defaultdict(list)
            for authorization_id, key in (
                ShopAuthorization.scopes.through.objects.filter(shopauthorization__in=batch)
                .order_by("scope__key")
                .values_list("shopauthorization_id", "scope__key")
            ):
                scope_keys[authorization_id].append(key)
            data_by_app: dict[int, list[dict[str, Any]]] = defaultdict(list)
            for authorization, data in zip(batch, tell(batch, scope_keys), strict=True):
                data_by_app[authorization.app_id].append(data)
            for app_id, data_items in data_by_app.items():
                record_events(app_id=app_id, event_type=topic, data_items=data_items, now=now)
            told += len(batch)
