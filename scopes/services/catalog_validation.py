"""Parsing the catalog file: pure (reads nothing, writes nothing); every problem found is
reported at once, in a CatalogFileError."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from scopes.errors import CatalogFileError
from scopes.matching import PARAMETER_SEGMENT
from scopes.models import Endpoint, Scope

PARAMETER_SEGMENT_ANYWHERE = re.compile(r"\{[^/{}]*\}")
SCOPE_KEY_FORMAT = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")
SCOPE_FIELDS = ("name", "group", "kind", "token_type", "description", "consent_text")
SCOPE_OPTIONAL_FIELDS = ("requires_dual_approval", "position")
ENDPOINT_FIELDS = ("method", "path", "title", "scopes")
ENDPOINT_OPTIONAL_FIELDS = ("module", "needs_shop")


@dataclass(frozen=True)
class ScopeData:
    key: str
    values: dict[str, Any]


@dataclass(frozen=True)
class EndpointData:
    method: str
    path: str
    values: dict[str, Any]
    scope_keys: frozenset[str]

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"


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


def _parse_scope(entry: Any, index: int, problems: list[str]) -> ScopeData | None:
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
    return ScopeData(key=key, values=values)


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
) -> EndpointData | None:
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
    return EndpointData(
        method=method,
        path=entry["path"],
        values={"title": entry["title"], "module": module, "needs_shop": needs_shop},
        scope_keys=frozenset(keys),
    )


def catalog_validate(*, data: Any) -> tuple[list[ScopeData], list[EndpointData]]:
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

    scopes: list[ScopeData] = []
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

    endpoints: list[EndpointData] = []
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
