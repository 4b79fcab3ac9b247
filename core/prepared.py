"""Hot one-row reads that skip the ORM's per-call work: compiled once per process, and on
PostgreSQL prepared once per database connection.

Building and compiling a queryset costs more than PostgreSQL takes to run an indexed lookup, and
PostgreSQL plans every statement afresh because Django binds parameters on the client; for the
reads made on every API call (the gate's token lookup, introspection) both costs dominate. A
`PreparedLookup` compiles its queryset on first use, keeps the SQL, and on PostgreSQL runs it as a
statement prepared in the connection's session (`PREPARE` / `EXECUTE`), which keeps its plan.

Prepared statements live in the database session: a pooler in front of PostgreSQL must keep
sessions (pgbouncer's session mode, not transaction mode). ADR 0015.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection
from django.db.models import QuerySet


class PreparedLookup:
    def __init__(self, name: str, build: Callable[[str], QuerySet]) -> None:
        """`build(placeholder)` returns the values_list queryset, filtered by `placeholder` where
        the lookup's one parameter goes; `name` names the prepared statement."""
        self._name = name
        self._build = build
        self._sql: str | None = None
        self._lock = threading.Lock()
        self._prepared_on: weakref.WeakSet = weakref.WeakSet()

    def fetchone(self, value: str) -> tuple[Any, ...] | None:
        """The first row for `value`, its values converted as the ORM converts them."""
        sql = self._compiled()
        with connection.cursor() as cursor:
            # EXECUTE takes its argument as a literal: with psycopg's server-side binding (an
            # OPTIONS setting) it would be sent as a bind parameter, which EXECUTE refuses.
            if connection.vendor == "postgresql" and not connection.settings_dict["OPTIONS"].get(
                "server_side_binding"
            ):
                self._prepare(cursor, sql)
                cursor.execute(f"EXECUTE {self._name}(%s)", [value])
            else:
                cursor.execute(sql, [value])
            row = cursor.fetchone()
        if row is None:
            return None
        # The fields' own conversions (aware datetimes, decoded JSON), as the ORM applies them to
        # a values_list: its compiler's results_iter, given the row instead of running the SQL.
        return next(self._compiler.results_iter(results=[[row]], tuple_expected=True))

    def _compiled(self) -> str:
        if self._sql is None:
            with self._lock:
                if self._sql is not None:
                    return self._sql
                compiler = self._build("").query.get_compiler(using=DEFAULT_DB_ALIAS)
                sql, params = compiler.as_sql()
                if len(params) != 1 or sql.count("%s") != 1:
                    raise ValueError(f"{self._name} must take exactly one parameter: {sql}")
                self._compiler, self._sql = compiler, sql
        return self._sql

    def _prepare(self, cursor, sql: str) -> None:
        session = connection.connection
        if session in self._prepared_on:
            return
        cursor.execute(f"PREPARE {self._name}(text) AS {sql.replace('%s', '$1')}")
        self._prepared_on.add(session)
