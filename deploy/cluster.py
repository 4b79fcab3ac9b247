"""Several instances of the console on this machine, as production runs them (docs/operations.md,
"Several instances"; ADR 0024): two gunicorn instances behind nginx (round robin), the task
worker, the webhook worker and the scheduler, all with production settings, on one PostgreSQL
database and one Redis database.

    .venv/bin/python deploy/cluster.py up [--demo]   # prepare, start, wait until ready
    .venv/bin/python deploy/cluster.py status
    .venv/bin/python deploy/cluster.py down          # stop everything, also after a crash

`up` creates the database when it is missing, migrates, loads the scope catalog, collects the
static files (and with --demo writes the demo data), writes the nginx configuration from
deploy/nginx.conf.template, starts every process that is not already running and waits until
/readyz answers on each instance and through nginx. Each process runs in its own session, with its
pid file and its log in the cluster's directory, and outlives this command; `down` stops them by
their pid files (SIGTERM, then SIGKILL after STOP_SECONDS) and removes the pid files, also those a
crash left behind. `start NAME…` and `stop NAME…` do the same for single processes.

Environment: CLUSTER_DATABASE_URL (postgres://postgres@127.0.0.1:5432/cluster_console),
CLUSTER_REDIS_URL (redis://127.0.0.1:6379/9), CLUSTER_PORT (8100: nginx; the instances take the
next ports), CLUSTER_DIR (var/cluster), CLUSTER_REPLICA_URL (unset: no read replica; else the
cluster's database on a replica, which every process gets as DATABASE_REPLICA_URL). The signing
key is made once into the directory (`secret_key`), so sessions and client secrets outlive a
restart; DJANGO_SECRET_KEY overrides it.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import logging
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

if __package__ in (None, ""):  # run as a script: the project's packages are beside deploy/
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import dj_database_url
import psycopg
from psycopg import sql

from deploy.environment import INSTANCE_HEADER, PROXY_HEADERS, ROOT, production_environment
from deploy.nginx import NGINX, nginx_problem

logger = logging.getLogger(__name__)

TEMPLATE = ROOT / "deploy" / "nginx.conf.template"
INSTANCES = ("a", "b")
WORKERS_PER_INSTANCE = 2
READY_SECONDS = 60
# Longer than a webhook attempt may take (WEBHOOK_CONNECT_TIMEOUT_SECONDS +
# WEBHOOK_TIMEOUT_SECONDS): a worker told to stop finishes the task it is running first.
STOP_SECONDS = 20
LOG_TAIL_CHARACTERS = 4000


class ClusterError(Exception):
    """Something the operator must fix; the message says what."""


@dataclass(frozen=True)
class Service:
    """One process of the cluster. `instance` names a web instance (served on `port`)."""

    name: str
    argv: tuple[str, ...]
    instance: str = ""
    port: int = 0


@dataclass(frozen=True)
class ServiceState:
    name: str
    pid: int | None  # None: not running (a stale pid file is reported by `stale`)
    stale: bool = False


@dataclass(frozen=True)
class Cluster:
    """Where the cluster keeps its state and which database, Redis and ports it uses.
    `settings` are more production settings (environment variables) for every process."""

    directory: Path
    database_url: str
    redis_url: str
    port: int
    settings: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_environment(cls) -> Cluster:
        return cls(
            directory=Path(os.environ.get("CLUSTER_DIR", ROOT / "var" / "cluster")),
            database_url=os.environ.get(
                "CLUSTER_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/cluster_console"
            ),
            redis_url=os.environ.get("CLUSTER_REDIS_URL", "redis://127.0.0.1:6379/9"),
            port=int(os.environ.get("CLUSTER_PORT", "8100")),
            # A read replica of the cluster's database (deploy/replica.py), for every process.
            settings={"DATABASE_REPLICA_URL": replica}
            if (replica := os.environ.get("CLUSTER_REPLICA_URL"))
            else {},
        )

    # --- What runs ------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The console's address, through nginx."""
        return f"http://127.0.0.1:{self.port}"

    def instance_url(self, instance: str) -> str:
        return f"http://127.0.0.1:{self.port + 1 + INSTANCES.index(instance)}"

    def services(self) -> list[Service]:
        manage = (sys.executable, "manage.py")
        gunicorn = (sys.executable, "-m", "gunicorn", "deploy.wsgi")
        web = [
            Service(
                f"web-{instance}",
                (*gunicorn, f"--workers={WORKERS_PER_INSTANCE}", f"--bind=127.0.0.1:{port}"),
                instance=instance,
                port=port,
            )
            for port, instance in enumerate(INSTANCES, start=self.port + 1)
        ]
        nginx = (str(NGINX), "-p", str(self.directory), "-c", str(self.nginx_config))
        return [
            *web,
            Service("worker", (*manage, "db_worker", "--queue-name", "default", "--no-reload")),
            Service("webhooks", (*manage, "db_worker", "--queue-name", "webhooks", "--no-reload")),
            Service("scheduler", (*manage, "crontask", "--no-heartbeat")),
            # In the foreground of its own session, like the others: its pid file is ours, and its
            # errors (from the start, before it reads its configuration) go to its log.
            Service("nginx", (*nginx, "-e", "stderr", "-g", "daemon off;")),
        ]

    def service(self, name: str) -> Service:
        for service in self.services():
            if service.name == name:
                return service
        known = ", ".join(s.name for s in self.services())
        raise ClusterError(f"No process is called {name!r}; the cluster runs {known}.")

    @property
    def nginx_config(self) -> Path:
        return self.directory / "nginx.conf"

    def environment(self, service: Service | None = None) -> dict[str, str]:
        """Production settings shared by every process; a web instance also knows its name."""
        instance = {"CONSOLE_INSTANCE": service.instance} if service and service.instance else {}
        return production_environment(
            secret_key=self.secret_key(),
            database_url=self.database_url,
            redis_url=self.redis_url,
            # Links the console builds point at nginx, the one address clients use.
            PORT=str(self.port),
            # nginx is the one proxy in front: the client address comes from its X-Forwarded-For.
            ALLAUTH_TRUSTED_PROXY_COUNT="1",
            # nginx listens on plain http here (no certificate on this machine) yet tells the
            # console the request came over https, as a TLS-terminating proxy would; a browser's
            # form then carries the Origin http://127.0.0.1:8100, which Django's CSRF check
            # refuses unless trusted. Each instance's own address too, for the tests that post
            # to one instance directly.
            DJANGO_CSRF_TRUSTED_ORIGINS=",".join(
                [self.url, *(self.instance_url(instance) for instance in INSTANCES)]
            ),
            # Uploads go where every instance finds them: on one machine, one directory.
            DJANGO_MEDIA_ROOT=str(self.directory / "uploads"),
            **self.settings,
            **instance,
        )

    def secret_key(self) -> str:
        """DJANGO_SECRET_KEY, or the key made into the directory on the first `up`: every process
        signs and hashes with the same key, or a session made on one instance is void on the
        other."""
        if key := self.settings.get("DJANGO_SECRET_KEY") or os.environ.get("DJANGO_SECRET_KEY"):
            return key
        path = self.directory / "secret_key"
        if not path.exists():
            self.directory.mkdir(parents=True, exist_ok=True)
            path.touch(mode=0o600)
            path.write_text(secrets.token_urlsafe(50))
        return path.read_text().strip()

    # --- up ---------------------------------------------------------------------------------------

    def up(self, *, demo: bool = False) -> None:
        """Prepare the database and the files, start what is not running, wait until ready.
        On failure, stop what this call started and raise ClusterError with the logs' ends."""
        if problem := nginx_problem():
            raise ClusterError(problem)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.create_database_if_missing()
        logger.info("migrating, loading the scope catalog, collecting static files")
        self.manage("migrate", "--noinput")
        self.manage("load_scope_catalog")
        self.manage("collectstatic", "--noinput")
        if demo:
            # seed_demo publishes a demo password, so it insists on DEBUG; only it gets it.
            logger.info(self.manage("seed_demo", DJANGO_DEBUG="1"))
        self.write_nginx_config()
        started = self.start([s.name for s in self.services()])
        try:
            self.wait_until_ready()
        except ClusterError:
            self.stop(started)
            raise
        instances = ", ".join(map(self.instance_url, INSTANCES))
        logger.info("ready: %s (instances %s)", self.url, instances)

    def create_database_if_missing(self) -> None:
        database = dj_database_url.parse(self.database_url)
        name = database["NAME"]
        with maintenance_connection(database) as maintenance:
            exists = maintenance.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", [name]
            ).fetchone()
            if not exists:
                maintenance.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
                logger.info("created database %s", name)

    def recreate_database_from_template(self) -> None:
        """Drop the database and create it anew as a copy of `<name>_template` on the same server,
        migrated first: a run that needs an empty database (a test session, a soak) then migrates
        only what changed since the last one, instead of every migration from the first."""
        database = dj_database_url.parse(self.database_url)
        name = database["NAME"]
        template = dataclasses.replace(
            self,
            database_url=urlsplit(self.database_url)._replace(path=f"/{name}_template").geturl(),
        )
        template.create_database_if_missing()
        template.manage("migrate", "--noinput")
        with maintenance_connection(database) as maintenance:
            copied, source = sql.Identifier(name), sql.Identifier(f"{name}_template")
            maintenance.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(copied))
            maintenance.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(copied, source))

    def manage(self, *arguments: str, **settings: str) -> str:
        """Run `manage.py *arguments` with the cluster's settings (and `settings`); its output,
        or ClusterError with it when it fails."""
        completed = subprocess.run(  # noqa: S603 - fixed arguments
            [sys.executable, "manage.py", *arguments],
            cwd=ROOT,
            env=self.environment() | settings,
            capture_output=True,
            text=True,
            check=False,
        )
        if completed.returncode != 0:
            output = (completed.stdout + completed.stderr)[-LOG_TAIL_CHARACTERS:]
            raise ClusterError(f"manage.py {' '.join(arguments)} failed:\n{output}")
        return completed.stdout

    def write_nginx_config(self) -> None:
        servers = "\n".join(
            f"        server 127.0.0.1:{s.port};" for s in self.services() if s.instance
        )
        (self.directory / "nginx").mkdir(exist_ok=True)
        self.nginx_config.write_text(
            TEMPLATE.read_text()
            % {"directory": self.directory, "port": self.port, "servers": servers}
        )

    def wait_until_ready(self, *, seconds: float = READY_SECONDS) -> None:
        """Until /readyz answers 200 on each instance (naming itself) and through nginx, and every
        process is still running; ClusterError with the logs of what is not, after `seconds`."""
        deadline = time.monotonic() + seconds
        waiting = self.not_ready()
        while waiting and time.monotonic() < deadline:
            if dead := [s for s in self.services() if self.running_pid(s.name) is None]:
                raise ClusterError(self.logs_of(dead, "exited"))
            time.sleep(0.2)
            waiting = self.not_ready()
        if waiting:
            raise ClusterError(self.logs_of(waiting, f"not ready after {seconds:.0f} s"))

    def not_ready(self) -> list[Service]:
        waiting = []
        for service in self.services():
            if service.instance:
                answered = readyz(self.instance_url(service.instance))
                if answered != service.instance:
                    waiting.append(service)
            elif service.name == "nginx" and readyz(self.url) is None:
                waiting.append(service)
        return waiting

    def logs_of(self, services: Iterable[Service], what: str) -> str:
        parts = []
        for service in services:
            log = self.log_path(service.name)
            tail = log.read_text()[-LOG_TAIL_CHARACTERS:] if log.exists() else "(no log)"
            parts.append(f"{service.name} {what}; the end of {log}:\n{tail}")
        return "\n\n".join(parts)

    # --- Processes ------------------------------------------------------------------------------

    def pid_path(self, name: str) -> Path:
        return self.directory / f"{name}.pid"

    def log_path(self, name: str) -> Path:
        return self.directory / f"{name}.log"

    def start(self, names: Iterable[str]) -> list[str]:
        """Start each named process that is not running; returns the names started."""
        started = []
        for name in names:
            service = self.service(name)
            if pid := self.running_pid(name):
                logger.info("%s: already running (pid %s)", name, pid)
                continue
            with self.log_path(name).open("a") as log:
                process = subprocess.Popen(  # noqa: S603 - fixed arguments
                    service.argv,
                    cwd=ROOT,
                    env=self.environment(service),
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    # Its own process group: `down` signals it and its children (gunicorn's and
                    # nginx's workers) together, and a Ctrl-C in this terminal does not reach it.
                    start_new_session=True,
                )
            # The start time tells this process from a later one given the same pid.
            self.pid_path(name).write_text(f"{process.pid} {start_ticks(process.pid)}\n")
            logger.info("%s: started (pid %s)", name, process.pid)
            started.append(name)
        return started

    def running_pid(self, name: str) -> int | None:
        """The pid in the process's pid file if that process still runs, else None."""
        try:
            pid_text, ticks = self.pid_path(name).read_text().split()
        except (FileNotFoundError, ValueError):
            return None
        pid = int(pid_text)
        return pid if is_running(pid) and start_ticks(pid) == ticks else None

    def status(self) -> list[ServiceState]:
        states = []
        for service in self.services():
            pid = self.running_pid(service.name)
            stale = pid is None and self.pid_path(service.name).exists()
            states.append(ServiceState(service.name, pid, stale))
        return states

    def stop(self, names: Iterable[str]) -> None:
        """SIGTERM each named process's group, then wait; SIGKILL what still runs after
        STOP_SECONDS. Pid files go, also those whose process is long gone."""
        signalled = {}
        for name in names:
            pid = self.running_pid(name)
            if pid is None:
                if self.pid_path(name).exists():
                    logger.info("%s: not running (stale pid file removed)", name)
                self.pid_path(name).unlink(missing_ok=True)
                continue
            signal_group(pid, signal.SIGTERM)
            signalled[name] = pid
        deadline = time.monotonic() + STOP_SECONDS
        while any(map(is_running, signalled.values())) and time.monotonic() < deadline:
            time.sleep(0.1)
        for name, pid in signalled.items():
            if is_running(pid):
                signal_group(pid, signal.SIGKILL)
                logger.info("%s: killed after %s s", name, STOP_SECONDS)
            else:
                logger.info("%s: stopped", name)
            self.pid_path(name).unlink(missing_ok=True)

    def down(self) -> None:
        """Stop every process: nginx first, so no request reaches an instance on its way out,
        then the others together."""
        self.stop(["nginx"])
        self.stop([s.name for s in self.services() if s.name != "nginx"])


