"""The real catalog file, for tests that need the catalog loaded the way production loads it."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from functools import cache as memoize
from typing import Any

from django.core.cache import cache
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.db.models import Max
from django.utils import timezone

from apps_registry.management.commands.load_scope_catalog import DEFAULT_CATALOG
from scopes.catalog_version import CATALOG_VERSION_CACHE_KEY
from scopes.models import CatalogEvent, Endpoint, Scope
from scopes.services.catalog_loading import CatalogLoadReport, catalog_load

SCOPE_COUNT = 41
ENDPOINT_COUNT = 214

# What catalog_load writes to an empty database, parents first.
CATALOG_TABLES = (Scope, Endpoint, Endpoint.scopes.through, CatalogEvent)
CREATED_AT = CatalogEvent._meta.get_field("created_at")


@memoize
def _catalog_text() -> str:
    return DEFAULT_CATALOG.read_text(encoding="utf-8")


def real_catalog_data() -> dict:
    """A fresh, freely mutable copy of scopes/catalog/catalog.json."""
    return copy.deepcopy(json.loads(_catalog_text()))


def forget_catalog_version() -> None:
    """The local-memory cache outlives each test's rolled-back database, and on_commit never
    fires inside a test transaction: forgetting the version makes the next lookup rebuild."""
    cache.delete(CATALOG_VERSION_CACHE_KEY)


@dataclass(frozen=True)
class LoadedCatalog:
    """What loading the real catalog into an empty database writes, kept once per session and
    inserted again for each test that asks for the catalog: one statement per table instead of a
    load, about ten times faster. Most tests need an empty catalog (they make their own scopes,
    under the real keys too), so the rows cannot simply stay in the database."""

    report: CatalogLoadReport
    # Each table's rows as database values, in the order of its concrete fields, parents first.
    rows: dict[type[models.Model], list[list[Any]]]

    @classmethod
    def load_and_roll_back(cls) -> LoadedCatalog:
        with transaction.atomic():
            report = catalog_load(data=real_catalog_data())
            rows = {model: _database_rows(model) for model in CATALOG_TABLES}
            transaction.set_rollback(True)
        return cls(report=report, rows=rows)

    def write(self) -> CatalogLoadReport:
        """The same rows as a load now would write them: ids above any row already there (a
        test may have made scopes first), the history dated now."""
        loaded_at = CREATED_AT.get_db_prep_save(timezone.now(), connection)
        with transaction.atomic(), connection.cursor() as cursor:
            id_offsets = {
                model: model.objects.aggregate(last=Max("pk", default=0))["last"]
                for model in self.rows
            }
            for model, rows in self.rows.items():
                fields = model._meta.concrete_fields
                cursor.executemany(
                    _insert_sql(model),
                    [
                        [
                            _as_written_now(field, value, id_offsets, loaded_at)
                            for field, value in zip(fields, row, strict=True)
                        ]
                        for row in rows
                    ],
                )
            # PostgreSQL's sequences know nothing of ids inserted explicitly.
            for sql in connection.ops.sequence_reset_sql(no_style(), list(self.rows)):
                cursor.execute(sql)
        forget_catalog_version()
        return copy.deepcopy(self.report)


def _database_rows(model: type[models.Model]) -> list[list[Any]]:
    fields = model._meta.concrete_fields
    return [
        [
            field.get_db_prep_save(value, connection)
            for field, value in zip(fields, row, strict=True)
        ]
        for row in model.objects.order_by("pk").values_list(*(f.attname for f in fields))
    ]


def _insert_sql(model: type[models.Model]) -> str:
    quote = connection.ops.quote_name
    fields = model._meta.concrete_fields
    columns = ", ".join(quote(field.column) for field in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    table = quote(model._meta.db_table)
    return f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"  # noqa: S608 - model names


def _as_written_now(field: models.Field, value: Any, id_offsets: dict, loaded_at: Any) -> Any:
    """`value` of `field` in a row written again: ids of the catalog's rows moved by their
    table's offset, the load's time replaced."""
    if field.primary_key:
        return value + id_offsets[field.model]
    if field.related_model in id_offsets:
        return value + id_offsets[field.related_model]
    if field is CREATED_AT:
        return loaded_at
    return value
