"""The outbox: services record an event for an app inside their own transaction; the worker
delivers it after commit.

An event is recorded only for an app whose endpoint subscribes to its topic (the test event always
is). Its row commits or rolls back with the change it reports; on commit the worker is told at once,
and its periodic sweep finds any delivery that a crash kept it from hearing of.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db import transaction

from apps_registry.models import TEST_EVENT_TYPE, WebhookDelivery, WebhookEndpoint
from apps_registry.webhooks.delivery import deliver


def new_event_id() -> str:
    return "evt_" + secrets.token_hex(16)


def record_event(
    *, app_id: int, event_type: str, data: dict[str, Any], now: datetime
) -> WebhookDelivery | None:
    """Record one event for the app, if its endpoint takes `event_type`. Call inside the
    transaction that makes the change. Returns the delivery, or None when nobody listens."""
    deliveries = record_events(app_id=app_id, event_type=event_type, data_items=[data], now=now)
    return deliveries[0] if deliveries else None


def record_events(
    *, app_id: int, event_type: str, data_items: Iterable[dict[str, Any]], now: datetime
) -> list[WebhookDelivery]:
    """Record one event per item of `data_items` (one per shop, say) for the app, in one query."""
    endpoint = (
        WebhookEndpoint.objects.filter(app_id=app_id)
        .select_related("app")
        .only("topics", "app__client_id")
        .first()
    )
    if endpoint is None or (event_type != TEST_EVENT_TYPE and event_type not in endpoint.topics):
        return []
    deliveries = []
    for data in data_items:
        event_id = new_event_id()
        deliveries.append(
            WebhookDelivery(
                event_id=event_id,
                app_id=app_id,
                event_type=event_type,
                payload={
                    "id": event_id,
                    "type": event_type,
                    "created_at": now.isoformat(),
                    "app_id": endpoint.app.client_id,
                    "data": data,
                },
                created_at=now,
                next_attempt_at=now,
            )
        )
    WebhookDelivery.objects.bulk_create(deliveries)
    delivery_ids = [delivery.pk for delivery in deliveries]
    transaction.on_commit(lambda: _wake_worker(delivery_ids), robust=True)
    return deliveries


def _wake_worker(delivery_ids: list[int]) -> None:
    for delivery_id in delivery_ids:
        deliver.enqueue(delivery_id)
