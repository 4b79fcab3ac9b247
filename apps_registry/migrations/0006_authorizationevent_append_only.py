"""Seller-consent history (AuthorizationEvent) becomes append-only like the other history tables:
PROTECT instead of CASCADE from apps and shops, and on PostgreSQL the generic trigger function
from 0004 refuses UPDATE and DELETE."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

TABLE = "apps_registry_authorizationevent"
TRIGGER = "apps_registry_authorizationevent_append_only"
FUNCTION = "apps_registry_refuse_history_change"  # created by 0004


def _on_postgresql(sql: str):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("apps_registry", "0005_reminder_bookkeeping"),
    ]

    operations = [
        migrations.AlterField(
            model_name="authorizationevent",
            name="app",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="authorization_events",
                to=settings.OAUTH2_PROVIDER_APPLICATION_MODEL,
            ),
        ),
        migrations.AlterField(
            model_name="authorizationevent",
            name="shop",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="apps_registry.shop",
            ),
        ),
        migrations.RunPython(
            _on_postgresql(
                f"CREATE TRIGGER {TRIGGER} BEFORE UPDATE OR DELETE ON {TABLE} "
                f"FOR EACH ROW EXECUTE FUNCTION {FUNCTION}()"
            ),
            _on_postgresql(f"DROP TRIGGER IF EXISTS {TRIGGER} ON {TABLE}"),
        ),
    ]
