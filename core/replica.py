"""Optional reads from a streaming replica, only where a caller allows them and only when the
replica has replayed the primary's WAL past a position the caller names (ADR 0026).

Without DATABASE_REPLICA_URL there is no "replica" database and nothing here does anything: every
query goes to "default" as before. With it, `ReplicaRouter` (DATABASE_ROUTERS) sends a read to
the replica only inside `read_from_replica`, which first asks the replica how far it has replayed
(`pg_last_wal_replay_lsn()`) and compares that with the position the caller must see: the
primary's WAL position taken right after the writes the caller depends on. Writes, transactions
and migrations always use "default". A replica that is behind, unreachable or failing costs a
read on the primary and a warning, never an error.
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import Callable, Iterable
from contextvars import ContextVar

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections

logger = logging.getLogger(__name__)

REPLICA = "replica"
# Set only by read_from_replica, once the replica is known to be recent enough.
_reads_on_replica: ContextVar[bool] = ContextVar("reads_on_replica", default=False)


class ReplicaRouter:
    """Django's router API (installed only when the replica is configured): reads go to the
    replica inside `read_from_replica`, unless a transaction is open on the primary (it must see
    its own uncommitted writes); everything else, and every migration, uses "default"."""

    def db_for_read(self, model, **hints) -> str:
        if _reads_on_replica.get() and not connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return REPLICA
        return DEFAULT_DB_ALIAS

    def db_for_write(self, model, **hints) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints) -> bool | None:
        # The replica holds the primary's very rows: an object read from one relates to the other.
        if {obj1._state.db, obj2._state.db} <= {DEFAULT_DB_ALIAS, REPLICA}:
            return True
        return None

    def allow_migrate(self, db: str, app_label: str, **hints) -> bool:
        # The replica replays the primary's schema changes; it cannot run its own.
        return db == DEFAULT_DB_ALIAS


def replica_configured() -> bool:
    return REPLICA in connections.settings


# --- WAL positions --------------------------------------------------------------------------


def lsn_number(lsn: str) -> int:
    """PostgreSQL's "16/B374D848" as the number it stands for, so positions compare."""
    high, low = lsn.split("/")
    return (int(high, 16) << 32) | int(low, 16)


def primary_wal_lsn() -> str | None:
    """The primary's WAL position now, when a replica is configured (else None, and no query).
    Taken after a commit, it is past that commit's record: COMMIT returns once its record is
    written (synchronous_commit, which the console leaves on)."""
    if not replica_configured():
        return None
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()::text")
        return cursor.fetchone()[0]


def stamped_version() -> str:
    """A fresh cache version (ADR 0015) that carries the primary's WAL position, "LSN:random",
    when a replica is configured; just random otherwise. Made after a change committed (or when
    a version is missing), it tells a reader how far a replica must have replayed to show that
    change (`versions_lsn`)."""
    lsn = primary_wal_lsn()
    return f"{lsn}:{uuid.uuid4().hex}" if lsn else uuid.uuid4().hex


def versions_lsn(versions: Iterable[str]) -> int | None:
    """The newest WAL position among versions made by `stamped_version`; None when one carries
    none (made before the replica was configured, or not by us): then nothing says which replica
    is recent enough, so only the primary is."""
    try:
        return max((lsn_number(version.rpartition(":")[0]) for version in versions), default=0)
    except ValueError:  # a bare uuid has no "LSN:" in front
        return None


# --- Reading -----------------------------------------------------------------------------------


def read_from_replica[T](read: Callable[[], T], *, caught_up_to: int | None) -> T:
    """`read()` with its queries on the replica if it has replayed the primary's WAL up to
    `caught_up_to` (0: any replica will do; None: only the primary will), else on the primary.
    A replica that fails meanwhile (gone, a query cancelled by a recovery conflict) gets a
    warning and `read()` runs again on the primary: callers pass reads only, so that is safe."""
    if not _replica_caught_up(caught_up_to):
        return read()
    allowed = _reads_on_replica.set(True)
    try:
        return read()
    except DatabaseError:
        logger.warning("Reading from the replica failed; reading from the primary", exc_info=True)
        _drop_replica_connection()
    finally:
        _reads_on_replica.reset(allowed)
    return read()


def _replica_caught_up(lsn: int | None) -> bool:
    if lsn is None or not replica_configured() or _replica_is_the_primary():
        return False
    if connections[DEFAULT_DB_ALIAS].in_atomic_block:
        return False
    try:
        with connections[REPLICA].cursor() as cursor:
            cursor.execute("SELECT pg_last_wal_replay_lsn()::text")
            replayed = cursor.fetchone()[0]
    except DatabaseError:
        logger.warning("The replica does not answer; reading from the primary", exc_info=True)
        _drop_replica_connection()
        return False
    # NULL: the server is not replaying WAL, so it is no replica of ours (or was promoted).
    return replayed is not None and lsn_number(replayed) >= lsn


def _replica_is_the_primary() -> bool:
    """Whether "replica" names the primary's own database, as the tests' mirror of it does
    (console/settings.py): then there is nothing to ask, and nothing to gain."""
    replica, primary = (connections[alias].settings_dict for alias in (REPLICA, DEFAULT_DB_ALIAS))
    return all(replica[key] == primary[key] for key in ("HOST", "PORT", "NAME"))


def _drop_replica_connection() -> None:
    """The next read connects afresh, rather than reusing a session the error may have broken."""
    with contextlib.suppress(DatabaseError):
        connections[REPLICA].close()
