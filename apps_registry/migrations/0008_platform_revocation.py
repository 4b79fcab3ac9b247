"""A seller-consent event for scopes the platform takes back when a Custom-scope approval ends."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("apps_registry", "0007_accessrequest_requires_dual_approval"),
    ]

    operations = [
        migrations.AlterField(
            model_name="authorizationevent",
            name="action",
            field=models.CharField(
                choices=[
                    ("grant", "Authorized"),
                    ("revoke_shop", "Shop disconnected"),
                    ("revoke_scope", "Scope withdrawn"),
                    ("revoke_app", "App disconnected"),
                    ("platform_revoke", "Access removed by the platform"),
                ],
                max_length=20,
            ),
        ),
    ]
