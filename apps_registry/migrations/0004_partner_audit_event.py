"""The partner audit trail (PartnerAuditEvent), append-only in the database too.

On PostgreSQL a trigger (append_only.triggers) refuses UPDATE and DELETE, so neither
raw SQL nor a bypassed ORM can rewrite it.
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

from append_only.triggers import append_only_trigger


class Migration(migrations.Migration):
    dependencies = [
        ("apps_registry", "0003_seller_authorization_history"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="PartnerAuditEvent",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "action",
                    models.CharField(
                        choices=[
                            ("partner_created", "Organisation created"),
                            ("partner_verified", "Organisation verified"),
                            ("partner_unverified", "Organisation verification withdrawn"),
                            ("member_invited", "Member invited"),
                            ("invitation_revoked", "Invitation revoked"),
                            ("member_joined", "Member joined"),
                            ("member_removed", "Member removed"),
                            ("member_left", "Member left"),
                            ("app_created", "App created"),
                            ("app_updated", "App details changed"),
                            ("redirect_uris_changed", "Redirect URIs changed"),
                            ("secret_rotated", "Client secret rotated"),
                            ("app_published", "App published"),
                            ("scopes_chosen", "Scopes asked of sellers changed"),
                            ("app_suspended", "App suspended by the platform"),
                            ("app_unsuspended", "App reinstated by the platform"),
                        ],
                        max_length=30,
                    ),
                ),
                (
                    "details",
                    models.JSONField(
                        blank=True,
                        default=dict,
                        help_text="What changed, e.g. old and new redirect URIs; never a secret or a token.",
                    ),
                ),
                (
                    "created_at",
                    models.DateTimeField(db_index=True, default=django.utils.timezone.now),
                ),
                (
                    "actor",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "app",
                    models.ForeignKey(
                        blank=True,
                        help_text="The app the event is about; empty for organisation and team events.",
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="audit_events",
                        to=settings.OAUTH2_PROVIDER_APPLICATION_MODEL,
                    ),
                ),
                (
                    "partner",
                    models.ForeignKey(
                        blank=True,
                        help_text="Empty only for events on platform-owned clients, such as the API gateway.",
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="audit_events",
                        to="apps_registry.partner",
                    ),
                ),
            ],
            options={
                "ordering": ["-created_at", "-pk"],
            },
        ),
        append_only_trigger("apps_registry_partnerauditevent"),
    ]
