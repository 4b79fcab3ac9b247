"""Deliveries are signed the Standard Webhooks way: the receivers' own library verifies them."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from apps_registry.models import TEST_EVENT_TYPE, WebhookEndpoint
from apps_registry.webhooks import secrets, signing
from apps_registry.webhooks.outbox import record_event
from tests import factories
from tests.webhook_receiver import subscribe

pytestmark = pytest.mark.django_db


def _deliver_test_event(app, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return record_event(
            app_id=app.pk, event_type=TEST_EVENT_TYPE, data={"hello": "world"}, now=timezone.now()
        )


def test_the_receiver_verifies_the_delivery_with_the_standard_webhooks_library(
    webhook_receiver, loopback_webhooks, django_capture_on_commit_callbacks
):
    app = factories.PartnerAppFactory()
    secret = subscribe(app, url=webhook_receiver.url)

    delivery = _deliver_test_event(app, django_capture_on_commit_callbacks)

    [received] = webhook_receiver.requests
    payload = Webhook(secret).verify(received.body, received.headers)
    assert payload == {
        "id": delivery.event_id,
        "type": TEST_EVENT_TYPE,
        "created_at": delivery.created_at.isoformat(),
        "app_id": app.client_id,
        "data": {"hello": "world"},
    }
    assert received.body == json.dumps(payload, separators=(",", ":")).encode()
    assert received.method == "POST"
    assert received.headers["Webhook-Id"] == delivery.event_id
    assert received.headers["Content-Type"] == "application/json"
    assert received.headers["User-Agent"].startswith("Partner Console webhooks")
    assert received.headers["Webhook-Signature"].count("v1,") == 1
    with pytest.raises(WebhookVerificationError):
        Webhook(secrets.new_secret()).verify(received.body, received.headers)


def test_during_a_rotation_both_the_new_and_the_previous_secret_verify(
    webhook_receiver, loopback_webhooks, django_capture_on_commit_callbacks
):
    app = factories.PartnerAppFactory()
    previous = secrets.new_secret()
    secret = subscribe(app, url=webhook_receiver.url)
    WebhookEndpoint.objects.filter(app=app).update(
        previous_secret_ciphertext=secrets.encrypt(previous),
        previous_secret_expires_at=timezone.now() + timedelta(hours=1),
    )

    _deliver_test_event(app, django_capture_on_commit_callbacks)

    [received] = webhook_receiver.requests
    assert received.headers["Webhook-Signature"].count("v1,") == 2
    assert Webhook(secret).verify(received.body, received.headers)["type"] == TEST_EVENT_TYPE
    assert Webhook(previous).verify(received.body, received.headers)["type"] == TEST_EVENT_TYPE


def test_once_the_previous_secret_expires_only_the_new_one_signs(
    webhook_receiver, loopback_webhooks, django_capture_on_commit_callbacks
):
    app = factories.PartnerAppFactory()
    previous = secrets.new_secret()
    secret = subscribe(app, url=webhook_receiver.url)
    WebhookEndpoint.objects.filter(app=app).update(
        previous_secret_ciphertext=secrets.encrypt(previous),
        previous_secret_expires_at=timezone.now() - timedelta(seconds=1),
    )

    _deliver_test_event(app, django_capture_on_commit_callbacks)

    [received] = webhook_receiver.requests
    assert received.headers["Webhook-Signature"].count("v1,") == 1
    assert Webhook(secret).verify(received.body, received.headers)["type"] == TEST_EVENT_TYPE
    with pytest.raises(WebhookVerificationError):
        Webhook(previous).verify(received.body, received.headers)


def test_the_signature_is_the_one_the_library_computes():
    secret = secrets.new_secret()
    body = signing.body({"id": "evt_1", "data": {"é": [1, 2]}})

    ours = signing.signature(secret=secret, event_id="evt_1", timestamp=1_700_000_000, body=body)

    theirs = Webhook(secret).sign("evt_1", datetime.fromtimestamp(1_700_000_000, tz=UTC), body)
    assert ours == theirs
    assert body == '{"id":"evt_1","data":{"\\u00e9":[1,2]}}'


def test_a_new_secret_is_a_standard_webhooks_secret_whose_hint_tells_it_apart():
    secret = secrets.new_secret()

    assert secret.startswith("whsec_")
    assert len(secret) == len("whsec_") + 32
    assert len(secrets.signing_key(secret)) == 24
    assert "=" not in secrets.secret_hint(secret)
