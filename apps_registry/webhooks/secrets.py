"""Webhook signing secrets: made, encrypted at rest and read back to sign.

A secret is a Standard Webhooks secret, `whsec_` + base64 of 24 random bytes (192 bits, a length
base64 writes without `=` padding, so its last characters tell secrets apart), so the receivers'
libraries (`standardwebhooks`, Svix's) take it as it is. It is encrypted with Fernet under
WEBHOOK_SECRET_KEYS (newest first: the first encrypts, every one decrypts, so keys rotate), or
under a key derived from SECRET_KEY when none is set.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import secrets

from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings

SECRET_PREFIX = "whsec_"  # noqa: S105 (a prefix, not a secret)


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def secret_hint(secret: str) -> str:
    """The secret's last four characters, shown beside it in the console and the API."""
    return secret[-4:]


def encrypt(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode()


def decrypt(ciphertext: str) -> str:
    return _fernet().decrypt(ciphertext.encode()).decode()


def signing_key(secret: str) -> bytes:
    """The HMAC key a secret stands for: its base64 part, decoded."""
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


@functools.cache
def _fernet() -> MultiFernet:
    keys = settings.WEBHOOK_SECRET_KEYS or [_derived_key()]
    return MultiFernet([Fernet(key) for key in keys])


def _derived_key() -> bytes:
    # A separate purpose string, so this key is never the one that signs sessions or hashes secrets.
    digest = hashlib.sha256(b"partner-console webhook secrets\0" + settings.SECRET_KEY.encode())
    return base64.urlsafe_b64encode(digest.digest())
