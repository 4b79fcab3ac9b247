"""What the gate saw, kept in memory and written in batches: when each (app, shop, scope) was last
used, each app's denials counted by reason and day, and when a seller's consent was last used.

A write per API call would cost more than the check itself. Each process instead keeps the latest
use and the denial counts since its last write, and writes them at most every FLUSH_INTERVAL, from
the request that finds the interval over. A process that dies loses at most that interval of
hints; these are hints for people (last used, recent denials), never an audit trail.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.db.models import F, Value
from django.db.models.functions import Greatest
from django.utils import timezone

from apps_registry.models import GateDenialCount, ScopeUsage, ShopAuthorization

if TYPE_CHECKING:
    from apps_registry.gate.decision import GateDecision

FLUSH_INTERVAL = timedelta(seconds=30)

logger = logging.getLogger(__name__)


@dataclass
class _Collected:
    """What one process saw since its last write."""

    scope_uses: dict[tuple[int, int, str], datetime] = field(default_factory=dict)
    consent_uses: dict[tuple[int, int], datetime] = field(default_factory=dict)
    denials: Counter[tuple[int, str, date]] = field(default_factory=Counter)
    last_denied: dict[tuple[int, str, date], datetime] = field(default_factory=dict)


class _UsageBuffer:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.collected = _Collected()
        self.started_at = timezone.now()

    def take(self, now: datetime, *, force: bool) -> _Collected | None:
        """Hand over what was collected (and start afresh) when it is time to write it."""
        with self.lock:
            if not force and now - self.started_at < FLUSH_INTERVAL:
                return None
            taken, self.collected, self.started_at = self.collected, _Collected(), now
            return taken


_buffer = _UsageBuffer()


def record_use(decision: GateDecision, *, now: datetime) -> None:
    """An allowed call: every scope that unlocked it was used on its shop."""
    with _buffer.lock:
        if decision.shop is not None:
            shop_id = decision.shop.shop_id
            for key in set(decision.required_scopes) & set(decision.granted_scopes):
                _buffer.collected.scope_uses[(decision.app_id, shop_id, key)] = now
        _buffer.collected.consent_uses[(decision.app_id, decision.seller_id)] = now
    flush(now=now)


def record_consent_use(*, app_id: int, seller_id: int, now: datetime | None = None) -> None:
    """A seller's token was used outside the gate (refresh, the shops API)."""
    now = now or timezone.now()
    with _buffer.lock:
        _buffer.collected.consent_uses[(app_id, seller_id)] = now
    flush(now=now)


def record_denial(decision: GateDecision, *, now: datetime) -> None:
    """A denied call of a known app (a bad token names no app and is not counted)."""
    if decision.app_id is None:
        return
    key = (decision.app_id, str(decision.reason), now.date())
    with _buffer.lock:
        _buffer.collected.denials[key] += 1
        _buffer.collected.last_denied[key] = now
    flush(now=now)


def flush(*, now: datetime | None = None, force: bool = False) -> None:
    """Write what was collected, when FLUSH_INTERVAL has passed (or now, with `force`). A failed
    write is logged and dropped: a hint must never fail the API call that carried it."""
    now = now or timezone.now()
    taken = _buffer.take(now, force=force)
    if taken is None:
        return
    try:
        _write(taken)
    except Exception:
        logger.exception("could not write the gate's usage and denial counts")


def forget_buffered() -> None:
    """Drop what this process collected (tests start from a clean process state)."""
    _buffer.take(timezone.now(), force=True)


@transaction.atomic
def _write(taken: _Collected) -> None:
    if taken.scope_uses:
        ScopeUsage.objects.bulk_create(
            [
                ScopeUsage(app_id=app_id, shop_id=shop_id, scope_id=key, last_used_at=at)
                for (app_id, shop_id, key), at in sorted(taken.scope_uses.items())
            ],
            update_conflicts=True,
            unique_fields=["app", "shop", "scope"],
            update_fields=["last_used_at"],
        )
    for (app_id, seller_id), at in sorted(taken.consent_uses.items()):
        ShopAuthorization.objects.filter(
            app_id=app_id, shop__owner_id=seller_id, revoked_at__isnull=True
        ).exclude(last_used_at__gte=at).update(last_used_at=at)
    for (app_id, reason, day), count in sorted(taken.denials.items()):
        _add_denials(app_id, reason, day, count, taken.last_denied[(app_id, reason, day)])


def _add_denials(app_id: int, reason: str, day: date, count: int, at: datetime) -> None:
    """Add to the day's count; another process may create the row first, so retry the add."""
    rows = GateDenialCount.objects.filter(app_id=app_id, reason=reason, day=day)
    increment = {
        "count": F("count") + count,
        "last_denied_at": Greatest("last_denied_at", Value(at)),
    }
    if rows.update(**increment):
        return
    try:
        with transaction.atomic():
            GateDenialCount.objects.create(
                app_id=app_id, reason=reason, day=day, count=count, last_denied_at=at
            )
    except IntegrityError:
        rows.update(**increment)
