"""ReviewEvent is append-only in the database too: on PostgreSQL a trigger refuses UPDATE and
DELETE, so neither raw SQL nor a bypassed ORM can rewrite the review history."""

from django.db import migrations

from append_only.triggers import append_only_trigger, refuse_history_change_function


class Migration(migrations.Migration):
    dependencies = [("apps_registry", "0001_initial")]

    operations = [
        refuse_history_change_function(),
        append_only_trigger("apps_registry_reviewevent"),
    ]
