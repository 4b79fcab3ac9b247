"""Loading the catalog file: the database's scopes and endpoints made to match it, weakening
differences proposed to the catalog managers instead of applied, every change in the history."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from scopes import events as catalog_events
from scopes.catalog_version import catalog_version_bump
from scopes.errors import CatalogFileError
from scopes.models import Endpoint, Scope, ScopeChange
from scopes.selectors import scope_is_in_use
from scopes.services._scope_changes import (
    changed_fields,
    decide,
    is_tightening,
    is_weakening,
)
from scopes.services.catalog_validation import EndpointData, ScopeData, catalog_validate


@dataclass
class CatalogLoadReport:
    """What a catalog load changed, by scope key and by `METHOD path`."""

    scopes_created: list[str] = field(default_factory=list)
    # key → names of the fields that changed
    scopes_updated: dict[str, list[str]] = field(default_factory=dict)
    scopes_deactivated: list[str] = field(default_factory=list)
    scopes_unchanged: list[str] = field(default_factory=list)
    endpoints_created: list[str] = field(default_factory=list)
    endpoints_updated: dict[str, list[str]] = field(default_factory=dict)
    endpoints_removed: list[str] = field(default_factory=list)
    endpoints_unchanged: list[str] = field(default_factory=list)
    # key → weakening fields this load proposed instead of applying
    scopes_proposed: dict[str, list[str]] = field(default_factory=dict)
    # key → fields whose file value a catalog manager cancelled: not proposed again
    scopes_declined: dict[str, list[str]] = field(default_factory=dict)
    # "key: field" of every change waiting for a catalog manager after the load, anyone's
    changes_pending: list[str] = field(default_factory=list)

    @property
    def has_changes(self) -> bool:
        return bool(
            self.scopes_created
            or self.scopes_updated
            or self.scopes_proposed
            or self.scopes_deactivated
            or self.endpoints_created
            or self.endpoints_updated
            or self.endpoints_removed
        )


@transaction.atomic
def catalog_load(*, data: Any) -> CatalogLoadReport:
    """Make the catalog match `data`: create and update scopes and endpoints, deactivate missing
    scopes (never delete them: apps and consents reference them), remove missing endpoints.
    A weakening difference in an existing scope's fields is not applied but proposed, for a
    catalog manager to confirm (see _propose_from_file). Every field and endpoint link it
    changes is a CatalogEvent without an actor.
    Validates everything before writing; bumps the matcher's catalog version on commit."""
    scope_entries, endpoint_entries = catalog_validate(data=data)
    report = CatalogLoadReport()

    # Locking the existing rows makes two concurrent loads run one after the other.
    existing_scopes = {scope.key: scope for scope in Scope.objects.select_for_update()}
    _refuse_tightening_scopes_in_use(scope_entries, existing_scopes)
    # Changes are only written under their scope's lock (here, in scope_edit and when decided),
    # so with every scope locked these are current.
    file_proposals = _FileProposals.read()
    to_create, to_update, update_fields = [], [], set()
    # (key, field, old, new) for the catalog history; old is None for a new scope.
    field_changes: list[tuple[str, str, Any, Any]] = []
    for entry in scope_entries:
        scope = existing_scopes.get(entry.key)
        if scope is None:
            to_create.append(Scope(key=entry.key, **entry.values))
            report.scopes_created.append(entry.key)
            field_changes += [
                (entry.key, name, None, value) for name, value in entry.values.items()
            ]
            continue
        differences = changed_fields(scope, entry.values)
        weakening = [n for n in differences if is_weakening(scope, n, entry.values[n])]
        changed = [name for name in differences if name not in weakening]
        for name in weakening:
            _propose_from_file(scope, name, entry.values[name], file_proposals, report)
        if not changed:
            if entry.key not in report.scopes_proposed:
                report.scopes_unchanged.append(entry.key)
            continue
        for name in changed:
            field_changes.append((entry.key, name, getattr(scope, name), entry.values[name]))
            setattr(scope, name, entry.values[name])
        to_update.append(scope)
        update_fields.update(changed)
        report.scopes_updated[entry.key] = changed
    file_keys = {entry.key for entry in scope_entries}
    for key, scope in existing_scopes.items():
        if key not in file_keys and scope.is_active:
            scope.is_active = False
            to_update.append(scope)
            update_fields.add("is_active")
            report.scopes_deactivated.append(key)
            field_changes.append((key, "is_active", True, False))
    Scope.objects.bulk_create(to_create)
    if to_update:
        Scope.objects.bulk_update(to_update, sorted(update_fields))
    scope_ids = dict(Scope.objects.values_list("key", "pk"))
    now = timezone.now()
    catalog_events.record_catalog_events(
        catalog_events.build_catalog_event(
            catalog_events.Loaded(field=name, old_value=old, new_value=new),
            scope_id=scope_ids[key],
            actor=None,
            now=now,
        )
        for key, name, old, new in field_changes
    )

    _load_endpoints(endpoint_entries, scope_ids, report)
    report.changes_pending = [
        f"{key}: {name}"
        for key, name in ScopeChange.objects.filter(status=ScopeChange.Status.PENDING)
        .order_by("scope__key", "field")
        .values_list("scope__key", "field")
    ]
    if report.has_changes:
        transaction.on_commit(catalog_version_bump)
    return report


