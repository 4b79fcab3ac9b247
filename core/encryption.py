"""Encryption at rest for what the console must read back: webhook signing secrets (it signs with
them) and queued e-mails (their links carry one-time tokens).

Fernet (AES-CBC with HMAC) under ENCRYPTION_KEYS, newest first: the first encrypts and every one
decrypts, so a key rotates by putting a new one in front. Keys derived from SECRET_KEY and its
fallbacks always decrypt too (and encrypt when ENCRYPTION_KEYS is unset), so turning on explicit
keys, or rotating SECRET_KEY through SECRET_KEY_FALLBACKS, never makes stored values unreadable.
"""

from __future__ import annotations

import base64
import functools
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.signals import setting_changed

__all__ = ["InvalidToken", "decrypt", "encrypt"]


def encrypt(text: str) -> str:
    return _fernet().encrypt(text.encode()).decode()


def decrypt(ciphertext: str) -> str:
    """The text; raises InvalidToken when no configured key opens it."""
    return _fernet().decrypt(ciphertext.encode()).decode()


@functools.cache
def _fernet() -> MultiFernet:
    derived = [_derived_key(key) for key in [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]]
    return MultiFernet([Fernet(key) for key in [*settings.ENCRYPTION_KEYS, *derived]])


def _derived_key(secret_key: str) -> bytes:
    # A purpose string of its own, so this key never equals one that signs sessions or hashes
    # client secrets.
    digest = hashlib.sha256(b"partner-console encryption at rest\0" + secret_key.encode())
    return base64.urlsafe_b64encode(digest.digest())


def _forget_keys(*, setting: str, **kwargs) -> None:
    if setting in {"ENCRYPTION_KEYS", "SECRET_KEY", "SECRET_KEY_FALLBACKS"}:
        _fernet.cache_clear()


# Tests override the keys with override_settings; the cached MultiFernet must follow.
setting_changed.connect(_forget_keys)
