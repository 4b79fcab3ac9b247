"""The app's installs, as the partner sees them: the shops that authorize it now (a list the page
shows by keyset pages, newest install first), how many shops and sellers that is, its latest
authorizations and revocations, and its daily token issuance and gateway denials over the last 30
days.

Partners see shops, not people: no seller's name or e-mail address is read here (a seller
consented to the app using their shop, not to being known to the partner). Every read is owner
scoped (another organisation's app yields nothing; its page is a 404 before these are asked),
aggregated in the database, and costs the same number of queries however many shops there are.
Each read is a range of one app's rows by time (authorizations by grant, events by creation,
refresh tokens by creation), so an index on (app, time) serves it however big the tables grow.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import Count, Max, OuterRef, Prefetch, QuerySet, Subquery, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone
from oauth2_provider.models import get_refresh_token_model

from apps_registry.models import AuthorizationEvent, GateDenialCount, ScopeUsage, ShopAuthorization
from apps_registry.selectors._membership import is_member_of_app
from scopes.models import Scope

USAGE_DAYS = 30
RECENT_AUTHORIZATION_EVENTS_LIMIT = 20


@dataclass(frozen=True, slots=True)
class InstalledShop:
    name: str
    cipher: str
    region: str
    installed_at: datetime
    expires_at: datetime
    scope_keys: list[str]
    last_used_at: datetime | None


@dataclass(frozen=True, slots=True)
class DailyCount:
    day: date
    count: int


@dataclass(frozen=True, slots=True)
class AppInstalls:
    shop_count: int
    seller_count: int
    recent_events: list[AuthorizationEvent]
    tokens_issued: list[DailyCount]  # one per day, oldest first, days without any included
    calls_denied: list[DailyCount]  # likewise

    @property
    def first_day(self) -> date:
        return self.tokens_issued[0].day

    @property
    def last_day(self) -> date:
        return self.tokens_issued[-1].day


def _live_authorizations(*, user: AbstractBaseUser, app_id: int, now: datetime):
    return ShopAuthorization.objects.filter(
        is_member_of_app(user=user, app_id=app_id),
        app_id=app_id,
        revoked_at__isnull=True,
        expires_at__gt=now,
    )


def _daily_series(rows: dict[date, int], *, first_day: date, days: int) -> list[DailyCount]:
    """Every day from `first_day` on, zero where the database had no row."""
    return [
        DailyCount(day, rows.get(day, 0))
        for day in (first_day + timedelta(days=offset) for offset in range(days))
    ]


def installed_shops_for_user(*, user: AbstractBaseUser, app_id: int) -> QuerySet[ShopAuthorization]:
    """The app's live authorizations, newest install first, each with its shop, its scopes (one
    prefetch query) and `last_used`; `installed_shop` makes a row of each. None, in that order,
    for an anonymous user."""
    last_used = (
        ScopeUsage.objects.filter(app_id=app_id, shop_id=OuterRef("shop_id"))
        .values("shop_id")
        .annotate(last=Max("last_used_at"))
        .values("last")
    )
    shops = (
        _live_authorizations(user=user, app_id=app_id, now=timezone.now())
        .select_related("shop")
        .prefetch_related(Prefetch("scopes", queryset=Scope.objects.only("key").order_by("key")))
        .annotate(last_used=Subquery(last_used))
        .order_by("-granted_at", "-pk")
    )
    return shops if user.is_authenticated else shops.none()


def installed_shop(authorization: ShopAuthorization) -> InstalledShop:
    """One row of `installed_shops_for_user`, as the page shows it."""
    return InstalledShop(
        name=authorization.shop.name,
        cipher=authorization.shop.cipher,
        region=authorization.shop.region,
        installed_at=authorization.granted_at,
        expires_at=authorization.expires_at,
        scope_keys=[scope.key for scope in authorization.scopes.all()],
        last_used_at=authorization.last_used,
    )


def app_installs_for_user(
    *,
    user: AbstractBaseUser,
    app_id: int,
    days: int = USAGE_DAYS,
    events_limit: int = RECENT_AUTHORIZATION_EVENTS_LIMIT,
) -> AppInstalls:
    """Four queries: the shops and sellers counted, the latest events, and the two daily series,
    each over the last `days` UTC days, today included."""
    now = timezone.now()
    first_day = now.date() - timedelta(days=days - 1)
    if not user.is_authenticated:
        nothing = _daily_series({}, first_day=first_day, days=days)
        return AppInstalls(0, 0, [], tokens_issued=nothing, calls_denied=nothing)
    # The seller who granted an authorization is its shop's owner (authorization_grant lets only
    # owners authorize, and shops keep their owner): counting them needs no join to the shops,
    # which PostgreSQL would read in full to match an app's thousands of installs.
    totals = _live_authorizations(user=user, app_id=app_id, now=now).aggregate(
        shops=Count("pk"), sellers=Count("granted_by_id", distinct=True)
    )
    recent_events = list(
        AuthorizationEvent.objects.filter(is_member_of_app(user=user, app_id=app_id), app_id=app_id)
        .select_related("shop")
        .order_by("-created_at", "-pk")[:events_limit]
    )
    # Each authorization-code exchange and each refresh issues one refresh token, and DOT keeps a
    # revoked refresh token's row (an access token's is deleted on revocation), so these rows
    # count the app's token issuance honestly for as long as they are kept.
    issued = (
        get_refresh_token_model()
        .objects.filter(
            is_member_of_app(user=user, app_id=app_id),
            application_id=app_id,
            # A range on the column itself, not on its date: filtered as the app's rows are read.
            created__gte=datetime.combine(first_day, time.min, tzinfo=UTC),
        )
        .annotate(day=TruncDate("created"))
        .values("day")
        .annotate(count=Count("pk"))
        .order_by()
        .values_list("day", "count")
    )
    denied = (
        GateDenialCount.objects.filter(
            is_member_of_app(user=user, app_id=app_id), app_id=app_id, day__gte=first_day
        )
        .values("day")
        .annotate(count=Sum("count"))
        .order_by()
        .values_list("day", "count")
    )
    return AppInstalls(
        shop_count=totals["shops"],
        seller_count=totals["sellers"],
        recent_events=recent_events,
        tokens_issued=_daily_series(dict(issued), first_day=first_day, days=days),
        calls_denied=_daily_series(dict(denied), first_day=first_day, days=days),
    )
