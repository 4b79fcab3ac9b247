"""The soak: `make soak` (MINUTES=10). A mixed workload (bench/soak/locustfile.py) for MINUTES
against the console as production runs it on several instances (deploy/cluster.py: two gunicorns
behind nginx, the workers and the scheduler, one PostgreSQL, one Redis), then the consistency
checks (bench/soak/checks.py) once every webhook has gone out.

It prints the requests by type with their errors, p50 and p99, the webhook deliveries with the
time from event to arrival, and each check's outcome. It exits 1 when any request failed, a
webhook was still pending after DRAIN_SECONDS, or a check found a problem.

The cluster runs on its own database (SOAK_DATABASE_URL, re-created for every run from a migrated
template beside it, so the checks read only this run's rows), Redis database (SOAK_REDIS_URL,
emptied) and ports (SOAK_PORT, 8200; the instances take the next two), with its files in SOAK_DIR
(var/soak/); it is stopped at the end. The webhook receiver runs in this process and counts what
arrives by webhook id. SOAK_REPLICA_URL (the soak's database on a read replica, e.g.
postgres://postgres@127.0.0.1:5433/soak_console after `make replica-up`) turns on replica reads.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import secrets
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

if __package__ in (None, ""):  # run as a script: the project's packages are beside bench/
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent.parent))

import psycopg
import redis

from deploy.cluster import Cluster, ClusterError
from deploy.environment import ROOT

logger = logging.getLogger(__name__)

DIRECTORY = Path(os.environ.get("SOAK_DIR", ROOT / "var" / "soak"))
# Users of each kind are fixed in the locustfile; locust needs their sum. They start over 9 s:
# together, their sign-ins (a password hash each) would queue behind one another.
USERS = 27
SPAWN_RATE = 3
DRAIN_SECONDS = 180
# How long a webhook attempt may take here: the receiver answers at once, on loopback.
WEBHOOK_TIMEOUT_SECONDS = 5


class CountingReceiver:
    """A webhook receiver on 127.0.0.1 that answers 204 at once and counts each webhook id, with
    the seconds from the event (its payload's created_at) to its arrival."""

    def __init__(self) -> None:
        self.received: Counter[str] = Counter()
        self.delays: list[float] = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                arrived = datetime.now(UTC)
                created = datetime.fromisoformat(json.loads(body)["created_at"])
                with receiver._lock:
                    receiver.received[self.headers["Webhook-Id"]] += 1
                    receiver.delays.append((arrived - created).total_seconds())
                self.send_response(204)
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}/webhooks"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def soak_cluster() -> Cluster:
    return Cluster(
        directory=DIRECTORY,
        database_url=os.environ.get(
            "SOAK_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/soak_console"
        ),
        redis_url=os.environ.get("SOAK_REDIS_URL", "redis://127.0.0.1:6379/10"),
        port=int(os.environ.get("SOAK_PORT", "8200")),
        settings={
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            # The receiver listens on loopback, which production refuses to post to.
            "WEBHOOK_ALLOW_LOOPBACK": "1",
            "WEBHOOK_CONNECT_TIMEOUT_SECONDS": "1",
            "WEBHOOK_TIMEOUT_SECONDS": str(WEBHOOK_TIMEOUT_SECONDS),
            # The soak's database on a read replica (make replica-up), for every process.
            **(
                {"DATABASE_REPLICA_URL": replica}
                if (replica := os.environ.get("SOAK_REPLICA_URL"))
                else {}
            ),
        },
    )


def run_module(cluster: Cluster, module: str, *arguments: str) -> subprocess.CompletedProcess:
    """`python -m module arguments` in the cluster's environment (its database, signing key and
    production settings), its output captured."""
    return subprocess.run(  # noqa: S603 - fixed arguments
        [sys.executable, "-m", module, *arguments],
        cwd=ROOT,
        env=cluster.environment(),
        capture_output=True,
        text=True,
        check=False,
    )


def pending_deliveries(cluster: Cluster) -> int:
    with psycopg.connect(cluster.database_url) as connection:
        (count,) = connection.execute(
            "SELECT count(*) FROM apps_registry_webhookdelivery WHERE status = 'pending'"
        ).fetchone()
    return count


def drain(cluster: Cluster, seconds: float) -> int:
    """Wait until no webhook delivery is pending (or `seconds` passed); the number still pending."""
    deadline = time.monotonic() + seconds
    while (pending := pending_deliveries(cluster)) and time.monotonic() < deadline:
        time.sleep(1)
    return pending


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else 0.0


