"""Delivering webhooks on the worker: sign, POST, record the attempt, retry with backoff."""

from __future__ import annotations

from django.tasks import task


@task(queue_name="webhooks")
def deliver(delivery_id: int) -> None:
    """Attempt the delivery if it is due and nobody else holds it."""
    raise NotImplementedError
