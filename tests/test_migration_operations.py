"""Indexes on big tables are built without blocking writes on PostgreSQL, plainly on SQLite."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.loader import MigrationLoader

from core.migration_operations import AddIndexWithoutBlockingWrites

SCALE_INDEXES = ("apps_registry", "0018_scale_indexes")


def _scale_migration():
    return MigrationLoader(connection).graph.nodes[SCALE_INDEXES]


def _forwards_sql() -> list[str]:
    """The SQL the scale indexes' migration runs on this database, collected, not executed."""
    loader = MigrationLoader(connection)
    state = loader.project_state(SCALE_INDEXES, at_end=False)
    migration = _scale_migration()
    with connection.schema_editor(collect_sql=True, atomic=False) as editor:
        for operation in migration.operations:
            new_state = state.clone()
            operation.state_forwards(migration.app_label, new_state)
            operation.database_forwards(migration.app_label, editor, state, new_state)
            state = new_state
    return editor.collected_sql


@pytest.mark.django_db(transaction=True)
def test_the_scale_indexes_are_built_concurrently_on_postgresql_and_plainly_elsewhere():
    migration = _scale_migration()
    assert migration.atomic is False
    statements = [sql for sql in _forwards_sql() if sql.upper().startswith("CREATE INDEX")]
    assert len(statements) == len(migration.operations)
    concurrently = [sql for sql in statements if "CONCURRENTLY" in sql.upper()]
    assert concurrently == (statements if connection.vendor == "postgresql" else [])


@pytest.mark.postgres
@pytest.mark.django_db
def test_every_scale_index_exists_and_is_valid_on_postgresql():
    operations = _scale_migration().operations
    names = [
        operation.index.name
        if isinstance(operation, AddIndexWithoutBlockingWrites)
        else operation.reverse_sql.split('"')[1]
        for operation in operations
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
            " WHERE i.indisvalid AND c.relname = ANY(%s)",
            [names],
        )
        valid = {name for (name,) in cursor.fetchall()}
    assert valid == set(names)
    assert len(names) == 17
