"""The cluster the tests in this directory talk to (deploy/cluster.py), started once per session
on its own database, Redis database and ports, and stopped at the end: two instances behind
nginx, the workers and the scheduler, with production settings.

Its database is copied from a migrated template (`cluster_test_template`, on the server
DATABASE_URL names), so a session migrates only what changed since the last one; every session
gets a fresh copy. CLUSTER_TEST_REDIS_URL (redis://127.0.0.1:6379/9) is emptied at the start.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import redis

from deploy.cluster import Cluster, ClusterError
from deploy.nginx import nginx_problem
from tests.conftest import ROOT
from tests.webhook_receiver import WebhookReceiver

DATABASE = "cluster_test"
REDIS_URL = os.environ.get("CLUSTER_TEST_REDIS_URL", "redis://127.0.0.1:6379/9")
PORT = 8150  # nginx; the instances take 8151 and 8152
# A webhook attempt waits this long for an answer; a worker holds a delivery for it plus the
# connect timeout and the claim's margin (apps_registry/webhooks/delivery.py).
WEBHOOK_TIMEOUT_SECONDS = 3


def database_url(name: str) -> str:
    """The database `name` on the PostgreSQL server the tests' DATABASE_URL names."""
    return urlsplit(os.environ["DATABASE_URL"])._replace(path=f"/{name}").geturl()


@pytest.fixture(scope="session")
def cluster(tmp_path_factory) -> Iterator[Cluster]:
    if problem := nginx_problem():
        pytest.fail(problem)
    directory = tmp_path_factory.mktemp("cluster")
    settings = {
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        # The tests' webhook receiver listens on loopback, and answers or holds at once.
        "WEBHOOK_ALLOW_LOOPBACK": "1",
        "WEBHOOK_CONNECT_TIMEOUT_SECONDS": "1",
        "WEBHOOK_TIMEOUT_SECONDS": str(WEBHOOK_TIMEOUT_SECONDS),
    }
    cluster = Cluster(directory, database_url(DATABASE), REDIS_URL, PORT, settings)
    try:
        cluster.recreate_database_from_template()
        redis.Redis.from_url(REDIS_URL).flushdb()
        cluster.up()
    except ClusterError as error:  # up has stopped what it started
        pytest.fail(str(error))
    try:
        yield cluster
    finally:
        cluster.down()


@pytest.fixture(scope="session")
def receiver() -> Iterator[WebhookReceiver]:
    """The webhook receiver of the world's hooked app."""
    receiver = WebhookReceiver()
    yield receiver
    receiver.stop()


@pytest.fixture(scope="session")
def world(cluster, receiver, tmp_path_factory) -> dict:
    """tests/cluster/world.py's people and apps, written in the cluster's environment."""
    output = tmp_path_factory.mktemp("world") / "world.json"
    completed = subprocess.run(  # noqa: S603 - fixed arguments
        [sys.executable, "-m", "tests.cluster.world", receiver.url, str(output)],
        cwd=ROOT,
        env=cluster.environment(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-5000:]
    return json.loads(Path(output).read_text(encoding="utf-8"))
