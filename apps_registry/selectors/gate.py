"""What the partner sees of the gate for one app of their organisation: its recent denials by
reason, and the shops whose sellers authorized it (to explain a call on one of them).

Another organisation's app yields nothing: its pages are a 404 before these are asked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import Max, Sum
from django.utils import timezone

from apps_registry.models import GateDenialCount, ShopAuthorization
from apps_registry.selectors._membership import is_member_of_app

RECENT_DENIAL_DAYS = 7
# A datalist of every shop of a widely installed app would weigh more than the page; the partner
# can still type any cipher.
AUTHORIZED_SHOP_CHOICES_LIMIT = 200


@dataclass(frozen=True, slots=True)
class DenialsByReason:
    reason: str
    count: int
    last_denied_at: datetime


def recent_denials_for_user(
    *, user: AbstractBaseUser, app_id: int, days: int = RECENT_DENIAL_DAYS
) -> list[DenialsByReason]:
    """The app's denied calls over the last `days` days (today, UTC, and the days before), one
    row per reason, most recently denied first, in one query."""
    if not user.is_authenticated:
        return []
    first_day = timezone.now().date() - timedelta(days=days - 1)
    rows = (
        GateDenialCount.objects.filter(
            is_member_of_app(user=user, app_id=app_id), app_id=app_id, day__gte=first_day
        )
        .values("reason")
        .annotate(count=Sum("count"), last_denied_at=Max("last_denied_at"))
        .order_by("-last_denied_at", "reason")
    )
    return [DenialsByReason(**row) for row in rows]


@dataclass(frozen=True, slots=True)
class AuthorizedShop:
    cipher: str
    name: str
    consent_expired: bool


def authorized_shops_for_user(
    *, user: AbstractBaseUser, app_id: int, limit: int = AUTHORIZED_SHOP_CHOICES_LIMIT
) -> list[AuthorizedShop]:
    """The shops whose sellers authorized the app and have not revoked it, expired consents
    included (the gate says so for them), by shop name, in one query."""
    if not user.is_authenticated:
        return []
    now = timezone.now()
    rows = (
        ShopAuthorization.objects.filter(
            is_member_of_app(user=user, app_id=app_id), app_id=app_id, revoked_at__isnull=True
        )
        .order_by("shop__name", "shop__cipher")
        .values_list("shop__cipher", "shop__name", "expires_at")[:limit]
    )
    return [AuthorizedShop(cipher, name, expires_at <= now) for cipher, name, expires_at in rows]
