"""A gunicorn serving the console as production runs it, for the HTTP benchmarks (ADR 0016):
bench/bench_http.py and bench/bench_pages.py start theirs here.

The environment is built from nothing (only PATH, HOME and LANG are inherited), so `make bench`'s
own DJANGO_TESTING never reaches the server: no DJANGO_DEBUG, no DJANGO_TESTING, persistent
database connections, Redis as the cache, HTTPS settings. Requests carry PROXY, as a
TLS-terminating proxy marks them (else SECURE_SSL_REDIRECT answers 301).
"""

from __future__ import annotations

import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path

from deploy.environment import PROXY_HEADERS, ROOT, production_environment

PROXY = PROXY_HEADERS
ALLOWED_HOST = "127.0.0.1"


def server_environment(
    *, database_url: str, redis_url: str, secret_key: str | None = None
) -> dict[str, str]:
    """Production settings on the given database and cache. A run that writes its data afresh
    takes a random secret key; one that reuses data written by an earlier run passes the key
    that data was written under (webhook secrets are encrypted with keys derived from it)."""
    return production_environment(
        secret_key=secret_key or secrets.token_urlsafe(50),
        database_url=database_url,
        redis_url=redis_url,
        settings_module="bench.settings",
    )


def run_module(environment: dict[str, str], log: Path | None, module: str, *arguments: str) -> None:
    """`python -m module arguments` in the server's environment (data written under its settings,
    keys and cache), its output appended to the log, which a failure shows; with no log, its
    output is the caller's."""
    with log.open("a") if log else nullcontext() as output:
        completed = subprocess.run(  # noqa: S603 - fixed arguments
            [sys.executable, "-m", module, *arguments],
            cwd=ROOT,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT if log else None,
            check=False,
        )
    if completed.returncode != 0:
        shown = f":\n{log.read_text()[-5000:]}" if log else ""
        raise RuntimeError(f"{' '.join([module, *arguments])} failed{shown}")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((ALLOWED_HOST, 0))
        return probe.getsockname()[1]


@contextmanager
def running_server(environment: dict[str, str], log: Path, *, workers: int) -> Iterator[str]:
    """gunicorn with `workers` sync workers serving bench/settings.py; yields its base URL once it
    answers, and stops it on the way out, whatever happened."""
    port = free_port()
    with log.open("a") as output:
        server = subprocess.Popen(  # noqa: S603 - fixed arguments
            [sys.executable, "-m", "gunicorn", "console.wsgi", f"--workers={workers}",
             "--worker-class=sync", f"--bind={ALLOWED_HOST}:{port}"],
            cwd=ROOT, env=environment, stdout=output, stderr=subprocess.STDOUT,
        )  # fmt: skip
    base_url = f"http://{ALLOWED_HOST}:{port}"
    try:
        wait_until_ready(server, base_url, log)
        yield base_url
    finally:
        server.terminate()
        server.wait(timeout=30)


def wait_until_ready(server: subprocess.Popen, base_url: str, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and server.poll() is None:
        try:
            probe = urllib.request.Request(f"{base_url}/healthz", headers=PROXY)  # noqa: S310
            with urllib.request.urlopen(probe, timeout=5) as response:  # noqa: S310
                # Proof that production's HTTPS settings are on: development sends no HSTS.
                assert "Strict-Transport-Security" in response.headers, response.headers
                return
        except OSError:  # not listening yet, or its workers are still importing Django
            time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer /healthz:\n{log.read_text()[-5000:]}")
