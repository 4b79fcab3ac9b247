"""The shared catalog version, and values built from the catalog once per process under it.

Hot paths (endpoint matching, the scopes DOT reads for every token) must not query the catalog on
every call, yet a catalog manager's edit must show on the next one. So each such value is built
from the database once per process and labelled with the catalog version it was built at; the
version is an opaque token in Django's cache (Redis in production, shared by every worker), and
every catalog write bumps it after commit. Reading a value costs one cache read (ADR 0004). With a
read replica the version carries the primary's WAL position (core/replica.py, ADR 0026).
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from django.core.cache import cache

from core.replica import stamped_version

CATALOG_VERSION_CACHE_KEY = "scopes:catalog-version"
# The version must outlive any TTL-based eviction: a missing version only forces a rebuild.
CATALOG_VERSION_TIMEOUT = None


def catalog_version() -> str:
    """The shared catalog version; a missing one (cache flushed) is replaced by a fresh one."""
    version = cache.get(CATALOG_VERSION_CACHE_KEY)
    if version is None:
        cache.add(CATALOG_VERSION_CACHE_KEY, stamped_version(), timeout=CATALOG_VERSION_TIMEOUT)
        version = cache.get(CATALOG_VERSION_CACHE_KEY)
    return version


def catalog_version_bump() -> None:
    """Invalidate every process's catalog values; callers run this after their write committed."""
    cache.set(CATALOG_VERSION_CACHE_KEY, stamped_version(), timeout=CATALOG_VERSION_TIMEOUT)


class CatalogVersionedValue[T]:
    """`build()`'s result, kept per process and trusted only while the catalog version is the one
    it was built at. The value is shared by the process's threads: build plain, immutable data,
    not ORM objects."""

    def __init__(self, build: Callable[[], T]) -> None:
        self._build = build
        self._lock = threading.Lock()
        self._held: tuple[str, T] | None = None

    def get(self, *, version: str | None = None) -> T:
        """The value for the current catalog version: one cache read, a rebuild after a change.
        A caller that has just read the version for its own use passes it, saving that read."""
        version = version or catalog_version()
        held = self._held
        if held is not None and held[0] == version:
            return held[1]
        with self._lock:
            held = self._held
            if held is not None and held[0] == version:
                return held[1]
            # The version was read before the rows: a write committing meanwhile bumps it again,
            # so the next call rebuilds instead of trusting rows older than the version.
            value = self._build()
            self._held = (version, value)
            return value
