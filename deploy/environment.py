"""The environment of a process that runs the console with production settings on this machine:
no DJANGO_DEBUG, no DJANGO_TESTING, and nothing else from the caller's shell, which may well be a
test run or a developer's `make run` configuration. The HTTP benchmark's gunicorn
(bench/bench_http.py) and every process of the cluster (deploy/cluster.py) start from it."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# What a process needs from the shell to find its tools and speak UTF-8, and nothing more.
INHERITED = ("PATH", "HOME", "LANG")
# The header a TLS-terminating proxy sets; production settings trust it (SECURE_PROXY_SSL_HEADER)
# and redirect any request without it to https. A client talking to a server behind no proxy
# (a readiness probe, a test, the benchmark) sends it as the proxy would.
PROXY_HEADERS = {"X-Forwarded-Proto": "https"}
# Names the instance that served a response when several serve the console (deploy/wsgi.py).
INSTANCE_HEADER = "X-Console-Instance"


def production_environment(
    *,
    secret_key: str,
    database_url: str,
    redis_url: str,
    settings_module: str = "console.settings",
    **variables: str,
) -> dict[str, str]:
    """Production settings on loopback, plus `variables` (more settings, by their names)."""
    inherited = {key: os.environ[key] for key in INHERITED if key in os.environ}
    return inherited | {
        "DJANGO_SETTINGS_MODULE": settings_module,
        "DJANGO_SECRET_KEY": secret_key,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "PYTHONPATH": str(ROOT),
        **variables,
    }
