"""Catalog managers and the catalog's history: the manage_catalog permission, weakening changes
waiting for a second manager (ScopeChange) and the append-only CatalogEvent, which on PostgreSQL
gets the same trigger as every other history table (the shared function is created if missing,
since this migration may run before apps_registry's)."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

from append_only.triggers import append_only_trigger, ensure_refuse_history_change_function


class Migration(migrations.Migration):

    dependencies = [
        ('scopes', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterModelOptions(
            name='scope',
            options={'ordering': ['position', 'key'], 'permissions': [('manage_catalog', 'Can edit the scope catalog (catalog managers)')]},
        ),
        migrations.CreateModel(
            name='ScopeChange',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('field', models.CharField(max_length=40)),
                ('old_value', models.JSONField(help_text="The scope's value when the change was proposed.")),
                ('new_value', models.JSONField()),
                ('status', models.CharField(choices=[('pending', 'Pending'), ('confirmed', 'Confirmed'), ('cancelled', 'Cancelled')], db_index=True, default='pending', max_length=10)),
                ('proposed_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('decided_at', models.DateTimeField(blank=True, null=True)),
                ('decided_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('proposed_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('scope', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='changes', to='scopes.scope')),
            ],
            options={
                'ordering': ['-proposed_at', '-pk'],
            },
        ),
        migrations.CreateModel(
            name='CatalogEvent',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('action', models.CharField(choices=[('applied', 'Applied'), ('proposed', 'Proposed (awaits a second catalog manager)'), ('confirmed', 'Confirmed and applied'), ('cancelled', 'Cancelled'), ('loaded', 'Loaded from the catalog file')], max_length=10)),
                ('field', models.CharField(max_length=40)),
                ('old_value', models.JSONField(blank=True, help_text='Empty for a new scope.', null=True)),
                ('new_value', models.JSONField(blank=True, null=True)),
                ('created_at', models.DateTimeField(db_index=True, default=django.utils.timezone.now)),
                ('actor', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('scope', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='events', to='scopes.scope')),
                ('change', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='events', to='scopes.scopechange')),
            ],
            options={
                'ordering': ['-created_at', '-pk'],
            },
        ),
        migrations.AddConstraint(
            model_name='scopechange',
            constraint=models.UniqueConstraint(condition=models.Q(('status', 'pending')), fields=('scope', 'field'), name='scopechange_one_pending_per_field'),
        ),
        ensure_refuse_history_change_function(),
        append_only_trigger("scopes_catalogevent"),
    ]
