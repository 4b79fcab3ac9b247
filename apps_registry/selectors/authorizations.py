"""Reads about sellers' shops and consents; every function is scoped to one seller."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Prefetch, QuerySet
from django.utils import timezone

from apps_registry.events import authorization as authorization_events
from apps_registry.models import (
    AppScope,
    AuthorizationEvent,
    PartnerApp,
    Shop,
    ShopAuthorization,
)
from apps_registry.selectors.availability import available_scopes_condition
from scopes.models import Scope


def _live_consents(*, seller: AbstractBaseUser) -> QuerySet[ShopAuthorization]:
    return ShopAuthorization.objects.filter(
        shop__owner=seller, revoked_at__isnull=True, expires_at__gt=timezone.now()
    )


def shops_for_seller(*, seller: AbstractBaseUser) -> QuerySet[Shop]:
    return Shop.objects.filter(owner=seller).order_by("name", "pk")


def shops_with_connected_apps(
    *, seller: AbstractBaseUser
) -> list[tuple[Shop, list[ShopAuthorization]]]:
    """The seller's shops, each with its live consents (their apps loaded), in two queries."""
    live = _live_consents(seller=seller).select_related("app").order_by("app__name", "app__pk")
    by_shop: dict[int, list[ShopAuthorization]] = {}
    for authorization in live:
        by_shop.setdefault(authorization.shop_id, []).append(authorization)
    return [(shop, by_shop.get(shop.pk, [])) for shop in shops_for_seller(seller=seller)]


def usable_app_for_client_id(*, client_id: str) -> PartnerApp | None:
    """The app a client id names, if it may ask sellers for consent now (not suspended); None
    for an id no app could have (too long, or holding NUL, which PostgreSQL refuses)."""
    max_length = PartnerApp._meta.get_field("client_id").max_length
    if not client_id or len(client_id) > max_length or "\x00" in client_id:
        return None
    app = PartnerApp.objects.filter(client_id=client_id).first()
    return app if app is not None and app.is_usable(None) else None


def active_authorizations(
    *, seller: AbstractBaseUser, app: PartnerApp, now: datetime | None = None
) -> QuerySet[ShopAuthorization]:
    """The seller's live consents for the app: not revoked, not expired."""
    now = now or timezone.now()
    return ShopAuthorization.objects.filter(
        app=app, shop__owner=seller, revoked_at__isnull=True, expires_at__gt=now
    )


@dataclass(frozen=True)
class LiveConsent:
    """The seller's live consents for an app, all shops together."""

    ends_at: datetime | None  # when the last of them ends; None when there is none
    scope_keys: frozenset[str]  # granted on at least one shop
    usable_scope_keys: frozenset[str]  # of those, the ones still available to the app


def live_consent(*, seller: AbstractBaseUser, app: PartnerApp) -> LiveConsent:
    """What the seller's live authorizations grant the app, which of it the app may still use,
    and until when, in one query (the token endpoint asks on every code exchange and refresh)."""
    available = ExpressionWrapper(
        available_scopes_condition(app=app, via="scopes__"), output_field=BooleanField()
    )
    rows = list(
        active_authorizations(seller=seller, app=app)
        .annotate(available=available)
        .order_by()
        .values_list("expires_at", "scopes__key", "available")
    )
    return LiveConsent(
        ends_at=max((expires_at for expires_at, _, _ in rows), default=None),
        scope_keys=frozenset(key for _, key, _ in rows if key is not None),
        usable_scope_keys=frozenset(key for _, key, usable in rows if key is not None and usable),
    )


def granted_scope_keys(*, seller: AbstractBaseUser, app: PartnerApp) -> set[str]:
    """Scopes the seller currently grants the app on at least one shop."""
    return set(live_consent(seller=seller, app=app).scope_keys)


@dataclass
class ConnectedApp:
    """One app on the seller's Connected apps page."""

    app: PartnerApp
    authorizations: list[ShopAuthorization] = field(default_factory=list)
    required_scope_keys: set[str] = field(default_factory=set)

    @property
    def scopes(self) -> list[Scope]:
        """Every scope granted on at least one shop, in catalog order."""
        by_key = {scope.key: scope for auth in self.authorizations for scope in auth.scopes.all()}
        return sorted(by_key.values(), key=lambda scope: (scope.position, scope.key))

    @property
    def last_used_at(self) -> datetime | None:
        used = [auth.last_used_at for auth in self.authorizations if auth.last_used_at]
        return max(used, default=None)


def connected_app_rows(*, seller: AbstractBaseUser) -> QuerySet[PartnerApp]:
    """The apps holding a live consent on one of the seller's shops, by name: the Connected apps
    page's list, which it pages (a seller may have connected hundreds of apps) before loading
    each page's consents with `connected_apps_for_seller`."""
    return PartnerApp.objects.filter(
        Exists(_live_consents(seller=seller).filter(app=OuterRef("pk")))
    ).order_by("name", "pk")


