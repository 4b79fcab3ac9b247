"""System checks of the OAuth application model (ADR 0001) and the client-secret hasher (ADR 0003):
each fires on the misconfiguration it names and is silent on the project's settings."""

from __future__ import annotations

from django.conf import settings
from django.test import override_settings

from apps_registry.checks import (
    CREDENTIAL_HASHER_PATH,
    check_application_model,
    check_client_secret_hasher,
)

PBKDF2 = "django.contrib.auth.hashers.PBKDF2PasswordHasher"


def ids(issues) -> list[str]:
    return [issue.id for issue in issues]


def test_the_project_settings_pass():
    assert check_application_model() == []
    assert check_client_secret_hasher() == []


@override_settings(OAUTH2_PROVIDER_APPLICATION_MODEL="oauth2_provider.Application")
def test_dots_stock_application_model_is_an_error():
    assert ids(check_application_model()) == ["apps_registry.E001"]


@override_settings(OAUTH2_PROVIDER={**settings.OAUTH2_PROVIDER, "CLIENT_SECRET_HASHER": "default"})
def test_client_secrets_hashed_with_a_password_hasher_is_a_warning():
    assert ids(check_client_secret_hasher()) == ["apps_registry.W001"]


@override_settings(PASSWORD_HASHERS=[PBKDF2])
def test_a_credential_hasher_missing_from_password_hashers_is_an_error():
    assert ids(check_client_secret_hasher()) == ["apps_registry.E002"]


@override_settings(PASSWORD_HASHERS=[CREDENTIAL_HASHER_PATH, PBKDF2])
def test_the_credential_hasher_first_in_password_hashers_is_an_error():
    assert ids(check_client_secret_hasher()) == ["apps_registry.E003"]
