"""Failed client authentications at the OAuth endpoints, as the app's owner sees them.

The web layer throttles guessing in the cache; what gets here is bounded by that throttle. Each
failure bumps one ClientAuthFailure row per (app, address, hour) with F(), so an attack costs one
row per address and hour, never one per attempt. The wrong secret is not passed in, so it cannot
be stored.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from apps_registry.models import ClientAuthFailure, PartnerApp

# The app page shows the last 24 hours; older hours are pruned a day later.
CLIENT_AUTH_FAILURE_RETENTION = timedelta(days=2)


def _hour_of(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def client_auth_failure_record(*, client_ids: set[str], address: str) -> None:
    """Count one failed client authentication from `address` against each app these client_ids
    name (ids no app has are the guesser's inventions and are not recorded)."""
    now = timezone.now()
    hour = _hour_of(now)
    for app_id in PartnerApp.objects.filter(client_id__in=client_ids).values_list("pk", flat=True):
        bucket = ClientAuthFailure.objects.filter(app_id=app_id, address=address, hour=hour)
        if bucket.update(count=F("count") + 1, last_seen_at=now):
            continue
        try:
            with transaction.atomic():
                ClientAuthFailure.objects.create(
                    app_id=app_id, address=address, hour=hour, count=1, last_seen_at=now
                )
        except IntegrityError:  # a concurrent failure created this hour's row first
            bucket.update(count=F("count") + 1, last_seen_at=now)
            continue
        # A new row starts an hour: the moment to drop hours nobody is shown any more.
        ClientAuthFailure.objects.filter(hour__lt=hour - CLIENT_AUTH_FAILURE_RETENTION).delete()
