"""The periodic schedule: what the platform does on its own, on the worker. `manage.py crontask`
(the scheduler, one per installation) enqueues each task on the "default" queue at its time, and
`manage.py db_worker` runs it (docs/operations.md).

Each task only calls a job function, and every job is idempotent: it works from what the database
says is due and records what it did in the same transaction, so a task run twice (two schedulers,
a retried run, a manual run next to the scheduled one) does nothing twice.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from crontask import cron
from django.tasks import task

from apps_registry.services import access_request_jobs, authorization_jobs, housekeeping_jobs
from apps_registry.webhooks import delivery


@cron("* * * * *")
@task
def enqueue_due_webhook_deliveries() -> int:
    """Deliveries whose attempt is due and that no worker holds: committed events whose first
    enqueue was lost (a crash right after the commit) and retries whose time has come."""
    return delivery.enqueue_due_deliveries()


@cron("5 * * * *")
@task
def warn_expiring_authorizations() -> int:
    """`authorization.expiring` to apps whose seller authorizations end within 30 days."""
    return authorization_jobs.authorizations_warn_expiring()


@cron("10 * * * *")
@task
def expire_due_authorizations() -> int:
    """Seller authorizations past their end become expired (`authorization.expired`)."""
    return authorization_jobs.authorizations_expire_due()


@cron("0 7 * * *")
@task
def send_review_reminders() -> dict[str, int]:
    """Expire approvals past their date and queue the day's review reminders. Fails (after
    queueing the rest) when a reminder could not be recorded and queued, so the failure shows in
    the task results; that one was rolled back and the next run retries it."""
    run = access_request_jobs.review_reminders_send()
    if run.failed:
        raise RuntimeError(
            f"{run.failed} reminder(s) failed (see the log); the next run retries them."
        )
    return asdict(run)


@cron("0 3 * * *")
@task
def clear_expired_oauth_tokens() -> dict[str, Any]:
    """Delete what django-oauth-toolkit's `clear_expired` would (expired access and ID tokens,
    idle or long-revoked refresh tokens, expired grants), in CLEAR_EXPIRED_TOKENS_BATCH_SIZE
    batches walked by id, each its own short transaction (ADR 0023)."""
    return asdict(housekeeping_jobs.expired_tokens_purge())


@cron("20 3 * * *")
@task
def prune_task_results() -> int:
    return housekeeping_jobs.task_results_prune()


@cron("40 3 * * *")
@task
def prune_webhook_deliveries() -> int:
    return housekeeping_jobs.webhook_deliveries_prune()
