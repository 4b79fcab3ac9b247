"""What the catalog file and catalog managers' edits share: which differences weaken or tighten a
scope, and how a proposed change and its decision enter the catalog's history."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.utils import timezone

from scopes import events as catalog_events
from scopes.models import Scope, ScopeChange

# What the consent page shows sellers of each scope: its group heading, name and consent text.
SELLER_FACING_FIELDS = ("group", "name", "consent_text")


def changed_fields(instance: Any, values: dict[str, Any]) -> list[str]:
    return [name for name, value in values.items() if getattr(instance, name) != value]


def is_weakening(scope: Scope, name: str, new_value: Any) -> bool:
    """Changes that lower the protection sellers and reviewers rely on. Any new wording sellers
    read on the consent page counts: a renamed heading changes what they agree to as much as a
    new consent text does."""
    if name == "kind":
        return scope.kind == Scope.Kind.CUSTOM and new_value == Scope.Kind.PUBLIC
    if name == "requires_dual_approval":
        return scope.requires_dual_approval and not new_value
    return name in SELLER_FACING_FIELDS and getattr(scope, name) != new_value


def is_tightening(scope: Scope, name: str, new_value: Any) -> bool:
    return name == "kind" and scope.kind == Scope.Kind.PUBLIC and new_value == Scope.Kind.CUSTOM


def decide(change: ScopeChange, status: str, *, actor: AbstractBaseUser | None, now=None) -> None:
    """Record the decision on `change`; no actor means the catalog file withdrew its own
    proposal for a newer one."""
    now = now or timezone.now()
    change.status = status
    change.decided_by = actor
    change.decided_at = now
    change.save(update_fields=["status", "decided_by", "decided_at"])
    decision = (
        catalog_events.Confirmed
        if status == ScopeChange.Status.CONFIRMED
        else catalog_events.Cancelled
    )
    catalog_events.record_catalog_events(
        [catalog_events.build_change_event(change, decision, actor=actor, now=now)]
    )
