"""The consent history of sellers (AuthorizationEvent): the details each action records, the one
builder and writer services use, and the one reader (ADR 0014)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from datetime import datetime
from typing import Literal

from django.contrib.auth.base_user import AbstractBaseUser

from append_only.event_details import EventDetails, EventSchema
from apps_registry.models import AuthorizationEvent, PartnerApp, Shop

Action = AuthorizationEvent.Action

# How the Custom-scope approval behind a platform revocation ended (the access request's status).
ApprovalEnding = Literal["revoked", "expired"]


@dataclasses.dataclass(frozen=True)
class Granted(EventDetails):
    action = Action.GRANT
    type_name = "authorization.granted"
    partner_fields = ("duration_days", "withdrawn")

    duration_days: int
    # Optional scopes the seller had granted before and unticked this time.
    withdrawn: list[str] = dataclasses.field(default_factory=list)


@dataclasses.dataclass(frozen=True)
class ShopDisconnected(EventDetails):
    action = Action.REVOKE_SHOP
    type_name = "authorization.shop_disconnected"


@dataclasses.dataclass(frozen=True)
class ShopsRevoked(EventDetails):
    """A seller's revocation that reached several of their shops at once."""

    partner_fields = ("shops",)

    shops: list[int] = dataclasses.field(default_factory=list)  # shop ids


@dataclasses.dataclass(frozen=True)
class ScopeWithdrawn(ShopsRevoked):
    action = Action.REVOKE_SCOPE
    type_name = "authorization.scope_withdrawn"


@dataclasses.dataclass(frozen=True)
class AppDisconnected(ShopsRevoked):
    action = Action.REVOKE_APP
    type_name = "authorization.revoked"


@dataclasses.dataclass(frozen=True)
class PlatformRevoked(EventDetails):
    """The platform took a Custom scope back from one authorization because its approval ended."""

    action = Action.PLATFORM_REVOKE
    type_name = "authorization.platform_revoked"
    partner_fields = ("scope", "access_request_id", "approval", "authorization_closed")

    scope: str
    access_request_id: int
    approval: ApprovalEnding
    # True when the scope was the last one on the shop, so the platform disconnected the shop.
    authorization_closed: bool


@dataclasses.dataclass(frozen=True)
class Expired(EventDetails):
    """The consent reached its end unrenewed (written by the daily job, which tells the app)."""

    action = Action.EXPIRE
    type_name = "authorization.expired"
    partner_fields = ("expires_at",)

    expires_at: str  # ISO 8601


SCHEMA = EventSchema(
    [Granted, ShopDisconnected, ScopeWithdrawn, AppDisconnected, PlatformRevoked, Expired]
)


def build_authorization_event(
    details: EventDetails,
    *,
    seller: AbstractBaseUser,
    app: PartnerApp,
    shop: Shop | None,
    scope_keys: Iterable[str],
    now: datetime,
) -> AuthorizationEvent:
    """An unsaved event of `details`' action, for services that write several at once."""
    return AuthorizationEvent(
        seller=seller,
        app=app,
        shop=shop,
        action=details.action,
        scope_keys=list(scope_keys),
        details=details.stored(),
        created_at=now,
    )


def record_authorization_event(
    details: EventDetails,
    *,
    seller: AbstractBaseUser,
    app: PartnerApp,
    shop: Shop | None,
    scope_keys: Iterable[str],
    now: datetime,
) -> AuthorizationEvent:
    """Append one event of `details`' action."""
    event = build_authorization_event(
        details, seller=seller, app=app, shop=shop, scope_keys=scope_keys, now=now
    )
    event.save()
    return event


def record_authorization_events(events: list[AuthorizationEvent]) -> None:
    """Append events made by build_authorization_event in one query."""
    AuthorizationEvent.objects.bulk_create(events)


def read_details(event: AuthorizationEvent) -> EventDetails:
    return SCHEMA.read(event.action, event.details)
