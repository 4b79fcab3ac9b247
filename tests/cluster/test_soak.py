"""`make soak` end to end, for a few seconds instead of ten minutes: its own cluster, the world,
the load through nginx, the drain and the consistency checks (bench/soak/run.py). The ten-minute
run is `make soak`; this keeps the command working."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from tests.cluster.conftest import database_url
from tests.conftest import ROOT

pytestmark = [pytest.mark.postgres, pytest.mark.cluster]

SECONDS = 30
REQUEST_TYPES = (
    "gate check", "token refresh", "consent", "code exchange", "seller disconnects a shop",
    "partner: dashboard", "review: assign",
)  # fmt: skip
CHECKS = (
    "every decision has exactly one event",
    "every revocation has exactly one event",
    "no token carries a revoked scope",
    "no delivery lost or sent twice",
    "no authorization without its event",
)


def test_a_short_soak_makes_no_error_and_passes_every_check(tmp_path):
    environment = os.environ | {
        "SOAK_DIR": str(tmp_path),
        "SOAK_DATABASE_URL": database_url("soak_test"),
        "SOAK_REDIS_URL": "redis://127.0.0.1:6379/12",
        "SOAK_PORT": "8250",
    }

    completed = subprocess.run(  # noqa: S603 - fixed arguments
        [sys.executable, "bench/soak/run.py", "--minutes", str(SECONDS / 60)],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )

    output = completed.stdout
    assert completed.returncode == 0, output[-8000:] + completed.stderr[-4000:]
    assert "errors: 0\n" in output
    for kind in REQUEST_TYPES:
        assert f"\n  {kind} " in output, output
    for check in CHECKS:
        assert f"  {check}: ok," in output, output
    # Something was decided, and delivered, for the checks to look at.
    decisions = re.search(r"ok, (\d+) confirmed decisions", output)
    deliveries = re.search(r"ok, (\d+) deliveries, (\d+) received", output)
    assert int(decisions.group(1)) > 0
    assert int(deliveries.group(1)) == int(deliveries.group(2)) > 0
