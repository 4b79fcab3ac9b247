"""The platform's daily clean-up of rows nobody needs any more: finished task results and finished
webhook deliveries (with their attempts) past their retention. Each deletes in bounded batches, one
short statement at a time, so a run never holds a table for long, however much piled up."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from apps_registry.models import WebhookDelivery

BATCH_SIZE = 1000


def task_results_prune(*, now: datetime | None = None, batch_size: int = BATCH_SIZE) -> int:
    """Delete task results (successful or failed) finished more than TASK_RESULT_RETENTION_DAYS
    ago. Returns how many."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.TASK_RESULT_RETENTION_DAYS)
    return _delete_in_batches(
        DBTaskResult.objects.finished().filter(finished_at__lt=cutoff), batch_size=batch_size
    )


def webhook_deliveries_prune(*, now: datetime | None = None, batch_size: int = BATCH_SIZE) -> int:
    """Delete deliveries delivered or failed more than WEBHOOK_DELIVERY_RETENTION_DAYS ago, with
    their attempts; pending ones stay, however old. Returns how many deliveries."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.WEBHOOK_DELIVERY_RETENTION_DAYS)
    return _delete_in_batches(
        WebhookDelivery.objects.exclude(status=WebhookDelivery.Status.PENDING).filter(
            finished_at__lt=cutoff
        ),
        batch_size=batch_size,
    )


def _delete_in_batches(rows: QuerySet, *, batch_size: int) -> int:
    deleted = 0
    while batch := list(rows.values_list("pk", flat=True)[:batch_size]):
        rows.model.objects.filter(pk__in=batch).delete()
        deleted += len(batch)
    return deleted
