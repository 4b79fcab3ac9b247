"""Verifying a client secret must cost a token request next to nothing (ADR 0003).

Times `check_password` on a client secret hashed the way DOT stores it (CLIENT_SECRET_HASHER,
HMAC-SHA256 under CREDENTIAL_HASH_KEY) against the same secret under Django's default password
hasher (PBKDF2), which DOT would use otherwise. Ratio printed: HMAC cost / PBKDF2 cost; target
≤ 0.01, i.e. at least a hundredfold cheaper (measured: several thousandfold).
"""

from __future__ import annotations

import time

from django.contrib.auth.hashers import check_password, make_password
from oauth2_provider.generators import generate_client_secret
from oauth2_provider.settings import oauth2_settings

from bench.ratios import Ratio

TARGET_RATIO = 0.01
RUNS = 5


def _seconds_per_check(encoded: str, secret: str, checks: int) -> float:
    best = float("inf")
    for _ in range(RUNS):
        started = time.perf_counter()
        for _ in range(checks):
            assert check_password(secret, encoded)
        best = min(best, (time.perf_counter() - started) / checks)
    return best


def run() -> list[Ratio]:
    secret = generate_client_secret()
    fast = _seconds_per_check(
        make_password(secret, hasher=oauth2_settings.CLIENT_SECRET_HASHER), secret, checks=2_000
    )
    slow = _seconds_per_check(make_password(secret, hasher="pbkdf2_sha256"), secret, checks=3)
    print(
        f"client secret check: HMAC-SHA256 {fast * 1e6:.1f} µs, "
        f"PBKDF2 {slow * 1e3:.1f} ms (what DOT's default would cost per token request)"
    )
    return [Ratio.at_most("client secret check HMAC/PBKDF2", fast / slow, TARGET_RATIO)]
