"""Project-wide fixtures and the PostgreSQL-only marker."""

from __future__ import annotations

import os

import pytest
from django.core.cache import cache
from django.db import connection

POSTGRES_SKIP_REASON = (
    "needs PostgreSQL (set DATABASE_URL); row locks and triggers are not real on SQLite"
)


def pytest_collection_modifyitems(config, items):
    if os.environ.get("DATABASE_URL", "").startswith(("postgres", "postgresql")):
        return
    if os.environ.get("REQUIRE_POSTGRES"):
        raise pytest.UsageError("REQUIRE_POSTGRES is set but DATABASE_URL is not PostgreSQL")
    skip = pytest.mark.skip(reason=POSTGRES_SKIP_REASON)
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def on_postgres() -> bool:
    return connection.vendor == "postgresql"


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate-limit counters and the catalog version live in the cache, which outlives rollbacks."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    """User passwords in tests need no work factor; client secrets keep their real hasher."""
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        "apps_registry.hashers.CredentialHasher",
    ]
