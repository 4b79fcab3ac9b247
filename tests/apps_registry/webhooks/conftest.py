"""The real receiver's fixtures (tests/webhook_receiver.py) for the delivery engine's tests."""

from tests.webhook_receiver import (  # noqa: F401 (fixtures)
    loopback_webhooks,
    make_webhook_receiver,
    webhook_receiver,
)