def connected_apps_for_seller(
    *, seller: AbstractBaseUser, app_ids: Collection[int]
) -> list[ConnectedApp]:
    """These apps, each with its live consents on the seller's shops, by app name; an app
    holding none on them is left out."""
    authorizations = (
        _live_consents(seller=seller)
        .filter(app_id__in=app_ids)
        .select_related("shop", "app__partner")
        .prefetch_related(Prefetch("scopes", queryset=Scope.objects.order_by("position", "key")))
        .order_by("app__name", "app__pk", "shop__name", "shop__pk")
    )
    connected: dict[int, ConnectedApp] = {}
    for authorization in authorizations:
        entry = connected.setdefault(authorization.app_id, ConnectedApp(app=authorization.app))
        entry.authorizations.append(authorization)
    required = AppScope.objects.filter(app_id__in=connected, is_required=True).values_list(
        "app_id", "scope__key"
    )
    for connected_app_id, key in required:
        connected[connected_app_id].required_scope_keys.add(key)
    return list(connected.values())


def connected_app_for_seller(*, seller: AbstractBaseUser, app_id: int) -> ConnectedApp | None:
    """One connected app of this seller; another seller's (or an unknown) app is None."""
    found = connected_apps_for_seller(seller=seller, app_ids=[app_id])
    return found[0] if found else None


# How long the Connected apps page tells the seller about access the platform removed.
PLATFORM_REVOCATION_NOTICE_DAYS = 30


@dataclass(frozen=True)
class PlatformRevocation:
    """A permission the platform took back from an app on one of the seller's shops."""

    app: PartnerApp
    shop: Shop
    scope_name: str
    removed_at: datetime
    approval_revoked: bool  # else the app's approval expired
    shop_disconnected: bool  # it was the app's last permission on the shop


def recent_platform_revocations(*, seller: AbstractBaseUser) -> list[PlatformRevocation]:
    """What the platform removed from apps on the seller's shops in the last
    PLATFORM_REVOCATION_NOTICE_DAYS days, newest first."""
    since = timezone.now() - timedelta(days=PLATFORM_REVOCATION_NOTICE_DAYS)
    events = [
        (event, authorization_events.read_details(event))
        for event in AuthorizationEvent.objects.filter(
            seller=seller,
            action=AuthorizationEvent.Action.PLATFORM_REVOKE,
            created_at__gte=since,
        )
        .select_related("app", "shop")
        .order_by("-created_at", "-pk")
    ]
    names = dict(
        Scope.objects.filter(key__in={details.scope for _, details in events}).values_list(
            "key", "name"
        )
    )
    return [
        PlatformRevocation(
            app=event.app,
            shop=event.shop,
            scope_name=names.get(details.scope, details.scope),
            removed_at=event.created_at,
            approval_revoked=details.approval == "revoked",
            shop_disconnected=details.authorization_closed,
        )
        for event, details in events
    ]


@dataclass(frozen=True)
class ConsentScope:
    """One requested scope as the consent page shows it."""

    scope: Scope
    is_required: bool
    already_granted: bool


@dataclass(frozen=True)
class ConsentShop:
    shop: Shop
    authorization: ShopAuthorization | None


def consent_scopes(
    *, seller: AbstractBaseUser, app: PartnerApp, scope_keys: list[str]
) -> list[tuple[str, list[ConsentScope]]]:
    """The requested scopes grouped as in the catalog, each marked required or optional (the app's
    choice) and already granted or new (incremental consent)."""
    required = dict(
        AppScope.objects.filter(app=app, scope__key__in=scope_keys).values_list(
            "scope__key", "is_required"
        )
    )
    already = granted_scope_keys(seller=seller, app=app)
    groups: dict[str, list[ConsentScope]] = {}
    for scope in (
        Scope.objects.filter(key__in=scope_keys)
        .prefetch_related("endpoints")
        .order_by("position", "key")
    ):
        groups.setdefault(scope.group, []).append(
            ConsentScope(
                scope=scope,
                # A scope that lost its AppScope row since the request was made stays mandatory:
                # only the app's explicit "optional" lets a seller untick it.
                is_required=required.get(scope.key, True),
                already_granted=scope.key in already,
            )
        )
    return list(groups.items())


def consent_shops(*, seller: AbstractBaseUser, app: PartnerApp) -> list[ConsentShop]:
    """The seller's shops, each with its live authorization for the app if it has one."""
    live = {
        authorization.shop_id: authorization
        for authorization in active_authorizations(seller=seller, app=app)
    }
    return [
        ConsentShop(shop=shop, authorization=live.get(shop.pk))
        for shop in shops_for_seller(seller=seller)
    ]
