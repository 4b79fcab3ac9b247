"""Writes to the scope catalog: loading the catalog file, catalog managers' edits and a second
manager's confirmation of weakening changes, version bumps; each change writes CatalogEvents."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from scopes.errors import CatalogError, CatalogFileError, CatalogPermissionError, CatalogStateError
from scopes.matching import PARAMETER_SEGMENT, catalog_version_bump
from scopes.models import CatalogEvent, Endpoint, Scope, ScopeChange
from scopes.selectors import scope_is_in_use

PARAMETER_SEGMENT_ANYWHERE = re.compile(r"\{[^/{}]*\}")
SCOPE_KEY_FORMAT = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")
SCOPE_FIELDS = ("name", "group", "kind", "token_type", "description", "consent_text")
SCOPE_OPTIONAL_FIELDS = ("requires_dual_approval", "position")
ENDPOINT_FIELDS = ("method", "path", "title", "scopes")
ENDPOINT_OPTIONAL_FIELDS = ("module", "needs_shop")
# The key is the scope's identity in the catalog file, which alone creates scopes: a key renamed
# elsewhere would come back as a new scope on the next load.
SCOPE_EDITABLE_FIELDS = ("is_active", *SCOPE_FIELDS, *SCOPE_OPTIONAL_FIELDS)
# What the consent page shows sellers of each scope: its group heading, name and consent text.
SELLER_FACING_FIELDS = ("group", "name", "consent_text")
CATALOG_MANAGE_PERMISSION = "scopes.manage_catalog"


@dataclass(frozen=True)
class _ScopeData:
    key: str
    values: dict[str, Any]


@dataclass(frozen=True)
class _EndpointData:
    method: str
    path: str
    values: dict[str, Any]
    scope_keys: frozenset[str]

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"


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


# --- Validation (pure: reads nothing, writes nothing) ---------------------------------------------


def _model_max_length(model: type, name: str) -> int | None:
    return getattr(model._meta.get_field(name), "max_length", None)


def _check_fields(
    entry: Any,
    where: str,
    required: tuple[str, ...],
    optional: tuple[str, ...],
    problems: list[str],
) -> bool:
    if not isinstance(entry, dict):
        problems.append(f"{where}: must be an object, not {type(entry).__name__}")
        return False
    missing = [name for name in required if name not in entry]
    unknown = sorted(set(entry) - set(required) - set(optional))
    if missing:
        problems.append(f"{where}: missing field(s) {', '.join(missing)}")
    if unknown:
        problems.append(f"{where}: unknown field(s) {', '.join(unknown)}")
    return not missing and not unknown


def _check_text(value: Any, where: str, model: type, name: str, problems: list[str]) -> None:
    if not isinstance(value, str) or not value.strip():
        problems.append(f"{where}: {name} must be a non-empty string")
        return
    limit = _model_max_length(model, name)
    if limit is not None and len(value) > limit:
        problems.append(f"{where}: {name} is {len(value)} characters long, the limit is {limit}")


def _parse_scope(entry: Any, index: int, problems: list[str]) -> _ScopeData | None:
    key = entry.get("key") if isinstance(entry, dict) else None
    where = f"scopes[{index}]" + (f" ({key})" if isinstance(key, str) else "")
    if not _check_fields(entry, where, ("key", *SCOPE_FIELDS), SCOPE_OPTIONAL_FIELDS, problems):
        return None
    before = len(problems)
    if not isinstance(key, str) or not SCOPE_KEY_FORMAT.match(key):
        problems.append(f"{where}: key must look like 'seller.product.basic'")
    elif len(key) > _model_max_length(Scope, "key"):
        problems.append(f"{where}: key is longer than {_model_max_length(Scope, 'key')}")
    for name in ("name", "group", "description", "consent_text"):
        _check_text(entry[name], where, Scope, name, problems)
    if entry["kind"] not in Scope.Kind.values:
        problems.append(
            f"{where}: unknown kind {entry['kind']!r} (use one of {', '.join(Scope.Kind.values)})"
        )
    if entry["token_type"] not in Scope.TokenType.values:
        problems.append(
            f"{where}: unknown token_type {entry['token_type']!r} "
            f"(use one of {', '.join(Scope.TokenType.values)})"
        )
    dual = entry.get("requires_dual_approval", False)
    if not isinstance(dual, bool):
        problems.append(f"{where}: requires_dual_approval must be true or false")
    elif dual and entry["kind"] != Scope.Kind.CUSTOM:
        problems.append(f"{where}: requires_dual_approval applies to Custom scopes only")
    position = entry.get("position", index * 10)
    if isinstance(position, bool) or not isinstance(position, int) or position < 0:
        problems.append(f"{where}: position must be a whole number ≥ 0")
    if len(problems) > before:
        return None
    values = {name: entry[name] for name in SCOPE_FIELDS}
    values |= {"requires_dual_approval": dual, "position": position, "is_active": True}
    return _ScopeData(key=key, values=values)


def _check_endpoint_path(path: Any, where: str, problems: list[str]) -> None:
    if not isinstance(path, str) or not path.startswith("/") or path == "/":
        problems.append(f"{where}: path must start with '/' and name a resource")
        return
    if len(path) > _model_max_length(Endpoint, "path"):
        problems.append(f"{where}: path is longer than {_model_max_length(Endpoint, 'path')}")
    if any(character in path for character in "?#% \t"):
        problems.append(f"{where}: path must be a template without query string or spaces")
        return
    segments = path[1:].split("/")
    if "" in segments:
        problems.append(f"{where}: path has an empty segment or a trailing slash")
    names = []
    for segment in segments:
        if "{" in segment or "}" in segment:
            if not PARAMETER_SEGMENT.match(segment):
                problems.append(
                    f"{where}: path segment {segment!r} must be a whole parameter like "
                    "'{product_id}'"
                )
            names.append(segment)
        elif segment in {".", ".."}:
            problems.append(f"{where}: path must not contain '.' or '..' segments")
    if len(names) != len(set(names)):
        problems.append(f"{where}: path names a parameter twice")


def _parse_endpoint(
    entry: Any, index: int, scope_keys: set[str], problems: list[str]
) -> _EndpointData | None:
    where = f"endpoints[{index}]"
    if isinstance(entry, dict) and isinstance(entry.get("path"), str):
        where += f" ({entry.get('method')} {entry['path']})"
    if not _check_fields(entry, where, ENDPOINT_FIELDS, ENDPOINT_OPTIONAL_FIELDS, problems):
        return None
    before = len(problems)
    method = entry["method"]
    if method not in Endpoint.Method.values:
        problems.append(
            f"{where}: unknown method {method!r} (use one of {', '.join(Endpoint.Method.values)})"
        )
    _check_endpoint_path(entry["path"], where, problems)
    _check_text(entry["title"], where, Endpoint, "title", problems)
    module = entry.get("module", "")
    if not isinstance(module, str) or len(module) > _model_max_length(Endpoint, "module"):
        problems.append(f"{where}: module must be a string of at most 60 characters")
    needs_shop = entry.get("needs_shop", True)
    if not isinstance(needs_shop, bool):
        problems.append(f"{where}: needs_shop must be true or false")
    keys = entry["scopes"]
    if not isinstance(keys, list) or not all(isinstance(key, str) for key in keys):
        problems.append(f"{where}: scopes must be a list of scope keys")
    else:
        unknown = [key for key in keys if key not in scope_keys]
        if unknown:
            problems.append(f"{where}: unknown scope(s) {', '.join(unknown)}")
        if len(keys) != len(set(keys)):
            problems.append(f"{where}: a scope is listed twice")
    if len(problems) > before:
        return None
    return _EndpointData(
        method=method,
        path=entry["path"],
        values={"title": entry["title"], "module": module, "needs_shop": needs_shop},
        scope_keys=frozenset(keys),
    )


def catalog_validate(*, data: Any) -> tuple[list[_ScopeData], list[_EndpointData]]:
    """Parse a catalog document; raise CatalogFileError listing every problem found."""
    if not isinstance(data, dict):
        raise CatalogFileError(["the file must hold an object with 'scopes' and 'endpoints'"])
    problems = [
        f"'{name}' must be a list"
        for name in ("scopes", "endpoints")
        if not isinstance(data.get(name), list)
    ]
    if data.get("version", 1) != 1:
        problems.append(f"unsupported catalog version {data.get('version')!r} (expected 1)")
    if problems:
        raise CatalogFileError(problems)

    scopes: list[_ScopeData] = []
    seen_keys: set[str] = set()
    for index, entry in enumerate(data["scopes"]):
        parsed = _parse_scope(entry, index, problems)
        if parsed is None:
            continue
        if parsed.key in seen_keys:
            problems.append(f"scopes[{index}]: duplicate key {parsed.key}")
        seen_keys.add(parsed.key)
        scopes.append(parsed)
    # Endpoints are checked against every key in the file, even from a scope with other
    # problems, so one mistake is reported once.
    file_keys = {entry.get("key") for entry in data["scopes"] if isinstance(entry, dict)}

    endpoints: list[_EndpointData] = []
    seen_shapes: dict[tuple[str, str], str] = {}
    for index, entry in enumerate(data["endpoints"]):
        parsed = _parse_endpoint(entry, index, file_keys, problems)
        if parsed is None:
            continue
        # Templates that differ only in parameter names match the same calls.
        shape = (parsed.method, PARAMETER_SEGMENT_ANYWHERE.sub("{}", parsed.path))
        if shape in seen_shapes:
            problems.append(f"endpoints[{index}]: {parsed.label} duplicates {seen_shapes[shape]}")
        seen_shapes[shape] = parsed.label
        endpoints.append(parsed)
    if problems:
        raise CatalogFileError(problems)
    return scopes, endpoints


# --- Writes ----------------------------------------------------------------------------------


def _changed_fields(instance: Any, values: dict[str, Any]) -> list[str]:
    return [name for name, value in values.items() if getattr(instance, name) != value]


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
        differences = _changed_fields(scope, entry.values)
        weakening = [n for n in differences if _is_weakening(scope, n, entry.values[n])]
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
    CatalogEvent.objects.bulk_create(
        CatalogEvent(
            scope_id=scope_ids[key],
            action=CatalogEvent.Action.LOADED,
            field=name,
            old_value=old,
            new_value=new,
            created_at=now,
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
        _decide(pending, ScopeChange.Status.CANCELLED, actor=None, now=now)
    change = ScopeChange.objects.create(
        scope=scope,
        field=name,
        old_value=getattr(scope, name),
        new_value=value,
        proposed_by=None,
        proposed_at=now,
    )
    _change_event(change, CatalogEvent.Action.PROPOSED, actor=None, now=now).save()
    report.scopes_proposed.setdefault(scope.key, []).append(name)


def _refuse_tightening_scopes_in_use(
    entries: list[_ScopeData], existing_scopes: dict[str, Scope]
) -> None:
    """Making a Public scope Custom would cut off apps already using it. The admin grants them a
    grace approval (apps_registry), which the file cannot, so the file may only tighten unused
    scopes."""
    problems = [
        f"{entry.key}: cannot become Custom from the catalog file while apps or seller consents "
        "use it; make the change in the admin, which gives those apps a grace period"
        for entry in entries
        if (scope := existing_scopes.get(entry.key)) is not None
        and _is_tightening(scope, "kind", entry.values["kind"])
        and scope_is_in_use(scope=scope)
    ]
    if problems:
        raise CatalogFileError(problems)


def _load_endpoints(
    entries: list[_EndpointData], scope_ids: dict[str, int], report: CatalogLoadReport
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
        changed = _changed_fields(endpoint, entry.values)
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
    CatalogEvent.objects.bulk_create(
        CatalogEvent(
            scope_id=scope_id,
            action=CatalogEvent.Action.LOADED,
            field="endpoints",
            old_value=old,
            new_value=new,
            created_at=now,
        )
        for scope_id, old, new in sorted(changes, key=lambda c: (c[0], c[1] or c[2]))
    )


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
            "Only catalog managers may change the scope catalog; reviewers can view it."
        )


def _is_weakening(scope: Scope, name: str, new_value: Any) -> bool:
    """Changes that lower the protection sellers and reviewers rely on. Any new wording sellers
    read on the consent page counts: a renamed heading changes what they agree to as much as a
    new consent text does."""
    if name == "kind":
        return scope.kind == Scope.Kind.CUSTOM and new_value == Scope.Kind.PUBLIC
    if name == "requires_dual_approval":
        return scope.requires_dual_approval and not new_value
    return name in SELLER_FACING_FIELDS and getattr(scope, name) != new_value


def _is_tightening(scope: Scope, name: str, new_value: Any) -> bool:
    return name == "kind" and scope.kind == Scope.Kind.PUBLIC and new_value == Scope.Kind.CUSTOM


def _validate(scope: Scope) -> None:
    try:
        scope.full_clean()
    except ValidationError as error:
        raise CatalogError("; ".join(error.messages)) from error


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
        raise CatalogError(f"Not an editable field of a scope: {', '.join(not_editable)}.")
    scope = Scope.objects.select_for_update().get(pk=scope_id)
    changed = _changed_fields(scope, changes)
    weakening = [name for name in changed if _is_weakening(scope, name, changes[name])]
    already_pending = sorted(
        ScopeChange.objects.filter(
            scope=scope, field__in=weakening, status=ScopeChange.Status.PENDING
        ).values_list("field", flat=True)
    )
    if already_pending:
        raise CatalogStateError(
            f"A change of {', '.join(already_pending)} on {scope.key} already waits for a second "
            "catalog manager. Confirm or cancel it first."
        )
    tightened = _is_tightening(scope, "kind", changes.get("kind"))
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
        CatalogEvent(
            scope=scope,
            actor=actor,
            action=CatalogEvent.Action.APPLIED,
            field=name,
            old_value=old[name],
            new_value=changes[name],
            created_at=now,
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
        events.append(_change_event(change, CatalogEvent.Action.PROPOSED, actor=actor, now=now))
    CatalogEvent.objects.bulk_create(events)
    return ScopeEditResult(scope=scope, applied=applied, proposed=proposed, tightened=tightened)


@transaction.atomic
def scope_change_confirm(*, change_id: int, actor: AbstractBaseUser) -> ScopeChange:
    """A second, different catalog manager confirms a pending change: it applies now, unless the
    scope's value moved on since the proposal (then it must be cancelled and proposed again)."""
    _require_catalog_manager(actor)
    change, scope = _lock_pending_change(change_id, action="confirm")
    if change.proposed_by_id == actor.pk:
        raise CatalogPermissionError(
            "You proposed this change; a different catalog manager must confirm it."
        )
    if getattr(scope, change.field) != change.old_value:
        raise CatalogStateError(
            f"The {change.field} of {scope.key} changed since this was proposed. "
            "Cancel this change and propose it again."
        )
    setattr(scope, change.field, change.new_value)
    # Valid when proposed, but confirmations of other fields may have come in between (e.g. the
    # kind made Public before dual approval was turned off).
    _validate(scope)
    scope.save(update_fields=[change.field])
    _decide(change, ScopeChange.Status.CONFIRMED, actor=actor)
    transaction.on_commit(catalog_version_bump)
    return change


