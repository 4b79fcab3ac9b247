"""Standard Webhooks signatures: what a delivery's body and headers are, signed with the endpoint's
secret (and, for a while after a rotation, its previous one too).

Receivers verify with any Standard Webhooks library: `Webhook-Id`, `Webhook-Timestamp` (Unix
seconds) and `Webhook-Signature: v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`, one
signature per secret, separated by spaces.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import datetime
from typing import Any

from apps_registry.models import WebhookEndpoint
from apps_registry.webhooks import secrets


def body(payload: dict[str, Any]) -> str:
    """The exact bytes signed and sent: compact JSON, so every attempt signs the same text."""
    return json.dumps(payload, separators=(",", ":"))


def signature(*, secret: str, event_id: str, timestamp: int, body: str) -> str:
    """One `v1,<base64>` signature of the message with `secret`."""
    message = f"{event_id}.{timestamp}.{body}".encode()
    digest = hmac.new(secrets.signing_key(secret), message, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signing_secrets(endpoint: WebhookEndpoint, *, now: datetime) -> list[str]:
    """The endpoint's secret, then its previous one while that still signs after a rotation."""
    current = [secrets.decrypt(endpoint.secret_ciphertext)]
    previous_signs = (
        endpoint.previous_secret_ciphertext
        and endpoint.previous_secret_expires_at is not None
        and endpoint.previous_secret_expires_at > now
    )
    if previous_signs:
        return [*current, secrets.decrypt(endpoint.previous_secret_ciphertext)]
    return current


def signed_headers(
    *, signing_secrets: list[str], event_id: str, timestamp: int, body: str
) -> dict[str, str]:
    """The headers of one attempt: the event id, the attempt's time and a signature per secret."""
    signatures = " ".join(
        signature(secret=secret, event_id=event_id, timestamp=timestamp, body=body)
        for secret in signing_secrets
    )
    return {
        "Content-Type": "application/json",
        "Webhook-Id": event_id,
        "Webhook-Timestamp": str(timestamp),
        "Webhook-Signature": signatures,
    }
