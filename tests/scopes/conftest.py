"""Fixtures for the scope catalog tests."""

from __future__ import annotations

import time

import pytest
from allauth.account.authentication import AUTHENTICATION_METHODS_SESSION_KEY
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

from tests.scopes.catalog_data import forget_catalog_version, load_real_catalog


@pytest.fixture(autouse=True)
def _fresh_catalog_version():
    forget_catalog_version()


@pytest.fixture
def loaded_catalog(db):
    return load_real_catalog()


@pytest.fixture
def admin_client(client, admin_user):
    """A superuser signed in with TOTP, as the staff MFA guard on /admin/ requires."""
    TOTP.activate(admin_user, generate_totp_secret())
    client.force_login(admin_user)
    session = client.session
    session[AUTHENTICATION_METHODS_SESSION_KEY] = [
        {"method": "mfa", "type": "totp", "at": time.time()}
    ]
    # allauth keys the records by the user id as a string.
    session["account_authentication_methods_user"] = str(admin_user.pk)
    session.save()
    return client
