"""Indexes on big tables are built without blocking writes on PostgreSQL, plainly on SQLite, and
the search indexes match the SQL Django's lookups write."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.migrations.loader import MigrationLoader

from apps_registry.models import Partner, PartnerApp, Shop
from core.migration_operations import AddIndexWithoutBlockingWrites

INDEX_MIGRATIONS = (
    ("apps_registry", "0018_scale_indexes"),
    ("apps_registry", "0019_search_indexes"),
)


def _migration(key):
    return MigrationLoader(connection).graph.nodes[key]


def _index_name(operation) -> str:
    if isinstance(operation, AddIndexWithoutBlockingWrites):
        return operation.index.name
    return operation.name


def _forwards_sql(key) -> list[str]:
    """The SQL a migration runs on this database, collected, not executed."""
    state = MigrationLoader(connection).project_state(key, at_end=False)
    migration = _migration(key)
    with connection.schema_editor(collect_sql=True, atomic=False) as editor:
        for operation in migration.operations:
            new_state = state.clone()
            operation.state_forwards(migration.app_label, new_state)
            operation.database_forwards(migration.app_label, editor, state, new_state)
            state = new_state
    return [sql for sql in editor.collected_sql if sql.upper().startswith("CREATE INDEX")]


@pytest.mark.django_db(transaction=True)
def test_the_indexes_are_built_concurrently_on_postgresql_and_plainly_or_not_at_all_elsewhere():
    scale, search = (_migration(key) for key in INDEX_MIGRATIONS)
    assert scale.atomic is False
    assert search.atomic is False
    scale_sql = _forwards_sql(INDEX_MIGRATIONS[0])
    search_sql = _forwards_sql(INDEX_MIGRATIONS[1])
    assert len(scale_sql) == len(scale.operations) == 14
    if connection.vendor == "postgresql":
        assert all(" CONCURRENTLY " in sql.upper() for sql in scale_sql + search_sql)
        assert len(search_sql) == len(search.operations) == 7
    else:
        assert not any("CONCURRENTLY" in sql.upper() for sql in scale_sql + search_sql)
        # text_pattern_ops on UPPER(...) is PostgreSQL's alone: only the task results' index.
        assert [sql.split('"')[1] for sql in search_sql] == ["taskresult_by_enqueued"]


def _valid_indexes(names: list[str]) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
            " WHERE i.indisvalid AND c.relname = ANY(%s)",
            [names],
        )
        return {name for (name,) in cursor.fetchall()}


@pytest.mark.postgres
@pytest.mark.django_db
def test_every_index_exists_and_is_valid_on_postgresql():
    names = [
        _index_name(operation)
        for key in INDEX_MIGRATIONS
        for operation in _migration(key).operations
    ]
    assert len(names) == 21
    assert _valid_indexes(names) == set(names)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_running_the_migration_again_rebuilds_an_index_a_failed_build_left_invalid():
    key = INDEX_MIGRATIONS[1]
    migration = _migration(key)
    operation = migration.operations[-1]  # the task results' index, on django-tasks-db's table
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE pg_index SET indisvalid = false"
            " WHERE indexrelid = 'taskresult_by_enqueued'::regclass"
        )
    assert _valid_indexes([operation.name]) == set()

    state = MigrationLoader(connection).project_state(key)
    with connection.schema_editor(atomic=False) as editor:
        operation.database_forwards(migration.app_label, editor, state, state)

    assert _valid_indexes([operation.name]) == {operation.name}


def _plan(queryset) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
    return queryset.explain()


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_admins_name_and_email_searches_read_their_indexes():
    user_model = get_user_model()
    assert "partner_name_search" in _plan(Partner.objects.filter(name__istartswith="acm"))
    assert "partnerapp_name_search" in _plan(PartnerApp.objects.filter(name__istartswith="acm"))
    assert "shop_name_search" in _plan(Shop.objects.filter(name__istartswith="bir"))
    assert "user_email_search" in _plan(user_model.objects.filter(email__iexact="A@B.TEST"))
    assert "user_email_search" in _plan(user_model.objects.filter(email__istartswith="a@"))