@dataclass
class _FileProposals:
    """The changes a load weighs, by (scope id, field): the pending change of each field,
    whoever proposed it, and the file's latest proposal, to tell whether a catalog manager
    already cancelled the value the file still holds."""

    pending: dict[tuple[int, str], ScopeChange]
    latest_from_file: dict[tuple[int, str], ScopeChange]

    @classmethod
    def read(cls) -> _FileProposals:
        pending = {
            (change.scope_id, change.field): change
            for change in ScopeChange.objects.filter(status=ScopeChange.Status.PENDING)
        }
        latest: dict[tuple[int, str], ScopeChange] = {}
        for change in ScopeChange.objects.filter(proposed_by=None).order_by("proposed_at", "pk"):
            latest[(change.scope_id, change.field)] = change
        return cls(pending=pending, latest_from_file=latest)


def _propose_from_file(
    scope: Scope,
    name: str,
    value: Any,
    proposals: _FileProposals,
    report: CatalogLoadReport,
) -> None:
    """A weakening difference between the file and the scope waits for a catalog manager, like a
    manager's own weakening edit; the file is not a person, so any one manager may confirm it.

    A field has at most one pending change: an equal one is left alone, a manager's pending
    change is left for the managers to decide, and the file's own earlier proposal of another
    value is replaced. A value a manager cancelled is not proposed again on every deploy; the
    file must hold a new value for that."""
    where = (scope.pk, name)
    pending = proposals.pending.get(where)
    if pending is not None and (pending.new_value == value or pending.proposed_by_id is not None):
        return
    latest = proposals.latest_from_file.get(where)
    if (
        pending is None
        and latest is not None
        and latest.status == ScopeChange.Status.CANCELLED
        and latest.new_value == value
    ):
        report.scopes_declined.setdefault(scope.key, []).append(name)
        return
    now = timezone.now()
    if pending is not None:
        decide(pending, ScopeChange.Status.CANCELLED, actor=None, now=now)
    change = ScopeChange.objects.create(
        scope=scope,
        field=name,
        old_value=getattr(scope, name),
        new_value=value,
        proposed_by=None,
        proposed_at=now,
    )
    catalog_events.record_catalog_events(
        [catalog_events.build_change_event(change, catalog_events.Proposed, actor=None, now=now)]
    )
    report.scopes_proposed.setdefault(scope.key, []).append(name)


def _refuse_tightening_scopes_in_use(
    entries: list[ScopeData], existing_scopes: dict[str, Scope]
) -> None:
    """Making a Public scope Custom would cut off apps already using it. The admin grants them a
    grace approval (apps_registry), which the file cannot, so the file may only tighten unused
    scopes."""
    problems = [
        f"{entry.key}: cannot become Custom from the catalog file while apps or seller consents "
        "use it; make the change in the admin, which gives those apps a grace period"
        for entry in entries
        if (scope := existing_scopes.get(entry.key)) is not None
        and is_tightening(scope, "kind", entry.values["kind"])
        and scope_is_in_use(scope=scope)
    ]
    if problems:
        raise CatalogFileError(problems)


