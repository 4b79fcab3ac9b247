"""The catalog's history (CatalogEvent): one details class per action, with its webhook type name,
the builders and writer services use, and the one reader (ADR 0014). A catalog event keeps its
details in columns (field, old and new value), one row per field a change touched."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser

from append_only.event_details import EventDetails, EventSchema
from scopes.models import CatalogEvent, ScopeChange

Action = CatalogEvent.Action


@dataclasses.dataclass(frozen=True)
class CatalogChange(EventDetails):
    """One field of a scope before and after; no old value means a new scope (or endpoint link),
    no new value a removed endpoint link. The catalog is public, so partners see all of it."""

    partner_fields = ("field", "old_value", "new_value")

    field: str
    old_value: Any = None
    new_value: Any = None

    def partner_payload(self) -> dict[str, Any]:
        # An empty side is part of what changed here, so it is kept (as null).
        return {name: getattr(self, name) for name in self.partner_fields}


@dataclasses.dataclass(frozen=True)
class Applied(CatalogChange):
    action = Action.APPLIED
    type_name = "scope.changed"


@dataclasses.dataclass(frozen=True)
class Proposed(CatalogChange):
    action = Action.PROPOSED
    type_name = "scope.change_proposed"


@dataclasses.dataclass(frozen=True)
class Confirmed(CatalogChange):
    action = Action.CONFIRMED
    type_name = "scope.change_confirmed"


@dataclasses.dataclass(frozen=True)
class Cancelled(CatalogChange):
    action = Action.CANCELLED
    type_name = "scope.change_cancelled"


@dataclasses.dataclass(frozen=True)
class Loaded(CatalogChange):
    action = Action.LOADED
    type_name = "scope.loaded"


SCHEMA = EventSchema([Applied, Proposed, Confirmed, Cancelled, Loaded])


def build_catalog_event(
    details: CatalogChange,
    *,
    scope_id: int,
    actor: AbstractBaseUser | None,
    now: datetime,
    change: ScopeChange | None = None,
) -> CatalogEvent:
    """An unsaved event of `details`' action; no actor means the catalog file."""
    return CatalogEvent(
        scope_id=scope_id,
        change=change,
        actor=actor,
        action=details.action,
        field=details.field,
        old_value=details.old_value,
        new_value=details.new_value,
        created_at=now,
    )


def build_change_event(
    change: ScopeChange,
    details_class: type[CatalogChange],
    *,
    actor: AbstractBaseUser | None,
    now: datetime,
) -> CatalogEvent:
    """An unsaved event of a proposed change (its proposal or the decision on it)."""
    details = details_class(
        field=change.field, old_value=change.old_value, new_value=change.new_value
    )
    return build_catalog_event(
        details, scope_id=change.scope_id, actor=actor, now=now, change=change
    )


def record_catalog_events(events: Iterable[CatalogEvent]) -> None:
    """Append events made by the builders above, in one query."""
    CatalogEvent.objects.bulk_create(events)


def read_details(event: CatalogEvent) -> CatalogChange:
    details_class = SCHEMA.by_action[event.action]
    return details_class(field=event.field, old_value=event.old_value, new_value=event.new_value)
