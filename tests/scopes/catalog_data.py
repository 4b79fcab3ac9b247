"""The real catalog file, for tests that need the catalog loaded the way production loads it."""

from __future__ import annotations

import copy
import json
from functools import cache as memoize

from django.core.cache import cache

from scopes.management.commands.load_scope_catalog import DEFAULT_CATALOG
from scopes.matching import CATALOG_VERSION_CACHE_KEY
from scopes.services.catalog_loading import CatalogLoadReport, catalog_load

SCOPE_COUNT = 41
ENDPOINT_COUNT = 214


@memoize
def _catalog_text() -> str:
    return DEFAULT_CATALOG.read_text(encoding="utf-8")


def real_catalog_data() -> dict:
    """A fresh, freely mutable copy of scopes/catalog/catalog.json."""
    return copy.deepcopy(json.loads(_catalog_text()))


def forget_catalog_version() -> None:
    """The local-memory cache outlives each test's rolled-back database, and on_commit never
    fires inside a test transaction: forgetting the version makes the next lookup rebuild."""
    cache.delete(CATALOG_VERSION_CACHE_KEY)


def load_real_catalog() -> CatalogLoadReport:
    report = catalog_load(data=real_catalog_data())
    forget_catalog_version()
    return report
