"""The platform's daily clean-up of rows nobody needs any more: expired OAuth tokens, finished task
results and finished webhook deliveries (with their attempts) past their retention.

Each deletes in bounded batches walked by primary key (keyset: a batch starts after the last id
of the one before, so no batch re-reads what an earlier one passed over), each batch its own
short transaction: a run never holds a table, or many row locks, for long, however much piled up
(ADR 0023).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from oauth2_provider.models import (
    get_access_token_model,
    get_grant_model,
    get_id_token_model,
    get_refresh_token_model,
    refresh_token_expire_timedelta,
)
from oauth2_provider.settings import oauth2_settings

from apps_registry.models import WebhookDelivery

BATCH_SIZE = 1000


@dataclass
class Purge:
    """What a batched deletion did: rows deleted per kind, in how many batches, and the longest
    batch (its transaction) in milliseconds."""

    deleted: dict[str, int] = field(default_factory=dict)
    batches: int = 0
    longest_batch_ms: float = 0.0

    @property
    def total(self) -> int:
        return sum(self.deleted.values())


def expired_tokens_purge(
    *,
    now: datetime | None = None,
    batch_size: int | None = None,
    pause_seconds: float | None = None,
) -> Purge:
    """Delete what django-oauth-toolkit's `clear_expired` deletes (`expired_token_sets`), in
    batches of CLEAR_EXPIRED_TOKENS_BATCH_SIZE with CLEAR_EXPIRED_TOKENS_BATCH_INTERVAL seconds
    between them. Unlike `clear_expired` it never counts the matching rows (a scan of the whole
    table per batch) and never re-reads rows an earlier batch passed over."""
    now = now or timezone.now()
    batch_size = batch_size or oauth2_settings.CLEAR_EXPIRED_TOKENS_BATCH_SIZE
    if pause_seconds is None:
        pause_seconds = oauth2_settings.CLEAR_EXPIRED_TOKENS_BATCH_INTERVAL
    purge = Purge()
    for kind, rows in expired_token_sets(now):
        _delete_in_batches(rows, kind=kind, purge=purge, batch_size=batch_size, pause=pause_seconds)
    return purge


def expired_token_sets(now: datetime) -> list[tuple[str, QuerySet]]:
    """The rows django-oauth-toolkit 3.4's `clear_expired` deletes, as its conditions, in its
    order (refresh tokens before the access tokens they hold, ID tokens once no access token
    holds them): revoked refresh tokens past the grace period (kept until they expire under
    REFRESH_TOKEN_REUSE_PROTECTION, which detects a replayed rotated token by them), orphaned
    refresh tokens, refresh tokens idle past REFRESH_TOKEN_EXPIRE_SECONDS, expired access tokens
    no refresh token holds, expired ID tokens no access token holds, expired grants.
    `clear_expired` builds these inline, so they are restated here, and
    tests/apps_registry/test_token_purge.py checks that both delete the same rows."""
    access_tokens = get_access_token_model().objects
    refresh_tokens = get_refresh_token_model().objects
    refresh_expire_delta = refresh_token_expire_timedelta()
    refresh_expire_at = now - refresh_expire_delta if refresh_expire_delta else None
    refresh_revoked_at = now - _refresh_token_grace_period()
    if oauth2_settings.REFRESH_TOKEN_REUSE_PROTECTION:
        refresh_revoked_at = refresh_expire_at
    sets = []
    if refresh_revoked_at:
        sets.append(
            ("revoked refresh tokens", refresh_tokens.filter(revoked__lte=refresh_revoked_at))
        )
    sets.append(
        (
            "orphaned refresh tokens",
            refresh_tokens.filter(revoked__isnull=True, access_token__isnull=True),
        )
    )
    if refresh_expire_at:
        sets.append(
            (
                "idle refresh tokens",
                refresh_tokens.filter(
                    revoked__isnull=True, access_token__expires__lte=refresh_expire_at
                ),
            )
        )
    sets += [
        ("access tokens", access_tokens.filter(refresh_token__isnull=True, expires__lt=now)),
        (
            "ID tokens",
            get_id_token_model().objects.filter(access_token__isnull=True, expires__lt=now),
        ),
        ("grants", get_grant_model().objects.filter(expires__lt=now)),
    ]
    return sets


def _refresh_token_grace_period() -> timedelta:
    seconds = oauth2_settings.REFRESH_TOKEN_GRACE_PERIOD_SECONDS or 0
    if seconds < 0:
        raise ImproperlyConfigured("REFRESH_TOKEN_GRACE_PERIOD_SECONDS must not be negative")
    return timedelta(seconds=seconds)


def task_results_prune(*, now: datetime | None = None, batch_size: int = BATCH_SIZE) -> int:
    """Delete task results (successful or failed) finished more than TASK_RESULT_RETENTION_DAYS
    ago. Returns how many."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.TASK_RESULT_RETENTION_DAYS)
    rows = DBTaskResult.objects.finished().filter(finished_at__lt=cutoff)
    return _delete_in_batches(rows, kind="task results", batch_size=batch_size).total


def webhook_deliveries_prune(*, now: datetime | None = None, batch_size: int = BATCH_SIZE) -> int:
    """Delete deliveries delivered or failed more than WEBHOOK_DELIVERY_RETENTION_DAYS ago, with
    their attempts; pending ones stay, however old. Returns how many deliveries."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.WEBHOOK_DELIVERY_RETENTION_DAYS)
    rows = WebhookDelivery.objects.exclude(status=WebhookDelivery.Status.PENDING).filter(
        finished_at__lt=cutoff
    )
    return _delete_in_batches(rows, kind="webhook deliveries", batch_size=batch_size).total


def _delete_in_batches(
    rows: QuerySet,
    *,
    kind: str,
    batch_size: int,
    pause: float = 0.0,
    purge: Purge | None = None,
) -> Purge:
    """Delete `rows` window by window of `batch_size` consecutive primary keys of the table,
    each window its own transaction: its bound is read from the primary key index and the
    condition is checked only inside it, so every statement touches at most `batch_size` rows,
    however the rows are spread and whatever the planner estimates (a LIMIT over the condition
    made it sort every expired access token for each batch). Rows written after the run began are
    left for the next. Related rows go with each row as Django's delete() takes them. After a
    window that deleted rows the purge pauses `pause` seconds; a window of live rows goes on to
    the next at once."""
    purge = purge or Purge()
    purge.deleted.setdefault(kind, 0)
    table = rows.model.objects.order_by("pk").values_list("pk", flat=True)
    last = table.last()
    label = rows.model._meta.label
    after = None
    while last is not None and (after is None or after < last):
        started = time.perf_counter()
        window = table if after is None else table.filter(pk__gt=after)
        bound = list(window.filter(pk__lte=last)[batch_size - 1 : batch_size])
        upper = bound[0] if bound else last
        with transaction.atomic():
            in_window = rows.filter(pk__lte=upper)
            _, deleted = (in_window if after is None else in_window.filter(pk__gt=after)).delete()
        purge.deleted[kind] += deleted.get(label, 0)
        purge.batches += 1
        purge.longest_batch_ms = max(purge.longest_batch_ms, (time.perf_counter() - started) * 1e3)
        after = upper
        if pause and deleted.get(label):
            time.sleep(pause)
    return purge
