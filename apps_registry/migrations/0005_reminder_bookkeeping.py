"""Reminder bookkeeping on AccessRequest, so the daily send_review_reminders is idempotent:
when reviewers were last reminded of an overdue application, and which expiry reminder (30, 7 or
1 days before) the partner already got for an approval. Nullable, so existing rows need no data."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("apps_registry", "0004_partner_audit_event"),
    ]

    operations = [
        migrations.AddField(
            model_name="accessrequest",
            name="expiry_reminded_at",
            field=models.DateTimeField(
                blank=True, help_text="When that expiry reminder was sent.", null=True
            ),
        ),
        migrations.AddField(
            model_name="accessrequest",
            name="expiry_reminder_days",
            field=models.PositiveSmallIntegerField(
                blank=True,
                help_text="The most urgent expiry reminder the partner got for this approval "
                "(30, 7 or 1 days before it ends).",
                null=True,
            ),
        ),
        migrations.AddField(
            model_name="accessrequest",
            name="overdue_reminded_at",
            field=models.DateTimeField(
                blank=True,
                help_text="When reviewers were last reminded that this application is past the "
                "target.",
                null=True,
            ),
        ),
    ]
