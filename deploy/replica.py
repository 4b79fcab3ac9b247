"""A streaming read replica of this machine's PostgreSQL, as a second cluster on the same machine
(docs/operations.md, "Read replica"; ADR 0026).

    .venv/bin/python deploy/replica.py up       # copy the primary, start, wait until streaming
    .venv/bin/python deploy/replica.py status
    .venv/bin/python deploy/replica.py down     # stop it and delete the copy

`up` copies the primary's whole cluster with `pg_basebackup -R` (streaming its WAL during the copy,
then as a standby), gives the copy its own port, socket directory and client rules, starts it with
`pg_ctl` as the user `postgres` and waits until it streams. It makes the primary accept the
replication connection first: when pg_hba.conf has no line for it, `up` adds
REPLICATION_HBA_LINE to the primary's pg_hba.conf and reloads the primary, and says so. Running
`up` again starts a stopped copy, or does nothing. `down` stops the replica and deletes the copy,
so the next `up` makes a fresh one: a copy left stopped falls behind the WAL the primary keeps.

Environment: REPLICA_PRIMARY_URL (postgres://postgres@127.0.0.1:5432/postgres: the primary's
server; the database in it is only where `up` connects), REPLICA_PORT (5433), REPLICA_DIR
(var/replica; the user postgres must be able to reach it). The replica has every database of the
primary: DATABASE_REPLICA_URL names the console's database on it, e.g.
postgres://postgres@127.0.0.1:5433/console.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):  # run as a script: the project's packages are beside deploy/
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import dj_database_url
import psycopg

from deploy.environment import ROOT

logger = logging.getLogger(__name__)

# Replication connections match only lines naming "replication", never "all" (pg_hba.conf docs).
REPLICATION_HBA_LINE = "host replication all 127.0.0.1/32 trust"
# A standby refuses to start with fewer of these than its primary has (hot standby docs).
PRIMARY_LIMITS = (
    "max_connections",
    "max_worker_processes",
    "max_wal_senders",
    "max_prepared_transactions",
    "max_locks_per_transaction",
)
SERVER_USER = "postgres"
READY_SECONDS = 30
LOG_TAIL_CHARACTERS = 4000


class ReplicaError(Exception):
    """Something the operator must fix; the message says what."""


@dataclass(frozen=True)
class Replica:
    directory: Path
    port: int
    primary_url: str

    @classmethod
    def from_environment(cls) -> Replica:
        return cls(
            directory=Path(os.environ.get("REPLICA_DIR", ROOT / "var" / "replica")),
            port=int(os.environ.get("REPLICA_PORT", "5433")),
            primary_url=os.environ.get(
                "REPLICA_PRIMARY_URL", "postgres://postgres@127.0.0.1:5432/postgres"
            ),
        )

    @property
    def data(self) -> Path:
        return self.directory / "data"

    @property
    def log(self) -> Path:
        return self.directory / "postgresql.log"

    def url(self, database: str) -> str:
        """DATABASE_REPLICA_URL for `database` on this replica."""
        primary = dj_database_url.parse(self.primary_url)
        return f"postgres://{primary['USER']}@127.0.0.1:{self.port}/{database}"

    # --- up -------------------------------------------------------------------------------------

    def up(self) -> None:
        if self.running():
            logger.info("replica: already running on port %s", self.port)
        else:
            with self.primary() as primary:
                binaries = server_binaries(primary)
                self.allow_replication(primary)
                if not (self.data / "PG_VERSION").exists():
                    self.copy_primary(binaries, primary)
            self.pg_ctl(binaries, "start", "-w", "-t", str(READY_SECONDS), "-l", str(self.log))
        self.wait_until_streaming()
        logger.info("replica: streaming on 127.0.0.1:%s (%s)", self.port, self.data)

    def primary(self) -> psycopg.Connection:
        return psycopg.connect(self.primary_url, autocommit=True)

    def allow_replication(self, primary: psycopg.Connection) -> None:
        """Make the primary accept this machine's replication connections, if it does not."""
        if self.replication_refusal() is None:
            return
        hba_file = Path(primary.execute("SHOW hba_file").fetchone()[0])
        try:
            lines = hba_file.read_text().splitlines()
            if REPLICATION_HBA_LINE not in lines:
                hba_file.write_text("\n".join([*lines, REPLICATION_HBA_LINE, ""]))
        except OSError as error:
            raise ReplicaError(
                f"The primary refuses replication connections and {hba_file} cannot be changed "
                f"here ({error}): add `{REPLICATION_HBA_LINE}` to it and reload PostgreSQL."
            ) from None
        primary.execute("SELECT pg_reload_conf()")
        logger.info(
            "replica: added `%s` to the primary's %s and reloaded it (replication connections "
            "need a line of their own)",
            REPLICATION_HBA_LINE,
            hba_file,
        )
        # The postmaster reloads on a signal, a moment after pg_reload_conf() returns.
        deadline = time.monotonic() + 5
        while (refusal := self.replication_refusal()) and time.monotonic() < deadline:
            time.sleep(0.1)
        if refusal:
            raise ReplicaError(f"The primary still refuses replication connections: {refusal}")

    def replication_refusal(self) -> str | None:
        """Why the primary refuses a replication connection from here, or None when it accepts."""
        try:
            psycopg.connect(self.primary_url, replication="true").close()
        except psycopg.OperationalError as error:
            return str(error).strip()
        return None

    def copy_primary(self, binaries: Path, primary: psycopg.Connection) -> None:
        """The primary's cluster, copied into `data` as a hot standby that streams from it."""
        shutil.rmtree(self.data, ignore_errors=True)  # what an interrupted copy left
        self.directory.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.directory, SERVER_USER, SERVER_USER)
        self.directory.chmod(0o700)
        source = dj_database_url.parse(self.primary_url)
        started = time.monotonic()
        as_server_user(
            binaries / "pg_basebackup",
            f"--host={source['HOST']}",
            f"--port={source['PORT'] or 5432}",
            f"--username={source['USER']}",
            f"--pgdata={self.data}",
            "--write-recovery-conf",  # standby.signal and primary_conninfo
            "--wal-method=stream",
            "--checkpoint=fast",  # instead of waiting for the primary's next checkpoint
            "--no-sync",  # a copy that a crash would lose is made again by the next `up`
        )
        logger.info("replica: copied the primary in %.1f s", time.monotonic() - started)
        limits = {name: primary.execute(f"SHOW {name}").fetchone()[0] for name in PRIMARY_LIMITS}
        settings = {
            "port": str(self.port),
            "listen_addresses": "'127.0.0.1'",
            "unix_socket_directories": f"'{self.directory}'",
            "hot_standby": "on",
            **limits,
        }
        # Debian keeps the primary's configuration outside its data directory, so the copy has
        # none of its own but postgresql.auto.conf (which -R appends to); these come first.
        files = {
            "postgresql.conf": "".join(f"{key} = {value}\n" for key, value in settings.items()),
            "pg_hba.conf": "local all all trust\nhost all all 127.0.0.1/32 trust\n",
            "pg_ident.conf": "",
        }
        for name, text in files.items():
            as_server_user("tee", str(self.data / name), input=text, quiet=True)

    def wait_until_streaming(self, *, seconds: float = READY_SECONDS) -> None:
        deadline = time.monotonic() + seconds
        while self.receiver_status() != "streaming":
            if time.monotonic() > deadline:
                raise ReplicaError(f"The replica is not streaming after {seconds} s.{self.tail()}")
            time.sleep(0.1)

    # --- status and down ------------------------------------------------------------------------

    def connect(self) -> psycopg.Connection:
        primary = dj_database_url.parse(self.primary_url)
        return psycopg.connect(
            host="127.0.0.1", port=self.port, user=primary["USER"], dbname="postgres",
            autocommit=True, connect_timeout=2,
        )  # fmt: skip

    def receiver_status(self) -> str | None:
        """The WAL receiver's status ("streaming" when all is well), or None when the replica does
        not answer or receives nothing."""
        try:
            with self.connect() as replica:
                row = replica.execute("SELECT status FROM pg_stat_wal_receiver").fetchone()
        except psycopg.OperationalError:
            return None
        return row[0] if row else None

    def running(self) -> bool:
        if not (self.data / "PG_VERSION").exists():
            return False
        pg_ctl = server_binaries_for(self.data) / "pg_ctl"
        return as_server_user(pg_ctl, "status", "-D", str(self.data), check=False, quiet=True) == 0

    def pg_ctl(self, binaries: Path, *arguments: str) -> None:
        if as_server_user(binaries / "pg_ctl", "-D", str(self.data), *arguments, check=False):
            raise ReplicaError(f"pg_ctl {arguments[0]} failed.{self.tail()}")

    def down(self) -> None:
        if self.running():
            self.pg_ctl(server_binaries_for(self.data), "stop", "-m", "immediate", "-w")
            logger.info("replica: stopped")
        if self.data.exists():
            shutil.rmtree(self.data)
            logger.info("replica: deleted the copy in %s", self.data)

    def tail(self) -> str:
        if not self.log.exists():
            return ""
        return f"\nThe end of {self.log}:\n{self.log.read_text()[-LOG_TAIL_CHARACTERS:]}"


