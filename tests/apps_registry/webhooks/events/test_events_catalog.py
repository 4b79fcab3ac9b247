"""scope.changed: every catalog write to a scope an app uses (a manager's edit, a second manager's
confirmation, the catalog file) tells that app, from apps_registry's orchestration."""

from __future__ import annotations

import json
from datetime import datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from apps_registry.models import AccessRequest, WebhookDelivery, WebhookTopic
from apps_registry.services.catalog import catalog_scope_change_confirm, catalog_scope_edit
from scopes.errors import CatalogPermissionError
from scopes.models import Scope
from tests import factories
from tests.apps_registry.review_helpers import make_catalog_manager
from tests.apps_registry.webhooks.events.helpers import call_and_roll_back, sent_data, subscribe
from tests.scopes.catalog_data import real_catalog_data

pytestmark = pytest.mark.django_db

CHANGED = WebhookTopic.SCOPE_CHANGED


@pytest.fixture
def manager(db):
    return make_catalog_manager()


@pytest.fixture
def widgets() -> Scope:
    return factories.ScopeFactory(key="seller.widgets.read", kind=Scope.Kind.PUBLIC)


@pytest.fixture
def users(widgets):
    """Apps using the scope each way (chosen, in a live consent, approved) and two that do not
    (an ended consent, another scope), all listening."""
    apps = {
        "chosen": factories.AppScopeFactory(scope=widgets).app,
        "consented": factories.ShopAuthorizationFactory(scopes=[widgets]).app,
        "approved": factories.ApprovedAccessRequestFactory(scope=widgets).app,
        "ended": factories.ShopAuthorizationFactory(
            scopes=[widgets], revoked_at=timezone.now()
        ).app,
        "unrelated": factories.AppScopeFactory().app,
    }
    for app in apps.values():
        subscribe(app)
    return apps


def test_an_edit_tells_every_app_using_the_scope_and_no_other(widgets, users, manager):
    before = timezone.now()
    catalog_scope_edit(
        scope_id=widgets.pk,
        changes={"description": "Widgets, read only.", "position": 5},
        actor=manager,
    )

    told = {name: sent_data(app, CHANGED) for name, app in users.items()}
    data = told["chosen"]
    assert told == {
        "chosen": [
            {
                "scope": "seller.widgets.read",
                "change": "updated",
                "changed_fields": ["description"],
                "changed_at": data[0]["changed_at"],
            }
        ],
        "consented": data,
        "approved": data,
        "ended": [],
        "unrelated": [],
    }
    assert before <= datetime.fromisoformat(data[0]["changed_at"]) <= timezone.now()


def test_reordering_the_catalog_tells_nobody(widgets, users, manager):
    catalog_scope_edit(scope_id=widgets.pk, changes={"position": 999}, actor=manager)

    assert WebhookDelivery.objects.count() == 0


def test_a_deactivated_scope_is_told_as_such(widgets, users, manager):
    catalog_scope_edit(scope_id=widgets.pk, changes={"is_active": False}, actor=manager)

    assert [
        (data["change"], data["changed_fields"]) for data in sent_data(users["chosen"], CHANGED)
    ] == [("deactivated", ["is_active"])]


def test_a_scope_made_custom_names_the_apps_grace_approval(widgets, users, manager):
    catalog_scope_edit(scope_id=widgets.pk, changes={"kind": "custom"}, actor=manager)

    grace = AccessRequest.objects.get(app=users["chosen"], scope=widgets)
    [data] = sent_data(users["chosen"], CHANGED)
    assert data == {
        "scope": "seller.widgets.read",
        "change": "became_custom",
        "changed_fields": ["kind"],
        "changed_at": data["changed_at"],
        "access_request_id": grace.pk,
        "approval_expires_at": grace.approval_expires_at.isoformat(),
    }
    # The grace approval is a decision too, in the platform's words.
    [decided] = sent_data(users["chosen"], WebhookTopic.ACCESS_REQUEST_DECIDED)
    assert (decided["decision"], decided["reason"]) == ("approved", grace.decision_reason)
    # The app already approved keeps its own approval and gets no grace one.
    approved = AccessRequest.objects.get(app=users["approved"], scope=widgets)
    assert sent_data(users["approved"], CHANGED)[0]["access_request_id"] == approved.pk
    assert sent_data(users["approved"], WebhookTopic.ACCESS_REQUEST_DECIDED) == []


def test_a_weakening_edit_tells_nobody_until_a_second_manager_confirms_it(users, manager):
    scope = factories.CustomScopeFactory(key="seller.secrets.read")
    app = users["chosen"]
    factories.AppScopeFactory(app=app, scope=scope)
    result = catalog_scope_edit(scope_id=scope.pk, changes={"kind": "public"}, actor=manager)
    assert sent_data(app, CHANGED) == []

    catalog_scope_change_confirm(change_id=result.proposed[0].pk, actor=make_catalog_manager())

    assert [
        (data["scope"], data["change"], data["changed_fields"]) for data in sent_data(app, CHANGED)
    ] == [("seller.secrets.read", "became_public", ["kind"])]


def test_a_refused_edit_records_no_event(widgets, users):
    with pytest.raises(CatalogPermissionError):
        catalog_scope_edit(
            scope_id=widgets.pk, changes={"description": "x"}, actor=factories.UserFactory()
        )

    assert WebhookDelivery.objects.count() == 0


def test_a_rolled_back_edit_records_no_event(widgets, users, manager):
    call_and_roll_back(
        catalog_scope_edit, scope_id=widgets.pk, changes={"description": "x"}, actor=manager
    )

    assert WebhookDelivery.objects.count() == 0


def test_the_catalog_file_tells_apps_of_new_wording_endpoints_and_deactivation(catalog, tmp_path):
    apps = {
        key: factories.AppScopeFactory(scope=Scope.objects.get(key=key)).app
        for key in ("seller.product.write", "seller.promotion.info", "seller.logistics")
    }
    untouched = factories.AppScopeFactory(scope=Scope.objects.get(key="seller.finance.info")).app
    for app in [*apps.values(), untouched]:
        subscribe(app)
    data = real_catalog_data()
    next(e for e in data["scopes"] if e["key"] == "seller.product.write")["description"] = "New."
    data["scopes"] = [e for e in data["scopes"] if e["key"] != "seller.promotion.info"]
    for endpoint in data["endpoints"]:
        endpoint["scopes"] = [key for key in endpoint["scopes"] if key != "seller.promotion.info"]
    logistics = next(e for e in data["endpoints"] if "seller.logistics" in e["scopes"])
    logistics["scopes"].remove("seller.logistics")
    catalog_file = tmp_path / "catalog.json"
    catalog_file.write_text(json.dumps(data), encoding="utf-8")

    call_command("load_scope_catalog", str(catalog_file), stdout=StringIO())

    told = {
        key: [(d["change"], d["changed_fields"]) for d in sent_data(app, CHANGED)]
        for key, app in apps.items()
    }
    assert told == {
        "seller.product.write": [("updated", ["description"])],
        "seller.promotion.info": [("deactivated", ["endpoints", "is_active"])],
        "seller.logistics": [("updated", ["endpoints"])],
    }
    assert sent_data(untouched, CHANGED) == []
