"""Writes to the scope catalog: loading the catalog file, reviewers' edits, version bumps."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from scopes.matching import PARAMETER_SEGMENT, catalog_version_bump
from scopes.models import Endpoint, Scope
from scopes.selectors import scope_is_in_use

PARAMETER_SEGMENT_ANYWHERE = re.compile(r"\{[^/{}]*\}")
SCOPE_KEY_FORMAT = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")
SCOPE_FIELDS = ("name", "group", "kind", "token_type", "description", "consent_text")
SCOPE_OPTIONAL_FIELDS = ("requires_dual_approval", "position")
ENDPOINT_FIELDS = ("method", "path", "title", "scopes")
ENDPOINT_OPTIONAL_FIELDS = ("module", "needs_shop")
# Enough to fix a file in one go without burying the first problem under a thousand others.
MAX_REPORTED_PROBLEMS = 20


class CatalogError(Exception):
    """A catalog change was refused; the message says what to fix and is safe to show."""


class CatalogFileError(CatalogError):
    """The catalog file is malformed; nothing was written."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        shown = problems[:MAX_REPORTED_PROBLEMS]
        more = len(problems) - len(shown)
        lines = [f"The catalog file is invalid ({len(problems)} problem(s)); nothing was changed:"]
        lines += [f"  - {problem}" for problem in shown]
        if more:
            lines.append(f"  … and {more} more")
        super().__init__("\n".join(lines))


class ScopeKeyInUseError(CatalogError):
    """The key of a scope that apps, requests or consents reference cannot change."""


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

    @property
    def has_changes(self) -> bool:
        return bool(
            self.scopes_created
            or self.scopes_updated
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
    Validates everything before writing; bumps the matcher's catalog version on commit."""
    scope_entries, endpoint_entries = catalog_validate(data=data)
    report = CatalogLoadReport()

    # Locking the existing rows makes two concurrent loads run one after the other.
    existing_scopes = {scope.key: scope for scope in Scope.objects.select_for_update()}
    to_create, to_update, update_fields = [], [], set()
    for entry in scope_entries:
        scope = existing_scopes.get(entry.key)
        if scope is None:
            to_create.append(Scope(key=entry.key, **entry.values))
            report.scopes_created.append(entry.key)
            continue
        changed = _changed_fields(scope, entry.values)
        if not changed:
            report.scopes_unchanged.append(entry.key)
            continue
        for name in changed:
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
    Scope.objects.bulk_create(to_create)
    if to_update:
        Scope.objects.bulk_update(to_update, sorted(update_fields))
    scope_ids = dict(Scope.objects.values_list("key", "pk"))

    _load_endpoints(endpoint_entries, scope_ids, report)
    if report.has_changes:
        transaction.on_commit(catalog_version_bump)
    return report


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
    link_model.objects.bulk_create(
        [link_model(endpoint_id=e, scope_id=s) for e, s in sorted(wanted_links - current_links)]
    )


def scope_key_change_check(*, scope: Scope, new_key: str) -> None:
    """Raise ScopeKeyInUseError if `scope` may not be renamed to `new_key`."""
    if scope.pk and new_key != scope.key and scope_is_in_use(scope=scope):
        raise ScopeKeyInUseError(
            f"The key of {scope.key} cannot change: apps, access requests or seller consents "
            "refer to it. Create a new scope and deactivate this one instead."
        )


@transaction.atomic
def scope_update(*, scope_id: int, changes: dict[str, Any]) -> Scope:
    """Apply a reviewer's edit to a scope. Refuses to change the key of a scope in use;
    bumps the catalog version on commit."""
    scope = Scope.objects.select_for_update().get(pk=scope_id)
    if "key" in changes:
        scope_key_change_check(scope=scope, new_key=changes["key"])
    changed = _changed_fields(scope, changes)
    if not changed:
        return scope
    for name in changed:
        setattr(scope, name, changes[name])
    try:
        scope.full_clean()
    except ValidationError as error:
        raise CatalogError("; ".join(error.messages)) from error
    scope.save(update_fields=changed)
    transaction.on_commit(catalog_version_bump)
    return scope


def catalog_changed() -> None:
    """Tell every process's matcher that endpoints or their scopes changed (after commit)."""
    transaction.on_commit(catalog_version_bump)