def server_binaries(primary: psycopg.Connection) -> Path:
    """Debian's binaries for the primary's major version: a standby must run the same one."""
    major = int(primary.execute("SHOW server_version_num").fetchone()[0]) // 10000
    return Path(f"/usr/lib/postgresql/{major}/bin")


def server_binaries_for(data: Path) -> Path:
    return Path(f"/usr/lib/postgresql/{(data / 'PG_VERSION').read_text().strip()}/bin")


def as_server_user(
    *command: str | Path, input: str | None = None, check: bool = True, quiet: bool = False
) -> int:
    """Run `command` as the user `postgres` (the server refuses to run as root); its exit status.
    Its output goes to this command's unless `quiet` (the server's goes to the replica's log)."""
    prefix = ("runuser", "-u", SERVER_USER, "--") if os.geteuid() == 0 else ()
    completed = subprocess.run(  # noqa: S603 - fixed arguments
        [*prefix, *map(str, command)],
        input=input,
        text=True,
        stdout=subprocess.DEVNULL if quiet else None,
        check=False,
    )
    if check and completed.returncode != 0:
        raise ReplicaError(f"{' '.join(map(str, command))} failed ({completed.returncode}).")
    return completed.returncode


def main(arguments: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("up", help="copy the primary, start and wait until streaming")
    commands.add_parser("down", help="stop the replica and delete the copy")
    commands.add_parser("status", help="whether the replica runs and streams")
    options = parser.parse_args(arguments)
    logging.basicConfig(format="%(message)s", level=logging.INFO, stream=sys.stdout)
    replica = Replica.from_environment()
    try:
        match options.command:
            case "up":
                replica.up()
            case "down":
                replica.down()
            case "status":
                status = replica.receiver_status()
                logger.info("replica on port %s: %s", replica.port, status or "not streaming")
                return 0 if status == "streaming" else 1
    except ReplicaError as error:
        logger.error("replica: %s", error)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
