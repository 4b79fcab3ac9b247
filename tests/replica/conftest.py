"""A real streaming replica of the tests' PostgreSQL (deploy/replica.py), started once per session
on a free port in a temporary directory and deleted at the end, and per test the "replica"
database and router that DATABASE_REPLICA_URL would configure, pointed at the replica's copy of
the test database.

pytest-django creates the test database on the primary; the replica gets it by replaying the
primary's WAL, like every other write. Tests here commit (transactional_db), or nothing would
replicate. The replica is no test mirror here: it is the real thing.
"""

from __future__ import annotations

import copy
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from django.db import DEFAULT_DB_ALIAS, connections
from django.test.utils import CaptureQueriesContext

from core.replica import REPLICA, lsn_number
from deploy.replica import Replica, ReplicaError
from tests.gateway.conftest import Gate, endpoints, free_port  # noqa: F401 (shared fixture)

CATCH_UP_SECONDS = 10
# What "replica" was before a test marked `replica` redefined it (DATABASE_REPLICA_URL's, or None).
REPLACED = pytest.StashKey[dict | None]()
ROUTERS = ["core.replica.ReplicaRouter"]
# What tests using the replica mark themselves with: they commit, or nothing would replicate.
REPLICA_DATABASES = [
    pytest.mark.postgres,
    pytest.mark.replica,
    pytest.mark.django_db(transaction=True, databases=[DEFAULT_DB_ALIAS, REPLICA]),
]


@pytest.fixture(scope="session")
def replica_server(django_db_setup) -> Iterator[Replica]:
    """The replica, up and streaming, with the test database replayed."""
    primary = connections[DEFAULT_DB_ALIAS].settings_dict
    server_address = f"{primary['HOST']}:{primary['PORT'] or 5432}"
    primary_url = f"postgres://{primary['USER']}@{server_address}/postgres"
    # Not under pytest's own temporary directory: the user postgres must reach the copy.
    directory = Path(tempfile.mkdtemp(prefix="console-test-replica-"))
    server = Replica(directory, free_port(), primary_url)
    try:
        server.up()
        ReplicaControl(server).wait_until_caught_up()
    except ReplicaError as error:
        pytest.fail(str(error))
    try:
        yield server
    finally:
        server.down()
        shutil.rmtree(directory, ignore_errors=True)


@dataclass(frozen=True)
class ReplicaControl:
    """The replica's server, seen from outside Django."""

    server: Replica

    def execute(self, sql: str):
        with self.server.connect() as replica:
            return replica.execute(sql).fetchone()

    def pause(self) -> None:
        self.execute("SELECT pg_wal_replay_pause()")

    def resume(self) -> None:
        self.execute("SELECT pg_wal_replay_resume()")

    def wait_until_caught_up(self) -> None:
        """Until the replica has replayed everything the primary has written so far."""
        with psycopg.connect(self.server.primary_url, autocommit=True) as primary:
            target = primary.execute("SELECT pg_current_wal_lsn()::text").fetchone()[0]
        deadline = time.monotonic() + CATCH_UP_SECONDS
        while lsn_number(self.execute("SELECT pg_last_wal_replay_lsn()::text")[0]) < lsn_number(
            target
        ):
            if time.monotonic() > deadline:
                raise ReplicaError(f"The replica has not replayed up to {target}.")
            time.sleep(0.02)

    def queries(self) -> CaptureQueriesContext:
        """Captures what Django sends to the replica."""
        return CaptureQueriesContext(connections[REPLICA])


def pytest_runtest_setup(item):
    """The "replica" database as DATABASE_REPLICA_URL configures it, for tests marked `replica`:
    defined before the test's database setup, which allows the test (marked with
    REPLICA_DATABASES) to use it. A test mirror, so no test database is made or flushed for it;
    the `replica` fixture points it at the replica's copy of the test database."""
    if item.get_closest_marker("replica"):
        item.stash[REPLACED] = connections.settings.get(REPLICA)
        connections.settings[REPLICA] = copy.deepcopy(connections[DEFAULT_DB_ALIAS].settings_dict)
        connections.settings[REPLICA]["TEST"]["MIRROR"] = DEFAULT_DB_ALIAS


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item):
    """Back to the configuration the session started with (with or without a replica)."""
    if REPLACED not in item.stash:
        return
    connections[REPLICA].close()
    del connections[REPLICA]
    if (replaced := item.stash[REPLACED]) is None:
        del connections.settings[REPLICA]
    else:
        connections.settings[REPLICA] = replaced


@pytest.fixture
def replica(replica_server, settings) -> Iterator[ReplicaControl]:
    """The router, and the "replica" database on the replica's copy of the test database."""
    settings.DATABASE_ROUTERS = ROUTERS
    connections[REPLICA].settings_dict.update(
        NAME=connections[DEFAULT_DB_ALIAS].settings_dict["NAME"], PORT=str(replica_server.port)
    )
    connections[REPLICA].settings_dict["OPTIONS"]["connect_timeout"] = 2
    control = ReplicaControl(replica_server)
    control.wait_until_caught_up()
    try:
        yield control
    finally:
        control.resume()  # a test that paused replay and failed


@pytest.fixture
def replica_unreachable(replica) -> None:
    """The "replica" database names a port where nothing listens."""
    connections[REPLICA].close()
    connections[REPLICA].settings_dict["PORT"] = str(free_port())