def maintenance_connection(database: Mapping[str, Any]) -> psycopg.Connection:
    """A connection to the `postgres` database of the server `database` (a Django DATABASES
    entry, as `dj_database_url.parse` makes from a URL) names, for what cannot run inside the
    database itself (creating, dropping or looking for it)."""
    return psycopg.connect(
        dbname="postgres",
        host=database["HOST"],
        port=database["PORT"] or None,
        user=database["USER"],
        password=database["PASSWORD"] or None,
        autocommit=True,
    )


def readyz(base_url: str) -> str | None:
    """The instance that answered /readyz with 200 ("" through nginx when it names none), or
    None when nothing answered 200."""
    probe = urllib.request.Request(f"{base_url}/readyz", headers=PROXY_HEADERS)  # noqa: S310
    try:
        with urllib.request.urlopen(probe, timeout=5) as response:  # noqa: S310 - loopback
            return response.headers.get(INSTANCE_HEADER, "")
    except OSError:  # not listening yet, still importing, or an error status (503: no database)
        return None


def start_ticks(pid: int) -> str:
    """When the process started, in clock ticks since boot (field 22 of /proc/PID/stat)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    # The command name (field 2) is in parentheses and may hold spaces: split after it.
    return stat.rsplit(")", 1)[1].split()[19]


def is_running(pid: int) -> bool:
    """Whether `pid` runs: a child of this process that exited is reaped first, so it does not
    linger as a zombie that still looks alive."""
    try:
        reaped, _ = os.waitpid(pid, os.WNOHANG)
        if reaped == pid:
            return False
    except ChildProcessError:  # not our child: its parent reaps it
        pass
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def signal_group(pid: int, number: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):  # it ended meanwhile
        os.killpg(pid, number)


def main(arguments: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    up = commands.add_parser("up", help="prepare, start and wait until ready")
    up.add_argument("--demo", action="store_true", help="write the demo data (seed_demo) too")
    commands.add_parser("down", help="stop every process")
    commands.add_parser("status", help="what runs, and whether it answers")
    for name in ("start", "stop"):
        commands.add_parser(name, help=f"{name} single processes").add_argument("names", nargs="+")
    options = parser.parse_args(arguments)
    logging.basicConfig(format="%(message)s", level=logging.INFO, stream=sys.stdout)
    cluster = Cluster.from_environment()
    try:
        match options.command:
            case "up":
                cluster.up(demo=options.demo)
            case "down":
                cluster.down()
            case "start":
                cluster.start(options.names)
            case "stop":
                cluster.stop(options.names)
            case "status":
                return report_status(cluster)
    except ClusterError as error:
        logger.error("cluster: %s", error)
        return 1
    return 0


def report_status(cluster: Cluster) -> int:
    """One line per process; exit status 0 only when everything runs and answers."""
    states = cluster.status()
    for state in states:
        if state.pid:
            logger.info("%-10s running (pid %s)", state.name, state.pid)
        else:
            logger.info("%-10s stopped%s", state.name, " (stale pid file)" if state.stale else "")
    waiting = cluster.not_ready()
    for service in waiting:
        logger.info("%-10s does not answer /readyz", service.name)
    return 0 if all(s.pid for s in states) and not waiting else 3


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
