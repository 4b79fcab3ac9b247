"""What the gate needs to know about an app and one seller, built in a handful of queries and kept
per process while its versions (apps_registry/gate/versions.py) stay the same."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime

from apps_registry.gate.versions import context_version_keys, read_versions
from apps_registry.models import AccessRequest, PartnerApp, ShopAuthorization
from core.replica import read_from_replica, versions_lsn
from scopes.models import Scope

# Contexts kept per process (least recently used first out): enough for every app and seller a
# worker serves in a busy minute; a miss costs five indexed queries.
CONTEXT_CACHE_SIZE = 20_000
# Versions decide when a context is stale. This only bounds the harm of a bump that never
# happened (the cache failing right after a change committed): a rebuild a minute at most.
CONTEXT_BACKSTOP_SECONDS = 60


@dataclass(frozen=True, slots=True)
class ShopGrant:
    """A seller's live (not revoked) consent for the app on one shop; it may have expired."""

    shop_id: int
    cipher: str
    name: str
    region: str
    expires_at: datetime
    scope_keys: frozenset[str]
    # The same keys in catalog order, as the seller-facing API lists them (the set above is
    # what the gate intersects on every call).
    ordered_scope_keys: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class AccessContext:
    app_id: int
    client_id: str
    app_name: str
    app_usable: bool
    seller_id: int | None
    public_scope_keys: frozenset[str]
    # Custom scope → the end of its approval (None: no end), for approved applications.
    approvals: dict[str, datetime | None] = field(default_factory=dict)
    # Custom scopes whose last application ended by expiring (to say so, not "apply").
    expired_approvals: frozenset[str] = frozenset()
    shops: dict[str, ShopGrant] = field(default_factory=dict)  # by shop cipher

    def available_scope_keys(self, now: datetime) -> frozenset[str]:
        """Active Public scopes, and Custom ones with a live approval at `now`."""
        live = {key for key, ends in self.approvals.items() if ends is None or ends > now}
        return self.public_scope_keys | live

    def approval_lapsed(self, scope_key: str, now: datetime) -> bool:
        """The app's approval for this Custom scope ended by time (expired, or past its end)."""
        if scope_key in self.expired_approvals:
            return True
        if scope_key not in self.approvals:
            return False
        ends = self.approvals[scope_key]
        return ends is not None and ends <= now

    def live_grants(self, now: datetime) -> list[ShopGrant]:
        return [grant for grant in self.shops.values() if grant.expires_at > now]

    def granted_scope_keys(self, now: datetime) -> frozenset[str]:
        """What the seller grants the app on at least one shop whose consent is live."""
        return frozenset().union(*(grant.scope_keys for grant in self.live_grants(now)))


def build_access_context(*, app_id: int, seller_id: int | None) -> AccessContext | None:
    """Read the context from the database (None for an unknown app). With no seller, the
    context has no shops: what the app may do before any seller's consent."""
    app = PartnerApp.objects.filter(pk=app_id).values("client_id", "name", "status").first()
    if app is None:
        return None
    public = frozenset(
        Scope.objects.filter(is_active=True, kind=Scope.Kind.PUBLIC).values_list("key", flat=True)
    )
    approvals: dict[str, datetime | None] = {}
    expired: set[str] = set()
    # Oldest first, so the latest application for a scope decides what is said about it.
    for key, status, ends in (
        AccessRequest.objects.filter(
            app_id=app_id,
            scope__is_active=True,
            status__in=[
                AccessRequest.Status.APPROVED,
                AccessRequest.Status.EXPIRED,
                AccessRequest.Status.REVOKED,
            ],
        )
        .order_by("updated_at", "pk")
        .values_list("scope__key", "status", "approval_expires_at")
    ):
        if status == AccessRequest.Status.APPROVED:
            approvals[key] = ends
        else:
            approvals.pop(key, None)
        if status == AccessRequest.Status.EXPIRED:
            expired.add(key)
        else:
            expired.discard(key)
    return AccessContext(
        app_id=app_id,
        client_id=app["client_id"],
        app_name=app["name"],
        app_usable=app["status"] != PartnerApp.Status.SUSPENDED,
        seller_id=seller_id,
        public_scope_keys=public,
        approvals=approvals,
        expired_approvals=frozenset(expired),
        shops=_shop_grants(app_id=app_id, seller_id=seller_id) if seller_id is not None else {},
    )


def _shop_grants(*, app_id: int, seller_id: int) -> dict[str, ShopGrant]:
    authorizations = list(
        ShopAuthorization.objects.filter(
            app_id=app_id, shop__owner_id=seller_id, revoked_at__isnull=True
        )
        .order_by("shop__name", "shop_id")
        .values_list("pk", "shop_id", "shop__cipher", "shop__name", "shop__region", "expires_at")
    )
    scope_keys: dict[int, list[str]] = {}
    for authorization_id, key in (
        ShopAuthorization.scopes.through.objects.filter(
            shopauthorization_id__in=[row[0] for row in authorizations], scope__is_active=True
        )
        .order_by("scope__position", "scope__key")
        .values_list("shopauthorization_id", "scope__key")
    ):
        scope_keys.setdefault(authorization_id, []).append(key)
    return {
        cipher: ShopGrant(
            shop_id=shop_id,
            cipher=cipher,
            name=name,
            region=region,
            expires_at=expires_at,
            scope_keys=frozenset(scope_keys.get(pk, ())),
            ordered_scope_keys=tuple(scope_keys.get(pk, ())),
        )
        for pk, shop_id, cipher, name, region, expires_at in authorizations
    }


@dataclass(frozen=True, slots=True)
class _Entry:
    versions: tuple[str, ...]
    built_at: float  # time.monotonic()
    context: AccessContext


class _ContextCache:
    """Per-process LRU of contexts, each tagged with the versions read before it was built."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._entries: OrderedDict[tuple[int, int | None], _Entry] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key, versions: tuple[str, ...]) -> AccessContext | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry.versions != versions:
                return None
            if time.monotonic() - entry.built_at > CONTEXT_BACKSTOP_SECONDS:
                return None
            self._entries.move_to_end(key)
            return entry.context

    def put(self, key, versions: tuple[str, ...], context: AccessContext) -> None:
        with self._lock:
            self._entries[key] = _Entry(versions, time.monotonic(), context)
            self._entries.move_to_end(key)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


_contexts = _ContextCache(CONTEXT_CACHE_SIZE)


def access_context(
    *, app_id: int, seller_id: int | None, versions: tuple[str, ...] | None = None
) -> AccessContext | None:
    """The app's context for the seller, from this process's cache while `versions` (read with
    `context_version_keys` before calling, or here) are current; rebuilt otherwise, from a read
    replica when one has replayed past every version's WAL position."""
    if versions is None:
        versions = read_versions(context_version_keys(app_id, seller_id))
    key = (app_id, seller_id)
    context = _contexts.get(key, versions)
    if context is None:
        # From the replica only if it shows every change whose version was just read (ADR 0026).
        context = read_from_replica(
            lambda: build_access_context(app_id=app_id, seller_id=seller_id),
            caught_up_to=versions_lsn(versions),
        )
        if context is not None:
            _contexts.put(key, versions, context)
    return context


def forget_cached_contexts() -> None:
    """Drop this process's contexts (tests start from a clean process state)."""
    _contexts.clear()
