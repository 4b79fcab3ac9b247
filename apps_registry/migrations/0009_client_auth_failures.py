"""Per-app, per-address, per-hour counters of failed client authentications (ClientAuthFailure)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("apps_registry", "0008_platform_revocation"),
    ]

    operations = [
        migrations.CreateModel(
            name="ClientAuthFailure",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("address", models.GenericIPAddressField()),
                ("hour", models.DateTimeField(help_text="Start of the hour the failures fall in.")),
                ("count", models.PositiveIntegerField(default=0)),
                ("last_seen_at", models.DateTimeField()),
                (
                    "app",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="client_auth_failures",
                        to=settings.OAUTH2_PROVIDER_APPLICATION_MODEL,
                    ),
                ),
            ],
            options={
                "indexes": [models.Index(fields=["hour"], name="clientauthfailure_hour")],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("app", "address", "hour"), name="clientauthfailure_one_row_per_hour"
                    )
                ],
            },
        ),
    ]