def _load_endpoints(
    entries: list[EndpointData], scope_ids: dict[str, int], report: CatalogLoadReport
) -> None:
    link_model = Endpoint.scopes.through
    existing = {(e.method, e.path): e for e in Endpoint.objects.select_for_update()}
    existing_links: dict[int, set[int]] = {}
    for endpoint_id, scope_id in link_model.objects.values_list("endpoint_id", "scope_id"):
        existing_links.setdefault(endpoint_id, set()).add(scope_id)

    to_create, to_update, update_fields = [], [], set()
    for entry in entries:
        endpoint = existing.get((entry.method, entry.path))
        if endpoint is None:
            to_create.append(Endpoint(method=entry.method, path=entry.path, **entry.values))
            report.endpoints_created.append(entry.label)
            continue
        changed = changed_fields(endpoint, entry.values)
        for name in changed:
            setattr(endpoint, name, entry.values[name])
        if changed:
            to_update.append(endpoint)
            update_fields.update(changed)
        wanted = {scope_ids[key] for key in entry.scope_keys}
        if wanted != existing_links.get(endpoint.pk, set()):
            changed.append("scopes")
        if changed:
            report.endpoints_updated[entry.label] = changed
        else:
            report.endpoints_unchanged.append(entry.label)
    Endpoint.objects.bulk_create(to_create)
    if to_update:
        Endpoint.objects.bulk_update(to_update, sorted(update_fields))

    file_labels = {(entry.method, entry.path) for entry in entries}
    removed = [e for label, e in existing.items() if label not in file_labels]
    report.endpoints_removed = sorted(f"{e.method} {e.path}" for e in removed)
    Endpoint.objects.filter(pk__in=[e.pk for e in removed]).delete()

    endpoint_ids = {
        (method, path): pk
        for pk, method, path in Endpoint.objects.values_list("pk", "method", "path")
    }
    wanted_links = {
        (endpoint_ids[(entry.method, entry.path)], scope_ids[key])
        for entry in entries
        for key in entry.scope_keys
    }
    current_links = {
        (endpoint_id, scope_id)
        for endpoint_id, scope_ids_of_endpoint in existing_links.items()
        for scope_id in scope_ids_of_endpoint
    }
    stale = current_links - wanted_links
    if stale:
        stale_pks = [
            pk
            for pk, endpoint_id, scope_id in link_model.objects.filter(
                endpoint_id__in={endpoint_id for endpoint_id, _ in stale}
            ).values_list("pk", "endpoint_id", "scope_id")
            if (endpoint_id, scope_id) in stale
        ]
        link_model.objects.filter(pk__in=stale_pks).delete()
    added = wanted_links - current_links
    link_model.objects.bulk_create(
        [link_model(endpoint_id=e, scope_id=s) for e, s in sorted(added)]
    )
    labels = {e.pk: str(e) for e in existing.values()}
    labels |= {pk: f"{method} {path}" for (method, path), pk in endpoint_ids.items()}
    _record_link_changes(removed_links=stale, added_links=added, labels=labels)


def _record_link_changes(
    *, removed_links: set[tuple[int, int]], added_links: set[tuple[int, int]], labels: dict
) -> None:
    """Which endpoints a scope unlocks is part of what sellers grant, so each link the file adds
    or removes is in the scope's history: field "endpoints", "METHOD path" before or after."""
    now = timezone.now()
    changes = [(scope_id, labels[e], None) for e, scope_id in removed_links]
    changes += [(scope_id, None, labels[e]) for e, scope_id in added_links]
    catalog_events.record_catalog_events(
        catalog_events.build_catalog_event(
            catalog_events.Loaded(field="endpoints", old_value=old, new_value=new),
            scope_id=scope_id,
            actor=None,
            now=now,
        )
        for scope_id, old, new in sorted(changes, key=lambda c: (c[0], c[1] or c[2]))
    )
