"""Encryption at rest (core/encryption.py): keys rotate without making stored values unreadable."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from core.encryption import InvalidToken, decrypt, encrypt

ROOT = Path(__file__).resolve().parent.parent
OLD_KEY, NEW_KEY = Fernet.generate_key().decode(), Fernet.generate_key().decode()


def test_a_value_reads_back_and_is_not_stored_in_the_clear(settings):
    settings.ENCRYPTION_KEYS = [NEW_KEY]

    ciphertext = encrypt("whsec_secret")

    assert "whsec_secret" not in ciphertext
    assert decrypt(ciphertext) == "whsec_secret"
    assert Fernet(NEW_KEY.encode()).decrypt(ciphertext.encode()) == b"whsec_secret"


def test_a_new_key_in_front_encrypts_and_the_old_one_still_decrypts(settings):
    settings.ENCRYPTION_KEYS = [OLD_KEY]
    stored = encrypt("kept")

    settings.ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]

    assert decrypt(stored) == "kept"
    assert Fernet(NEW_KEY.encode()).decrypt(encrypt("new").encode()) == b"new"


def test_values_from_before_explicit_keys_stay_readable(settings):
    settings.ENCRYPTION_KEYS = []
    stored = encrypt("from the derived key")

    settings.ENCRYPTION_KEYS = [NEW_KEY]

    assert decrypt(stored) == "from the derived key"


def test_a_rotated_secret_key_decrypts_through_its_fallback(settings):
    settings.ENCRYPTION_KEYS = []
    settings.SECRET_KEY = "before-" + "x" * 50
    stored = encrypt("survives")

    settings.SECRET_KEY = "after-" + "y" * 50
    with pytest.raises(InvalidToken):
        decrypt(stored)
    settings.SECRET_KEY_FALLBACKS = ["before-" + "x" * 50]

    assert decrypt(stored) == "survives"


def test_a_malformed_key_stops_the_console_at_start_with_how_to_make_one():
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env={**os.environ, "ENCRYPTION_KEYS": "not-a-fernet-key"},
        capture_output=True,
        text=True,
    )

    assert result.returncode == 1
    assert "Each ENCRYPTION_KEYS entry must be a Fernet key" in result.stderr
    assert "Fernet.generate_key()" in result.stderr
