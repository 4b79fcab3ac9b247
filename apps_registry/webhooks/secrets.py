"""Webhook signing secrets: made, encrypted at rest and read back to sign.

A secret is a Standard Webhooks secret, `whsec_` + base64 of 24 random bytes (192 bits, a length
base64 writes without `=` padding, so its last characters tell secrets apart), so the receivers'
libraries (`standardwebhooks`, Svix's) take it as it is. It is stored encrypted
(core/encryption.py): the console must read it to sign.
"""

from __future__ import annotations

import base64
import secrets

from core.encryption import decrypt, encrypt

__all__ = ["decrypt", "encrypt", "new_secret", "secret_hint", "signing_key"]

SECRET_PREFIX = "whsec_"  # noqa: S105 (a prefix, not a secret)


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def secret_hint(secret: str) -> str:
    """The secret's last four characters, shown beside it in the console and the API."""
    return secret[-4:]


def signing_key(secret: str) -> bytes:
    """The HMAC key a secret stands for: its base64 part, decoded."""
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))