def request_table(summary: dict, receiver: CountingReceiver) -> str:
    """The requests by type, then all of them, and the webhooks, as a table."""
    lines = [f"  {'request':<38} {'count':>8} {'errors':>7} {'p50 ms':>8} {'p99 ms':>8}"]
    for row in summary["requests"]:
        name = "all requests" if row["name"] == "Aggregated" else row["name"]
        lines.append(
            f"  {name:<38} {row['count']:>8} {row['errors']:>7} "
            f"{row['p50_ms']:>8.0f} {row['p99_ms']:>8.0f}"
        )
    delays = receiver.delays
    lines.append(
        f"  {'webhooks delivered (event → receiver)':<38} {len(delays):>8} {'':>7} "
        f"{percentile(delays, 0.5) * 1000:>8.0f} {percentile(delays, 0.99) * 1000:>8.0f}"
    )
    return "\n".join(lines)


class Files:
    """What a run leaves in DIRECTORY: the world the load read, what the users were told, the
    statistics, locust's log and what the receiver counted."""

    world = DIRECTORY / "world.json"
    journal = DIRECTORY / "journal.jsonl"
    summary = DIRECTORY / "summary.json"
    locust_log = DIRECTORY / "locust.log"
    received = DIRECTORY / "received.json"


def load(cluster: Cluster, minutes: float) -> None:
    """locust's headless run of the mixed workload, its log to Files.locust_log."""
    environment = {
        **os.environ, "PYTHONPATH": str(ROOT), "SOAK_WORLD": str(Files.world),
        "SOAK_JOURNAL": str(Files.journal), "SOAK_SUMMARY": str(Files.summary),
    }  # fmt: skip
    with Files.locust_log.open("w") as log:
        subprocess.run(  # noqa: S603 - fixed arguments
            [
                sys.executable, "-m", "locust", "--locustfile", "bench/soak/locustfile.py",
                "--headless", "--only-summary", "--host", cluster.url,
                "--users", str(USERS), "--spawn-rate", str(SPAWN_RATE),
                "--run-time", f"{round(minutes * 60)}s", "--stop-timeout", "30",
            ],
            cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT, check=False,
        )  # fmt: skip


def soak(minutes: float) -> int:
    cluster = soak_cluster()
    DIRECTORY.mkdir(parents=True, exist_ok=True)
    Files.journal.write_text("")
    Files.summary.unlink(missing_ok=True)
    receiver = CountingReceiver()
    cluster.recreate_database_from_template()
    redis.Redis.from_url(cluster.redis_url).flushdb()
    phase = time.monotonic()

    def done(what: str) -> None:
        nonlocal phase
        logger.info("%s in %.0f s", what, time.monotonic() - phase)
        phase = time.monotonic()

    try:
        cluster.up()
        done("cluster ready")
        written = run_module(
            cluster, "bench.soak.world", receiver.url, str(Files.world), str(minutes)
        )
        if written.returncode:
            raise ClusterError(f"bench.soak.world failed:\n{written.stderr[-5000:]}")
        done("world written")
        since = datetime.now(UTC)
        logger.info("load: %s users for %g min against %s", USERS, minutes, cluster.url)
        load(cluster, minutes)
        done("load over")
        still_pending = drain(cluster, DRAIN_SECONDS)
        done("webhooks drained")
        Files.received.write_text(json.dumps(receiver.received))
        checked = run_module(
            cluster, "bench.soak.checks", str(Files.journal), str(Files.received), since.isoformat()
        )
    except ClusterError as error:
        logger.error("soak: %s", error)
        return 1
    finally:
        cluster.down()
        receiver.stop()
    if not Files.summary.exists():
        print(f"locust stopped without its summary; the end of {Files.locust_log}:")
        print(Files.locust_log.read_text()[-5000:])
        return 1
    summary = json.loads(Files.summary.read_text())
    errors = summary["requests"][-1]["errors"]
    print(f"Soak: {minutes:g} min, {USERS} users, through nginx at {cluster.url} (2 instances)")
    print(request_table(summary, receiver))
    print(f"errors: {errors}")
    for failure in summary["failures"][:20]:
        print(f"    {failure['occurrences']}× {failure['name']}: {failure['error'][:400]}")
    if still_pending:
        print(f"webhooks still pending {DRAIN_SECONDS} s after the load: {still_pending}")
    print("consistency:")
    print(checked.stdout.rstrip() or checked.stderr[-5000:])
    return 0 if not errors and not still_pending and checked.returncode == 0 else 1


def main(arguments: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    options = parser.parse_args(arguments)
    logging.basicConfig(format="%(message)s", level=logging.INFO, stream=sys.stdout)
    return soak(options.minutes)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
