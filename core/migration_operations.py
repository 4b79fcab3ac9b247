"""Migration operations for tables that are big in production.

A plain CREATE INDEX blocks every write to its table until the index is built: on 5,000,000
tokens or 1,000,000 authorizations, that is the gate and the consent page stalling for the whole
build. PostgreSQL builds an index CONCURRENTLY without blocking writes (outside a transaction, so
a migration using these sets `atomic = False`); SQLite, the development database, has no such
thing and needs none.
"""

from __future__ import annotations

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db.migrations.operations import AddIndex, RunSQL


def _is_postgresql(schema_editor) -> bool:
    return schema_editor.connection.vendor == "postgresql"


class AddIndexWithoutBlockingWrites(AddIndexConcurrently):
    """`AddIndexConcurrently` on PostgreSQL, `AddIndex` elsewhere."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if _is_postgresql(schema_editor):
            super().database_forwards(app_label, schema_editor, from_state, to_state)
        else:
            AddIndex.database_forwards(self, app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if _is_postgresql(schema_editor):
            super().database_backwards(app_label, schema_editor, from_state, to_state)
        else:
            AddIndex.database_backwards(self, app_label, schema_editor, from_state, to_state)


def create_index_without_blocking_writes(*, table: str, name: str, columns: list[str]) -> RunSQL:
    """An index on a table another app owns (django-oauth-toolkit's tokens), which no model of
    ours can declare: built CONCURRENTLY on PostgreSQL, plainly elsewhere."""
    column_list = ", ".join(f'"{column}"' for column in columns)
    return _VendorRunSQL(
        postgresql=f'CREATE INDEX CONCURRENTLY IF NOT EXISTS "{name}" ON "{table}" ({column_list})',
        other=f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" ({column_list})',
        reverse=f'DROP INDEX IF EXISTS "{name}"',
    )


class _VendorRunSQL(RunSQL):
    def __init__(self, *, postgresql: str, other: str, reverse: str) -> None:
        super().__init__(sql=other, reverse_sql=reverse)
        self.postgresql_sql = postgresql

    def deconstruct(self):
        return (
            f"{create_index_without_blocking_writes.__module__}._VendorRunSQL",
            [],
            {"postgresql": self.postgresql_sql, "other": self.sql, "reverse": self.reverse_sql},
        )

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if _is_postgresql(schema_editor):
            schema_editor.execute(self.postgresql_sql)
        else:
            super().database_forwards(app_label, schema_editor, from_state, to_state)
