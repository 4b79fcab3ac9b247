from django.db import migrations

from core.migration_operations import CreateIndexWithoutBlockingWrites


def _name_prefix(table: str, name: str, column: str) -> CreateIndexWithoutBlockingWrites:
    # Django's istartswith and iexact on PostgreSQL compare UPPER("col"::text) with LIKE and =,
    # which text_pattern_ops on that very expression serves (ADR 0021).
    return CreateIndexWithoutBlockingWrites(
        table=table,
        name=name,
        columns=[f'UPPER("{column}"::text) text_pattern_ops'],
        postgresql_only=True,
    )


class Migration(migrations.Migration):
    # Built CONCURRENTLY on PostgreSQL (core/migration_operations.py), outside a transaction.
    atomic = False

    dependencies = [
        ('apps_registry', '0018_scale_indexes'),
        ('auth', '0012_alter_user_first_name_max_length'),
        ('django_tasks_database', '0021_conditional_partial_index_ordering'),
    ]

    # The admin's searches over big tables (the start of a name, an email exactly) and the one
    # list order of a library's table that no index of its own serves.
    operations = [
        _name_prefix('apps_registry_partner', 'partner_name_search', 'name'),
        _name_prefix('apps_registry_partnerapp', 'partnerapp_name_search', 'name'),
        _name_prefix('apps_registry_shop', 'shop_name_search', 'name'),
        _name_prefix('auth_user', 'user_email_search', 'email'),
        _name_prefix('auth_user', 'user_first_name_search', 'first_name'),
        _name_prefix('auth_user', 'user_last_name_search', 'last_name'),
        # The task results' admin list, in django-tasks-db's order of enqueueing.
        CreateIndexWithoutBlockingWrites(
            table='django_tasks_database_dbtaskresult',
            name='taskresult_by_enqueued',
            columns=['"enqueued_at"'],
        ),
    ]
