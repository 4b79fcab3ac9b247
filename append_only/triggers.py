"""PostgreSQL triggers that keep history tables append-only, for use in migrations.

The ORM already refuses updates and deletes (append_only.models.AppendOnlyModel); a trigger
refuses them for raw SQL too. SQLite (development only) relies on the ORM. Migrations import this
module, so whatever it generates must stay stable: add, never change (the function keeps its
historical name, it is shared by every app's history tables).
"""

from __future__ import annotations

from django.db import migrations

FUNCTION = "apps_registry_refuse_history_change"

CREATE_FUNCTION = f"""
CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""


def _on_postgresql(sql: str):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, params=None)  # the SQL holds a literal %

    return run


def refuse_history_change_function() -> migrations.RunPython:
    """Create the trigger function every append-only table uses."""
    return migrations.RunPython(
        _on_postgresql(CREATE_FUNCTION), _on_postgresql(f"DROP FUNCTION IF EXISTS {FUNCTION}()")
    )


def append_only_trigger(table: str) -> migrations.RunPython:
    """Refuse UPDATE and DELETE on `table`."""
    trigger = f"{table}_append_only"
    return migrations.RunPython(
        _on_postgresql(
            f"CREATE TRIGGER {trigger} BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {FUNCTION}()"
        ),
        _on_postgresql(f"DROP TRIGGER IF EXISTS {trigger} ON {table}"),
    )


def ensure_refuse_history_change_function() -> migrations.RunPython:
    """Create the trigger function if another app's migration has not yet; unapplying leaves it,
    since other apps' tables may use it."""
    return migrations.RunPython(_on_postgresql(CREATE_FUNCTION), migrations.RunPython.noop)
