"""Versions that tell every process when what it cached about an app or a consent is stale.

Each version is a random string in the shared cache (Redis in production). A process keeps what it
built tagged with the versions it read *before* reading the database; a change bumps the version
after its transaction commits, so the next check on any worker or instance sees a different
version and rebuilds. Nothing is left to expire: an evicted version reads as a new one, which
also forces a rebuild (ADR 0015).

With a read replica, a version also carries the primary's WAL position when it was made
(core.replica.stamped_version, "LSN:random"): a rebuild may read the replica only once it has
replayed past the newest position among the versions read, so it never keeps rows older than a
change whose version it saw (ADR 0026).
"""

from __future__ import annotations

from django.core.cache import cache
from django.db import transaction

from core.replica import stamped_version
from scopes.catalog_version import CATALOG_VERSION_CACHE_KEY

# Versions must outlive TTL-based eviction; losing one only costs a rebuild.
VERSION_TIMEOUT = None


def app_version_key(app_id: int) -> str:
    return f"gate:app:{app_id}"


def consent_version_key(app_id: int, seller_id: int) -> str:
    return f"gate:consent:{app_id}:{seller_id}"


def context_version_keys(app_id: int, seller_id: int | None) -> list[str]:
    """What an app's access context for a seller depends on: the catalog, the app's approvals
    and status, and that seller's consents to the app."""
    keys = [CATALOG_VERSION_CACHE_KEY, app_version_key(app_id)]
    if seller_id is not None:
        keys.append(consent_version_key(app_id, seller_id))
    return keys


def read_versions(keys: list[str]) -> tuple[str, ...]:
    """The current value of each key, in one round trip; a missing one is created (stamped with
    the WAL position now: any change it stands for lost its version before that)."""
    found = cache.get_many(keys)
    missing = [key for key in keys if key not in found]
    if missing:
        for key in missing:
            cache.add(key, stamped_version(), timeout=VERSION_TIMEOUT)
        found.update(cache.get_many(missing))
    return tuple(found[key] for key in keys)


def app_changed(app_id: int) -> None:
    """Call inside the transaction that changes the app's approvals or status."""
    _bump_after_commit(app_version_key(app_id))


def consent_changed(app_id: int, seller_id: int) -> None:
    """Call inside the transaction that changes a seller's consent to the app."""
    _bump_after_commit(consent_version_key(app_id, seller_id))


def _bump_after_commit(key: str) -> None:
    # After commit, never before: a check that rebuilt from the old rows in between would tag
    # them with the new version and keep them.
    transaction.on_commit(lambda: cache.set(key, stamped_version(), timeout=VERSION_TIMEOUT))
