"""Endpoint matching: which catalog endpoint (and so which scopes) a concrete API call hits.

The gateway asks this for every API call, so a lookup must not grow with the catalog: the
endpoints are compiled once per process into one segment trie per HTTP method, and a lookup is a
walk of dict look-ups, one per path segment (ADR 0004). The compiled index is trusted only while
the shared catalog version is the one it was built at; every catalog write bumps it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import unquote

from scopes.catalog_version import CatalogVersionedValue
from scopes.models import Endpoint

PARAMETER_SEGMENT = re.compile(r"^\{[a-z_][a-z0-9_]*\}$")


@dataclass(frozen=True, slots=True)
class EndpointRow:
    """The plain data an index is built from (no ORM objects: the index is shared by threads)."""

    endpoint_id: int
    method: str
    path: str
    title: str
    needs_shop: bool
    scope_keys: frozenset[str]


@dataclass(frozen=True, slots=True)
class EndpointMatch(EndpointRow):
    """The endpoint a call hit (with the scopes that unlock it) and its path parameters' values."""

    path_params: dict[str, str] = field(default_factory=dict, compare=False)


@dataclass(slots=True)
class _Node:
    literals: dict[str, _Node] = field(default_factory=dict)
    parameter: _Node | None = None
    endpoint: EndpointRow | None = None
    # (segment position, parameter name) of the endpoint's template, to name the values.
    parameters: tuple[tuple[int, str], ...] = ()


def split_call_path(path: str) -> list[str] | None:
    """Segments of a concrete call path, or None when it cannot name an endpoint.

    Drops the query string and fragment and one trailing slash, decodes percent-escapes per segment
    (so `%70roducts` is `products`, as the upstream router sees it), and refuses empty, `.` and `..`
    segments: a path the upstream would normalise differently must not match anything.
    """
    path = path.partition("?")[0].partition("#")[0]
    if not path.startswith("/"):
        return None
    if len(path) > 1 and path.endswith("/"):
        path = path[:-1]
    segments = path[1:].split("/")
    decoded = [unquote(segment) if "%" in segment else segment for segment in segments]
    for segment in decoded:
        if segment in {"", ".", ".."} or "/" in segment:
            return None
    return decoded


class EndpointIndex:
    """Per-method segment tries; literal segments win over parameters when both match."""

    def __init__(self, rows: Iterable[EndpointRow]) -> None:
        self._roots: dict[str, _Node] = {}
        self.size = 0
        for row in rows:
            self._add(row)

    def _add(self, row: EndpointRow) -> None:
        node = self._roots.setdefault(row.method.upper(), _Node())
        parameters = []
        for position, segment in enumerate(row.path.strip("/").split("/")):
            if PARAMETER_SEGMENT.match(segment):
                parameters.append((position, segment[1:-1]))
                if node.parameter is None:
                    node.parameter = _Node()
                node = node.parameter
            else:
                node = node.literals.setdefault(segment, _Node())
        if node.endpoint is not None:
            raise ValueError(
                f"{row.method} {row.path} and {node.endpoint.path} match the same calls"
            )
        node.endpoint = row
        node.parameters = tuple(parameters)
        self.size += 1

    def match(self, method: str, path: str) -> EndpointMatch | None:
        """The endpoint `METHOD path` calls, or None (unknown path, or not for this method)."""
        root = self._roots.get(method.upper())
        segments = split_call_path(path)
        if root is None or segments is None:
            return None
        node = _walk(root, segments, 0)
        if node is None:
            return None
        row = node.endpoint
        return EndpointMatch(
            endpoint_id=row.endpoint_id,
            method=row.method,
            path=row.path,
            title=row.title,
            needs_shop=row.needs_shop,
            scope_keys=row.scope_keys,
            path_params={name: segments[position] for position, name in node.parameters},
        )

    def methods_for(self, path: str) -> tuple[str, ...]:
        """Every method with an endpoint at this concrete path (to explain a method mismatch)."""
        segments = split_call_path(path)
        if segments is None:
            return ()
        return tuple(
            sorted(method for method, root in self._roots.items() if _walk(root, segments, 0))
        )


def _walk(node: _Node, segments: list[str], position: int) -> _Node | None:
    """Depth-first walk to the endpoint's node: the literal child first, the parameter child only
    if the literal one leads nowhere.

    Backtracking happens only where a literal and a parameter share a position, which a catalog
    has at a handful of places, so a lookup stays proportional to the number of segments.
    """
    if position == len(segments):
        return node if node.endpoint is not None else None
    literal = node.literals.get(segments[position])
    if literal is not None:
        found = _walk(literal, segments, position + 1)
        if found is not None:
            return found
    if node.parameter is not None:
        return _walk(node.parameter, segments, position + 1)
    return None


# --- The process-wide index, validated against the shared catalog version -------------------------


def endpoint_rows_from_db() -> list[EndpointRow]:
    """Every endpoint with its scope keys, in two queries."""
    scope_keys: dict[int, set[str]] = {}
    links = Endpoint.scopes.through.objects.filter(scope__is_active=True).values_list(
        "endpoint_id", "scope__key"
    )
    for endpoint_id, key in links:
        scope_keys.setdefault(endpoint_id, set()).add(key)
    return [
        EndpointRow(
            endpoint_id=pk,
            method=method,
            path=path,
            title=title,
            needs_shop=needs_shop,
            scope_keys=frozenset(scope_keys.get(pk, ())),
        )
        for pk, method, path, title, needs_shop in Endpoint.objects.values_list(
            "pk", "method", "path", "title", "needs_shop"
        )
    ]


_index = CatalogVersionedValue(lambda: EndpointIndex(endpoint_rows_from_db()))


def current_index(*, version: str | None = None) -> EndpointIndex:
    """The index for the current catalog version: one cache read, a rebuild only after a change.
    A caller that read the version with other keys in one round trip (the gate) passes it."""
    return _index.get(version=version)


def resolve_endpoint(method: str, path: str) -> EndpointMatch | None:
    """The catalog endpoint that `METHOD path` (a concrete call) hits, or None if there is none."""
    return current_index().match(method, path)


def methods_for_path(path: str) -> tuple[str, ...]:
    """The methods the catalog has for this concrete path (empty if the path is unknown)."""
    return current_index().methods_for(path)