@transaction.atomic
def scope_change_cancel(*, change_id: int, actor: AbstractBaseUser) -> ScopeChange:
    """Any catalog manager, the proposer included, withdraws a pending change; the scope stays."""
    _require_catalog_manager(actor)
    change, _scope = _lock_pending_change(change_id, action="cancel")
    _decide(change, ScopeChange.Status.CANCELLED, actor=actor)
    return change


def _lock_pending_change(change_id: int, *, action: str) -> tuple[ScopeChange, Scope]:
    # The scope is locked before the change, in the same order scope_edit takes them.
    scope_id = ScopeChange.objects.filter(pk=change_id).values_list("scope_id", flat=True).first()
    if scope_id is None:
        raise CatalogStateError("This catalog change does not exist.")
    scope = Scope.objects.select_for_update().get(pk=scope_id)
    change = ScopeChange.objects.select_for_update().get(pk=change_id)
    if change.status != ScopeChange.Status.PENDING:
        raise CatalogStateError(
            f"This change is already {change.get_status_display().lower()}; "
            f"there is nothing to {action}."
        )
    return change, scope


def _decide(change: ScopeChange, status: str, *, actor: AbstractBaseUser | None, now=None) -> None:
    """Record the decision on `change`; no actor means the catalog file withdrew its own
    proposal for a newer one."""
    now = now or timezone.now()
    change.status = status
    change.decided_by = actor
    change.decided_at = now
    change.save(update_fields=["status", "decided_by", "decided_at"])
    action = (
        CatalogEvent.Action.CONFIRMED
        if status == ScopeChange.Status.CONFIRMED
        else CatalogEvent.Action.CANCELLED
    )
    _change_event(change, action, actor=actor, now=now).save()


def _change_event(change: ScopeChange, action: str, *, actor, now) -> CatalogEvent:
    return CatalogEvent(
        scope_id=change.scope_id,
        change=change,
        actor=actor,
        action=action,
        field=change.field,
        old_value=change.old_value,
        new_value=change.new_value,
        created_at=now,
    )
