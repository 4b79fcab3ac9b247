"""deploy/cluster.py's bookkeeping, without a cluster: what `down` does with pid files a crash
left behind, whether the nginx configuration it writes is one nginx accepts, and the maintenance
connection the benchmarks share with it."""

from __future__ import annotations

import logging
import subprocess
import sys

import dj_database_url
import pytest
from django.conf import settings

from deploy.cluster import Cluster, is_running, maintenance_connection, start_ticks
from deploy.nginx import NGINX, nginx_problem


@pytest.fixture
def cluster(tmp_path) -> Cluster:
    return Cluster(tmp_path, "postgres://postgres@127.0.0.1:5432/cluster_unused", "", 8190)


@pytest.fixture
def sleeper():
    """A process in its own session, as the cluster starts each of its processes."""
    process = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(60)"], start_new_session=True
    )
    yield process
    process.kill()
    process.wait()


def test_down_removes_the_pid_file_of_a_process_that_is_gone(cluster):
    gone = subprocess.Popen([sys.executable, "-c", ""])
    ticks = start_ticks(gone.pid)
    gone.wait()
    cluster.pid_path("worker").write_text(f"{gone.pid} {ticks}\n")

    assert [s.name for s in cluster.status() if s.stale] == ["worker"]
    cluster.down()

    assert not cluster.pid_path("worker").exists()
    assert [(s.pid, s.stale) for s in cluster.status()] == [(None, False)] * 6


def test_down_never_signals_a_later_process_that_has_the_same_pid(cluster, sleeper):
    """The pid file's start time is not the running process's: the pid is someone else's now."""
    cluster.pid_path("webhooks").write_text(f"{sleeper.pid} {int(start_ticks(sleeper.pid)) - 1}\n")

    cluster.down()

    assert sleeper.poll() is None
    assert not cluster.pid_path("webhooks").exists()


def test_start_and_stop_follow_the_pid_file_of_a_running_process(cluster, sleeper, caplog):
    caplog.set_level(logging.INFO, logger="deploy.cluster")
    cluster.pid_path("scheduler").write_text(f"{sleeper.pid} {start_ticks(sleeper.pid)}\n")

    assert cluster.running_pid("scheduler") == sleeper.pid
    assert cluster.start(["scheduler"]) == []  # already running: not started twice
    cluster.stop(["scheduler"])

    assert not is_running(sleeper.pid)
    assert caplog.messages[-1] == "scheduler: stopped"  # by SIGTERM, not killed after a wait
    assert not cluster.pid_path("scheduler").exists()


def test_the_nginx_configuration_balances_both_instances_and_nginx_accepts_it(cluster):
    if problem := nginx_problem():
        pytest.fail(problem)

    cluster.write_nginx_config()

    text = cluster.nginx_config.read_text()
    assert "server 127.0.0.1:8191;\n        server 127.0.0.1:8192;" in text
    assert "listen 127.0.0.1:8190;" in text
    checked = subprocess.run(  # noqa: S603 - the test's own arguments
        [NGINX, "-t", "-p", cluster.directory, "-c", cluster.nginx_config, "-e", "stderr"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert checked.returncode == 0, checked.stderr


@pytest.mark.postgres
def test_the_maintenance_connection_reaches_the_postgres_database_of_a_url_or_a_settings_entry():
    """The cluster passes a parsed URL, the benchmarks their settings' DATABASES entry."""
    entry = settings.DATABASES["default"]
    url = f"postgres://{entry['USER']}@{entry['HOST']}:{entry['PORT']}/{entry['NAME']}"

    for database in (dj_database_url.parse(url), entry):
        with maintenance_connection(database) as maintenance:
            assert maintenance.execute("SELECT current_database()").fetchone() == ("postgres",)
            assert maintenance.autocommit


def test_a_replica_reaches_every_process_only_when_given(monkeypatch, tmp_path):
    replica = "postgres://postgres@127.0.0.1:5433/cluster_console"
    monkeypatch.setenv("CLUSTER_DIR", str(tmp_path))
    monkeypatch.delenv("CLUSTER_REPLICA_URL", raising=False)
    without = Cluster.from_environment()
    monkeypatch.setenv("CLUSTER_REPLICA_URL", replica)
    with_replica = Cluster.from_environment()

    assert [
        "DATABASE_REPLICA_URL" in without.environment(service) for service in without.services()
    ] == [False] * len(without.services())
    assert {
        with_replica.environment(service)["DATABASE_REPLICA_URL"]
        for service in with_replica.services()
    } == {replica}
