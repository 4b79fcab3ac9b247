"""Arrangement and reading helpers for the webhook event tests."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from apps_registry.models import WebhookDelivery, WebhookEndpoint, WebhookTopic
from apps_registry.webhooks.secrets import encrypt, new_secret, secret_hint


def subscribe(app, *topics: str) -> str:
    """Give `app` a webhook endpoint taking `topics` (every topic when none is named). Returns
    the raw signing secret."""
    secret = new_secret()
    now = timezone.now()
    WebhookEndpoint.objects.create(
        app=app,
        url="https://hooks.example.com/partner",
        topics=list(topics or WebhookTopic.values),
        secret_ciphertext=encrypt(secret),
        secret_hint=secret_hint(secret),
        secret_created_at=now,
        created_at=now,
        updated_at=now,
    )
    return secret


def deliveries(app, topic: str) -> list[WebhookDelivery]:
    return list(WebhookDelivery.objects.filter(app=app, event_type=topic).order_by("pk"))


def sent_data(app, topic: str) -> list[dict[str, Any]]:
    """The `data` of every event of `topic` recorded for `app`, oldest first."""
    return [delivery.payload["data"] for delivery in deliveries(app, topic)]


def call_and_roll_back(service, **kwargs) -> None:
    """Call `service` inside a transaction that then rolls back, as a request failing after the
    service's change would."""
    with transaction.atomic():
        service(**kwargs)
        transaction.set_rollback(True)
