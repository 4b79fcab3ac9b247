"""Reads of the scope catalog for pages, the API and the admin (a constant number of queries)."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.db.models import Count, Prefetch, Q, QuerySet

from scopes.catalog_version import CatalogVersionedValue
from scopes.matching import current_index
from scopes.models import Endpoint, Scope

# The longest search text taken: room for a pasted call with its host and query string.
SCOPE_SEARCH_MAX_LENGTH = 200
# A method in front of a pasted call ("GET /product/…") narrows the match to that method.
_METHOD_PREFIXES = tuple(f"{method} " for method in Endpoint.Method.values)


def scope_is_in_use(*, scope: Scope) -> bool:
    """True if any row outside the catalog (an app's scopes, an access request, a seller's
    consent…) references the scope. Found generically, because scopes must not import the apps
    that reference it."""
    for relation in Scope._meta.get_fields(include_hidden=True):
        # Reverse foreign keys, including those of auto-created many-to-many through tables.
        if relation.concrete or not relation.auto_created or relation.many_to_many:
            continue
        model = relation.related_model
        if model._meta.app_label == Scope._meta.app_label:
            continue
        if model._default_manager.filter(**{relation.field.name: scope}).exists():
            return True
    return False


def _endpoint_ids_for_call(text: str) -> set[int]:
    """Endpoints a pasted concrete call (`/product/202309/products/123`, with or without a
    method or host) resolves to."""
    text = text.strip()
    methods = Endpoint.Method.values
    if text.upper().startswith(_METHOD_PREFIXES):
        method, _, text = text.partition(" ")
        methods = [method.upper()]
    if "://" in text:
        text = urlsplit(text).path
    if not text.startswith("/"):
        return set()
    index = current_index()
    return {match.endpoint_id for method in methods if (match := index.match(method, text.strip()))}


def endpoint_text_filter(text: str) -> Q:
    """Endpoints whose title or path contains `text`, or that a pasted concrete call hits."""
    condition = Q(title__icontains=text) | Q(path__icontains=text)
    called = _endpoint_ids_for_call(text)
    if called:
        condition |= Q(pk__in=called)
    return condition


def scope_text_filter(text: str) -> Q:
    """Scopes whose name or key contains `text`, or that unlock an endpoint matching it."""
    matching_endpoints = Endpoint.objects.filter(endpoint_text_filter(text)).values("pk")
    scope_ids = Endpoint.scopes.through.objects.filter(endpoint_id__in=matching_endpoints).values(
        "scope_id"
    )
    return Q(name__icontains=text) | Q(key__icontains=text) | Q(pk__in=scope_ids)


def scopes_active() -> QuerySet[Scope]:
    """Active scopes in catalog order, each annotated with `endpoint_count`."""
    # Meta.ordering is ignored once a query aggregates, so the catalog order is spelled out.
    return (
        Scope.objects.filter(is_active=True)
        .annotate(endpoint_count=Count("endpoints"))
        .order_by("position", "key")
    )


def scope_catalog(*, text: str = "", group: str = "", kind: str = "") -> list[Scope]:
    """Active scopes matching the filters. With `text`, each scope carries `matched_endpoints`:
    the endpoints that made it match, to show why it is a hit. Two queries at most."""
    scopes = scopes_active()
    if group:
        scopes = scopes.filter(group=group)
    if kind:
        scopes = scopes.filter(kind=kind)
    if text:
        scopes = scopes.filter(scope_text_filter(text)).prefetch_related(
            Prefetch(
                "endpoints",
                queryset=Endpoint.objects.filter(endpoint_text_filter(text)),
                to_attr="matched_endpoints",
            )
        )
    return list(scopes)


def scope_groups() -> list[str]:
    """Groups that have an active scope, in catalog order: the order in which they first appear
    among the active scopes sorted by position and key, as `scopes_by_group` bunches them."""
    active = Scope.objects.filter(is_active=True).order_by("position", "key")
    return list(dict.fromkeys(active.values_list("group", flat=True)))


_scope_groups = CatalogVersionedValue(lambda: tuple(scope_groups()))


def cached_scope_groups(*, version: str | None = None) -> tuple[str, ...]:
    """`scope_groups()`, read once per process and catalog version (`version`, when the caller
    has just read it): the public catalog page validates its group filter on every request."""
    return _scope_groups.get(version=version)


def scopes_by_group(scopes: list[Scope]) -> list[tuple[str, list[Scope]]]:
    """Scopes (already in catalog order) bunched by group, groups in order of first appearance."""
    grouped: dict[str, list[Scope]] = {}
    for scope in scopes:
        grouped.setdefault(scope.group, []).append(scope)
    return list(grouped.items())


def scope_get_active(*, key: str) -> Scope | None:
    """The active scope `key` with its endpoints prefetched, or None."""
    return scopes_active().prefetch_related("endpoints").filter(key=key).first()
