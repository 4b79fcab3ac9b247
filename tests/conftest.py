"""Fixtures that tests in more than one directory use, and the PostgreSQL-only marker."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from allauth.account.authentication import AUTHENTICATION_METHODS_SESSION_KEY
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.core.cache import cache

from apps_registry.gate.context import forget_cached_contexts
from apps_registry.gate.usage import forget_buffered
from apps_registry.models import Membership
from scopes.services.catalog_loading import CatalogLoadReport
from tests import factories
from tests.oauth.flow import app_with_scopes
from tests.scopes.catalog_data import LoadedCatalog
from tests.webhook_records import fake_dns, outbox_deliver  # noqa: F401 (shared fixtures)

ROOT = Path(__file__).resolve().parent.parent
# What a run leaves behind (as .gitignore lists it) and the repository's own history: a clone has
# everything else, so every package the project gains is copied without being listed here.
NOT_IN_A_CLONE = shutil.ignore_patterns(
    ".git", ".venv", "var", "staticfiles", "test-results", "__pycache__", "*.pyc", ".*_cache",
    ".hypothesis",
)  # fmt: skip
# Variables that would make a subprocess use this machine's database, keys or URLs.
DEPLOYMENT_VARIABLES = (
    "DATABASE_URL",
    "REDIS_URL",
    "EMAIL_URL",
    "CREDENTIAL_HASH_KEY",
    "OAUTH_ISSUER",
    "PORT",
)

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


@pytest.fixture(scope="session")
def _loaded_catalog(django_db_setup, django_db_blocker) -> LoadedCatalog:
    """The real catalog file, loaded once per session the way production loads it."""
    with django_db_blocker.unblock():
        return LoadedCatalog.load_and_roll_back()


@pytest.fixture
def catalog(db, _loaded_catalog) -> CatalogLoadReport:
    """The real scope catalog, as loading the catalog file writes it (committed under
    live_server, which pytest-django arranges when a test asks for both, and flushed after)."""
    return _loaded_catalog.write()


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate-limit counters and the catalog and gate versions live in the cache, which outlives
    rollbacks; the gate's per-process contexts and usage buffer would too."""
    cache.clear()
    forget_cached_contexts()
    forget_buffered()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    """User passwords in tests need no work factor; client secrets keep their real hasher."""
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        "apps_registry.hashers.CredentialHasher",
    ]


def sign_in_with_mfa(client, user, *, authenticated_at: float | None = None) -> None:
    """Log `user` in as allauth would after password + TOTP (staff need MFA for /admin/): a TOTP
    authenticator exists and the session records both steps (at `authenticated_at`, default now)."""
    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(user, generate_totp_secret())
    client.force_login(user)
    at = time.time() if authenticated_at is None else authenticated_at
    session = client.session
    session[AUTHENTICATION_METHODS_SESSION_KEY] = [
        {"method": "password", "at": at, "email": user.email},
        {"method": "mfa", "at": at, "type": "totp"},
    ]
    # allauth keys the records by the user id as a string.
    session["account_authentication_methods_user"] = str(user.pk)
    session.save()


@pytest.fixture
def mfa_admin_client(client, admin_user):
    """A superuser signed in with password and TOTP, as the staff MFA guard on /admin/ requires."""
    sign_in_with_mfa(client, admin_user)
    return client


@pytest.fixture
def owner(db):
    """The owner of a partner organisation, not signed in."""
    return factories.MembershipFactory(role=Membership.Role.OWNER).user


# --- A seller, their shop, and an app asking for two scopes -------------------------------------


@pytest.fixture
def seller(db):
    return factories.UserFactory()


@pytest.fixture
def shop(seller):
    return factories.ShopFactory(owner=seller, name="Northwind Goods")


@pytest.fixture
def product_scope(db):
    return factories.ScopeFactory(
        key="seller.product.basic",
        name="Product Basic",
        group="Product",
        consent_text="See and edit your product listings.",
    )


@pytest.fixture
def order_scope(db):
    return factories.ScopeFactory(
        key="seller.order.info",
        name="Order Information",
        group="Order",
        consent_text="See your orders.",
    )


@pytest.fixture
def custom_scope(db):
    return factories.CustomScopeFactory(
        key="seller.customer_service",
        name="Customer Service",
        group="Customer Service",
        consent_text="Read and answer your buyers' messages.",
    )


@pytest.fixture
def app(product_scope, order_scope):
    """Asks for Product Basic (required) and Order Information (optional)."""
    return app_with_scopes(required=[product_scope], optional=[order_scope], name="Acme Sync")


# --- A fresh clone, and manage.py run in it -----------------------------------------------------


@pytest.fixture
def fresh_checkout(tmp_path) -> Path:
    """A copy of the project as a fresh clone has it: no var/ (no database, no key) yet."""
    checkout = tmp_path / "checkout"
    shutil.copytree(ROOT, checkout, ignore=NOT_IN_A_CLONE, symlinks=True)
    return checkout


def subprocess_environment(**variables: str) -> dict[str, str]:
    """An environment for a process of the project in which only `variables` configure it."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "REQUIRE_")) and key not in DEPLOYMENT_VARIABLES
    }
    return {**env, **variables}


def run_manage(checkout: Path, *args: str, **variables: str) -> subprocess.CompletedProcess:
    """`manage.py *args` in its own process, in `checkout`, with only `variables` configuring it."""
    return subprocess.run(  # noqa: S603 - the test's own arguments, no shell
        [sys.executable, "manage.py", *args],
        cwd=checkout,
        env=subprocess_environment(**variables),
        capture_output=True,
        text=True,
        check=False,
    )
