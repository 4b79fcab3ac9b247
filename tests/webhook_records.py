"""Webhook rows for tests: an app's endpoint with a known secret, deliveries in a given state with
their attempts, and a stand-in DNS so URL checks never leave the machine."""

from __future__ import annotations

import socket
from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from apps_registry.models import (
    PartnerApp,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookTopic,
)
from apps_registry.webhooks import outbox, secrets

SECRET = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # 24 bytes of base64, as a receiver holds

# Host names the stand-in DNS answers; any other name does not resolve, an IP literal (in any form
# the system resolver takes, such as 2130706433) resolves to itself.
PUBLIC_HOST = "hooks.example.com"
# The receiver make_endpoint sets, on a host fake_dns resolves to a public address.
RECEIVER_URL = f"https://{PUBLIC_HOST}/receive"
# Names whose every answer is not public, or that do not resolve (nowhere.example.com): refused
# alike when a URL is set and before a delivery.
NON_PUBLIC_DNS = {
    "internal.example.com": ["10.1.2.3"],
    "mixed.example.com": ["93.184.216.34", "192.168.0.10"],
    "metadata.example.com": ["169.254.169.254"],
    "sneaky.example.com": ["::ffff:127.0.0.1"],
    "local.example.com": ["127.0.0.1"],
    "site-local.example.com": ["fec0::1"],
    "ipv4-compatible.example.com": ["::10.0.0.1"],
    "6to4.example.com": ["2002:a00:1::1"],  # 6to4 of 10.0.0.1
    "nat64.example.com": ["64:ff9b::a00:1"],  # NAT64 of 10.0.0.1
    "cgnat.example.com": ["100.64.0.1"],
    "multicast.example.com": ["ff0e::1"],
}
NON_PUBLIC_HOSTS = [*NON_PUBLIC_DNS, "nowhere.example.com"]
FAKE_DNS = {
    PUBLIC_HOST: ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"],
    **NON_PUBLIC_DNS,
}


@pytest.fixture
def fake_dns(monkeypatch):
    real_getaddrinfo = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if host in FAKE_DNS:
            return [
                (socket.AF_INET6 if ":" in address else socket.AF_INET, 1, 6, "", (address, 0))
                for address in FAKE_DNS[host]
            ]
        return real_getaddrinfo(host, port, flags=socket.AI_NUMERICHOST)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


def make_endpoint(app: PartnerApp, **fields) -> WebhookEndpoint:
    now = timezone.now()
    return WebhookEndpoint.objects.create(
        app=app,
        **{
            "url": RECEIVER_URL,
            "topics": [WebhookTopic.AUTHORIZATION_REVOKED],
            "secret_ciphertext": secrets.encrypt(SECRET),
            "secret_hint": secrets.secret_hint(SECRET),
            "secret_created_at": now,
            "created_at": now,
            "updated_at": now,
            **fields,
        },
    )


def make_delivery(
    app: PartnerApp,
    *,
    status: str = WebhookDelivery.Status.FAILED,
    event_type: str = WebhookTopic.AUTHORIZATION_REVOKED,
    attempts: int = 2,
    response_status: int | None = 500,
    created_at=None,
) -> WebhookDelivery:
    """A delivery of `status` after `attempts` attempts, each answered with `response_status`."""
    created_at = created_at or timezone.now() - timedelta(hours=1)
    event_id = outbox.new_event_id()
    finished = status != WebhookDelivery.Status.PENDING
    delivery = WebhookDelivery.objects.create(
        event_id=event_id,
        app=app,
        event_type=event_type,
        payload={
            "id": event_id,
            "type": event_type,
            "created_at": created_at.isoformat(),
            "app_id": app.client_id,
            "data": {"shop_name": "Maple Home Goods"},
        },
        created_at=created_at,
        status=status,
        attempt_count=attempts,
        next_attempt_at=None if finished else created_at + timedelta(minutes=5),
        finished_at=created_at + timedelta(minutes=30) if finished else None,
        last_response_status=response_status if attempts else None,
    )
    WebhookAttempt.objects.bulk_create(
        WebhookAttempt(
            delivery=delivery,
            number=number,
            url=f"https://{PUBLIC_HOST}/receive",
            started_at=created_at + timedelta(minutes=number),
            duration_ms=120 + number,
            response_status=response_status,
            error="" if response_status and response_status < 300 else "The receiver answered 500.",
            response_excerpt="upstream exploded" if response_status == 500 else "ok",
        )
        for number in range(1, attempts + 1)
    )
    return delivery


def endpoint_state(app: PartnerApp) -> dict | None:
    """The app's endpoint row as stored, to assert a refusal changed nothing."""
    return WebhookEndpoint.objects.filter(app=app).values().first()


@pytest.fixture
def outbox_deliver(monkeypatch) -> mock.Mock:
    """The delivery task the outbox wakes, as a mock: for tests about what is queued."""
    task = mock.Mock()
    monkeypatch.setattr("apps_registry.webhooks.outbox.deliver", task)
    return task
