"""Fixtures for the webhook event tests: the delivery task is not run (these tests are about what
the services record in the outbox, not about posting it)."""

from __future__ import annotations

from unittest import mock

import pytest


@pytest.fixture(autouse=True)
def deliver():
    """The task the outbox enqueues on commit, as a mock."""
    with mock.patch("apps_registry.webhooks.outbox.deliver") as task:
        yield task
