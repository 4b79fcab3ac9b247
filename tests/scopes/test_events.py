"""The catalog's event schema (ADR 0014): one details class and type name per stored action, and
the builders write the columns the history has always held."""

from __future__ import annotations

import json

import pytest
from django.utils import timezone

from scopes import events as catalog_events
from scopes.models import CatalogEvent
from tests import factories

pytestmark = pytest.mark.django_db


def test_every_stored_catalog_action_has_a_details_class_and_a_type_name():
    assert set(catalog_events.SCHEMA.by_action) == {choice.value for choice in CatalogEvent.Action}
    names = [cls.type_name for cls in catalog_events.SCHEMA.by_action.values()]
    assert all(name.startswith("scope.") for name in names)
    assert len(set(names)) == len(names)


@pytest.mark.parametrize("details_class", list(catalog_events.SCHEMA.by_action.values()))
def test_each_builder_writes_one_row_with_exact_columns_and_reads_back(details_class):
    scope = factories.ScopeFactory()
    details = details_class(field="name", old_value=None, new_value="Orders")
    before = CatalogEvent.objects.count()

    catalog_events.record_catalog_events(
        [
            catalog_events.build_catalog_event(
                details, scope_id=scope.pk, actor=None, now=timezone.now()
            )
        ]
    )

    assert CatalogEvent.objects.count() == before + 1
    event = CatalogEvent.objects.order_by("-pk").first()
    assert (event.action, event.field, event.old_value, event.new_value) == (
        details.action,
        "name",
        None,
        "Orders",
    )
    assert catalog_events.read_details(event) == details
    payload = details.partner_payload()
    assert json.loads(json.dumps(payload)) == {
        "field": "name",
        "old_value": None,
        "new_value": "Orders",
    }
