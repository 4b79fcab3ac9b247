"""Catalog managers' edits of a scope, and the second manager's confirmation or cancellation
of the weakening ones."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from scopes import events as catalog_events
from scopes.catalog_version import catalog_version_bump
from scopes.error_codes import CatalogErrorCode
from scopes.errors import CatalogInputError, CatalogPermissionError, CatalogStateError
from scopes.models import Scope, ScopeChange
from scopes.services._scope_changes import (
    changed_fields,
    decide,
    is_tightening,
    is_weakening,
)
from scopes.services.catalog_validation import SCOPE_FIELDS, SCOPE_OPTIONAL_FIELDS

# The key is the scope's identity in the catalog file, which alone creates scopes: a key renamed
# elsewhere would come back as a new scope on the next load.
SCOPE_EDITABLE_FIELDS = ("is_active", *SCOPE_FIELDS, *SCOPE_OPTIONAL_FIELDS)
CATALOG_MANAGE_PERMISSION = "scopes.manage_catalog"


@dataclass(frozen=True)
class ScopeEditResult:
    """What a catalog manager's edit did: fields applied at once, changes awaiting a second
    manager, and whether the scope went from Public to Custom."""

    scope: Scope
    applied: list[str]
    proposed: list[ScopeChange]
    tightened: bool


def is_catalog_manager(user: AbstractBaseUser) -> bool:
    """Active staff with the catalog permission (the "Catalog managers" group)."""
    return bool(user.is_active and user.is_staff and user.has_perm(CATALOG_MANAGE_PERMISSION))


def _require_catalog_manager(user: AbstractBaseUser) -> None:
    if not is_catalog_manager(user):
        raise CatalogPermissionError(
            "Only catalog managers may change the scope catalog; reviewers can view it.",
            code=CatalogErrorCode.NOT_A_CATALOG_MANAGER,
        )


def _validate(scope: Scope) -> None:
    try:
        scope.full_clean()
    except ValidationError as error:
        raise CatalogInputError(
            "; ".join(error.messages),
            code=CatalogErrorCode.INVALID_VALUE,
            fields=error.message_dict,
        ) from error


@transaction.atomic
def scope_edit(
    *, scope_id: int, changes: dict[str, Any], actor: AbstractBaseUser
) -> ScopeEditResult:
    """A catalog manager's edit. Weakening changes (Custom → Public, dual approval off, new wording
    on the consent page) become pending ScopeChanges a second manager must confirm; the rest apply
    at once. Bumps the catalog version on commit."""
    _require_catalog_manager(actor)
    # setattr would take any attribute name (the primary key, a related row, a typo); only the
    # catalog's own fields are edited here.
    not_editable = sorted(set(changes) - set(SCOPE_EDITABLE_FIELDS))
    if not_editable:
        raise CatalogInputError(
            f"Not an editable field of a scope: {', '.join(not_editable)}.",
            code=CatalogErrorCode.FIELD_NOT_EDITABLE,
        )
    scope = Scope.objects.select_for_update().get(pk=scope_id)
    changed = changed_fields(scope, changes)
    weakening = [name for name in changed if is_weakening(scope, name, changes[name])]
    already_pending = sorted(
        ScopeChange.objects.filter(
            scope=scope, field__in=weakening, status=ScopeChange.Status.PENDING
        ).values_list("field", flat=True)
    )
    if already_pending:
        raise CatalogStateError(
            f"A change of {', '.join(already_pending)} on {scope.key} already waits for a second "
            "catalog manager. Confirm or cancel it first.",
            code=CatalogErrorCode.CHANGE_ALREADY_PENDING,
        )
    tightened = is_tightening(scope, "kind", changes.get("kind"))
    old = {name: getattr(scope, name) for name in changed}
    # Validate the scope as it will look once everything, proposals included, is in place.
    for name in changed:
        setattr(scope, name, changes[name])
    _validate(scope)
    for name in weakening:
        setattr(scope, name, old[name])
    applied = [name for name in changed if name not in weakening]
    if applied:
        scope.save(update_fields=applied)
        transaction.on_commit(catalog_version_bump)

    now = timezone.now()
    events = [
        catalog_events.build_catalog_event(
            catalog_events.Applied(field=name, old_value=old[name], new_value=changes[name]),
            scope_id=scope.pk,
            actor=actor,
            now=now,
        )
        for name in applied
    ]
    proposed = []
    for name in weakening:
        change = ScopeChange.objects.create(
            scope=scope,
            field=name,
            old_value=old[name],
            new_value=changes[name],
            proposed_by=actor,
            proposed_at=now,
        )
        proposed.append(change)
        events.append(
            catalog_events.build_change_event(change, catalog_events.Proposed, actor=actor, now=now)
        )
    catalog_events.record_catalog_events(events)
    return ScopeEditResult(scope=scope, applied=applied, proposed=proposed, tightened=tightened)


@transaction.atomic
def scope_change_confirm(*, change_id: int, actor: AbstractBaseUser) -> ScopeChange:
    """A second, different catalog manager confirms a pending change: it applies now, unless the
    scope's value moved on since the proposal (then it must be cancelled and proposed again)."""
    _require_catalog_manager(actor)
    change, scope = _lock_pending_change(change_id, action="confirm")
    if change.proposed_by_id == actor.pk:
        raise CatalogPermissionError(
            "You proposed this change; a different catalog manager must confirm it.",
            code=CatalogErrorCode.OWN_PROPOSAL,
        )
    if getattr(scope, change.field) != change.old_value:
        raise CatalogStateError(
            f"The {change.field} of {scope.key} changed since this was proposed. "
            "Cancel this change and propose it again.",
            code=CatalogErrorCode.SCOPE_CHANGED_SINCE_PROPOSED,
        )
    setattr(scope, change.field, change.new_value)
    # Valid when proposed, but confirmations of other fields may have come in between (e.g. the
    # kind made Public before dual approval was turned off).
    _validate(scope)
    scope.save(update_fields=[change.field])
    decide(change, ScopeChange.Status.CONFIRMED, actor=actor)
    transaction.on_commit(catalog_version_bump)
    return change


@transaction.atomic
def scope_change_cancel(*, change_id: int, actor: AbstractBaseUser) -> ScopeChange:
    """Any catalog manager, the proposer included, withdraws a pending change; the scope stays."""
    _require_catalog_manager(actor)
    change, _scope = _lock_pending_change(change_id, action="cancel")
    decide(change, ScopeChange.Status.CANCELLED, actor=actor)
    return change


def _lock_pending_change(change_id: int, *, action: str) -> tuple[ScopeChange, Scope]:
    # The scope is locked before the change, in the same order scope_edit takes them.
    scope_id = ScopeChange.objects.filter(pk=change_id).values_list("scope_id", flat=True).first()
    if scope_id is None:
        raise CatalogStateError(
            "This catalog change does not exist.", code=CatalogErrorCode.CHANGE_NOT_FOUND
        )
    scope = Scope.objects.select_for_update().get(pk=scope_id)
    change = ScopeChange.objects.select_for_update().get(pk=change_id)
    if change.status != ScopeChange.Status.PENDING:
        raise CatalogStateError(
            f"This change is already {change.get_status_display().lower()}; "
            f"there is nothing to {action}.",
            code=CatalogErrorCode.CHANGE_NOT_PENDING,
        )
    return change, scope
