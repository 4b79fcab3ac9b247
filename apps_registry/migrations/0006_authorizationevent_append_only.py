"""Seller-consent history (AuthorizationEvent) becomes append-only like the other history tables:
PROTECT instead of CASCADE from apps and shops, and on PostgreSQL the same trigger as the others."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from append_only.triggers import append_only_trigger


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
        append_only_trigger("apps_registry_authorizationevent"),
    ]
