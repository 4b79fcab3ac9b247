"""System checks for the settings partner apps and their credentials depend on.

Each guards a decision that a settings edit could undo without any test noticing at once: the
swapped OAuth application model (ADR 0001) and the keyed hash of client secrets (ADR 0003).
"""

from __future__ import annotations

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register

from apps_registry.hashers import CredentialHasher
from apps_registry.models import PartnerApp

CREDENTIAL_HASHER_PATH = f"{CredentialHasher.__module__}.{CredentialHasher.__qualname__}"


@register(Tags.models)
def check_application_model(app_configs=None, **kwargs) -> list[CheckMessage]:
    """DOT must use PartnerApp: the swap lives in apps_registry's first migration and cannot be
    moved once DOT's tables exist."""
    configured = getattr(settings, "OAUTH2_PROVIDER_APPLICATION_MODEL", None)
    if configured == PartnerApp._meta.label:
        return []
    return [
        Error(
            f"OAUTH2_PROVIDER_APPLICATION_MODEL is {configured!r}, not "
            f"{PartnerApp._meta.label!r}: DOT would issue tokens for clients that have no "
            "partner, status or scope rules, and the existing migrations no longer match.",
            hint=f'Set OAUTH2_PROVIDER_APPLICATION_MODEL = "{PartnerApp._meta.label}" '
            "(ADR 0001: the setting never points anywhere else).",
            id="apps_registry.E001",
        )
    ]


@register(Tags.security)
def check_client_secret_hasher(app_configs=None, **kwargs) -> list[CheckMessage]:
    """Client secrets are hashed with CredentialHasher through DOT's CLIENT_SECRET_HASHER and
    verified through PASSWORD_HASHERS, whose first entry hashes every user password."""
    issues: list[CheckMessage] = []
    client_secret_hasher = getattr(settings, "OAUTH2_PROVIDER", {}).get(
        "CLIENT_SECRET_HASHER", "default"
    )
    if client_secret_hasher != CredentialHasher.algorithm:
        issues.append(
            Warning(
                f"OAUTH2_PROVIDER['CLIENT_SECRET_HASHER'] is {client_secret_hasher!r}: new "
                "client secrets are hashed with a slow password hasher, which costs about "
                "0.3 s of CPU per token request and makes the token endpoint a "
                "denial-of-service lever.",
                hint=f"Set OAUTH2_PROVIDER['CLIENT_SECRET_HASHER'] = "
                f'"{CredentialHasher.algorithm}" (ADR 0003).',
                id="apps_registry.W001",
            )
        )
    if CREDENTIAL_HASHER_PATH not in settings.PASSWORD_HASHERS:
        issues.append(
            Error(
                f"{CREDENTIAL_HASHER_PATH} is missing from PASSWORD_HASHERS: client secrets "
                "hashed with it can be neither stored nor verified, so apps cannot be created "
                "and no client authenticates.",
                hint=f"Add {CREDENTIAL_HASHER_PATH} to the end of PASSWORD_HASHERS.",
                id="apps_registry.E002",
            )
        )
    elif settings.PASSWORD_HASHERS[0] == CREDENTIAL_HASHER_PATH:
        issues.append(
            Error(
                f"{CREDENTIAL_HASHER_PATH} is the first entry of PASSWORD_HASHERS, so it hashes "
                "every new user password: a fast hash that makes stolen password hashes cheap "
                "to guess.",
                hint="Put a slow password hasher (Django's PBKDF2PasswordHasher) first and "
                f"{CREDENTIAL_HASHER_PATH} last.",
                id="apps_registry.E003",
            )
        )
    return issues
