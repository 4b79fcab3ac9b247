"""Migration operations for tables that are big in production.

A plain CREATE INDEX blocks every write to its table until the index is built: on 5,000,000
tokens or 1,000,000 authorizations, that is the gate and the consent page stalling for the whole
build. PostgreSQL builds an index CONCURRENTLY without blocking writes (outside a transaction, so
a migration using these sets `atomic = False`); SQLite, the development database, has no such
thing and needs none.

A concurrent build that fails or is cancelled leaves an INVALID index of its name behind, which
PostgreSQL maintains on every write but never reads; these operations drop such a leftover
before they build, so running the migration again repairs it.
"""

from __future__ import annotations

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db.migrations.operations import AddIndex, RunSQL


def _is_postgresql(schema_editor) -> bool:
    return schema_editor.connection.vendor == "postgresql"


def _drop_invalid_leftover(schema_editor, name: str) -> None:
    """Drop the index `name` if an earlier concurrent build left it INVALID."""
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM pg_index JOIN pg_class ON pg_class.oid = pg_index.indexrelid"
            " WHERE pg_class.relname = %s AND NOT pg_index.indisvalid",
            [name],
        )
        invalid = cursor.fetchone() is not None
    if invalid:
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {schema_editor.quote_name(name)}")


class AddIndexWithoutBlockingWrites(AddIndexConcurrently):
    """`AddIndexConcurrently` on PostgreSQL (after dropping an invalid leftover of the same
    name), `AddIndex` elsewhere."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if _is_postgresql(schema_editor):
            _drop_invalid_leftover(schema_editor, self.index.name)
            super().database_forwards(app_label, schema_editor, from_state, to_state)
        else:
            AddIndex.database_forwards(self, app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if _is_postgresql(schema_editor):
            super().database_backwards(app_label, schema_editor, from_state, to_state)
        else:
            AddIndex.database_backwards(self, app_label, schema_editor, from_state, to_state)


class CreateIndexWithoutBlockingWrites(RunSQL):
    """An index no model of ours can declare: on a table another app owns (django-oauth-toolkit's
    tokens, Django's users), or on an expression only PostgreSQL has (`text_pattern_ops`).
    Built CONCURRENTLY on PostgreSQL; on SQLite built plainly from `columns`, or not at all when
    the index is PostgreSQL's alone (`postgresql_only`)."""

    def __init__(
        self, *, table: str, name: str, columns: list[str], postgresql_only: bool = False
    ) -> None:
        self.table = table
        self.name = name
        self.columns = columns
        self.postgresql_only = postgresql_only
        column_list = ", ".join(columns)
        super().__init__(
            sql=RunSQL.noop
            if postgresql_only
            else f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" ({column_list})',
            reverse_sql=RunSQL.noop if postgresql_only else f'DROP INDEX IF EXISTS "{name}"',
        )
        self._postgresql_forwards = (
            f'CREATE INDEX CONCURRENTLY IF NOT EXISTS "{name}" ON "{table}" ({column_list})'
        )
        self._postgresql_backwards = f'DROP INDEX CONCURRENTLY IF EXISTS "{name}"'

    def deconstruct(self):
        keywords = {"table": self.table, "name": self.name, "columns": self.columns}
        if self.postgresql_only:
            keywords["postgresql_only"] = True
        return (f"{__name__}.{type(self).__qualname__}", [], keywords)

    def describe(self) -> str:
        return f"Create index {self.name} on {self.table} without blocking writes"

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if _is_postgresql(schema_editor):
            _drop_invalid_leftover(schema_editor, self.name)
            schema_editor.execute(self._postgresql_forwards)
        else:
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if _is_postgresql(schema_editor):
            schema_editor.execute(self._postgresql_backwards)
        else:
            super().database_backwards(app_label, schema_editor, from_state, to_state)
