"""Catalog managers edit the catalog; weakening changes wait for a second, different manager; every
change, the catalog file's included, is an append-only CatalogEvent."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from scopes.errors import CatalogError, CatalogFileError, CatalogPermissionError, CatalogStateError
from scopes.models import CatalogEvent, Endpoint, Scope, ScopeChange
from scopes.services.catalog_loading import catalog_load
from scopes.services.scope_edits import scope_change_cancel, scope_change_confirm, scope_edit
from tests.apps_registry.review_helpers import make_catalog_manager, make_reviewer
from tests.factories import AppScopeFactory, ScopeFactory
from tests.scopes.catalog_data import real_catalog_data

pytestmark = pytest.mark.django_db

Action = CatalogEvent.Action


@pytest.fixture
def dual_scope() -> Scope:
    return ScopeFactory(
        key="seller.widgets.read",
        kind=Scope.Kind.CUSTOM,
        requires_dual_approval=True,
        consent_text="See your widgets.",
    )


@pytest.fixture
def gadgets_scope() -> Scope:
    """Custom without dual approval: it may become Public in one change."""
    return ScopeFactory(
        key="seller.gadgets.read", kind=Scope.Kind.CUSTOM, consent_text="See your gadgets."
    )


@pytest.fixture
def first_manager():
    return make_catalog_manager(email="first@platform.example")


@pytest.fixture
def second_manager():
    return make_catalog_manager(email="second@platform.example")


def scope_state(scope: Scope) -> dict:
    """What a refused change must leave untouched."""
    scope.refresh_from_db()
    return {
        "kind": scope.kind,
        "requires_dual_approval": scope.requires_dual_approval,
        "consent_text": scope.consent_text,
        "name": scope.name,
        "changes": list(ScopeChange.objects.values_list("pk", "status")),
        "events": CatalogEvent.objects.count(),
    }


def history(scope: Scope) -> list[tuple]:
    return list(
        CatalogEvent.objects.filter(scope=scope)
        .order_by("pk")
        .values_list("action", "field", "old_value", "new_value", "actor__email")
    )


@pytest.mark.parametrize(
    "changes",
    [
        {"kind": "public"},
        {"requires_dual_approval": False},
        {"consent_text": "See everything."},
        {"name": "Harmless rename"},
    ],
    ids=["make-public", "dual-off", "consent-text", "rename"],
)
def test_reviewer_cannot_edit_the_catalog(dual_scope, changes):
    before = scope_state(dual_scope)

    with pytest.raises(CatalogPermissionError, match="Only catalog managers"):
        scope_edit(scope_id=dual_scope.pk, changes=changes, actor=make_reviewer())

    assert scope_state(dual_scope) == before


@pytest.mark.parametrize(
    ("field", "new_value"),
    [
        ("kind", "public"),
        ("requires_dual_approval", False),
        ("consent_text", "See everything."),
        # The consent page shows each scope's group and name above its consent text.
        ("name", "Harmless rename"),
        ("group", "Harmless group"),
    ],
)
def test_weakening_change_is_pending_not_applied(request, first_manager, field, new_value):
    # A Public scope may not keep dual approval, so Custom → Public starts without it.
    dual_scope = request.getfixturevalue("gadgets_scope" if field == "kind" else "dual_scope")
    old_value = getattr(dual_scope, field)

    result = scope_edit(scope_id=dual_scope.pk, changes={field: new_value}, actor=first_manager)

    dual_scope.refresh_from_db()
    assert getattr(dual_scope, field) == old_value
    assert result.applied == []
    change = ScopeChange.objects.get()
    assert (change.field, change.old_value, change.new_value, change.status) == (
        field,
        old_value,
        new_value,
        ScopeChange.Status.PENDING,
    )
    assert history(dual_scope) == [
        (Action.PROPOSED, field, old_value, new_value, "first@platform.example")
    ]


def test_other_edits_apply_at_once_next_to_a_pending_one(dual_scope, first_manager):
    result = scope_edit(
        scope_id=dual_scope.pk,
        changes={"description": "Widgets.", "requires_dual_approval": False, "position": 7},
        actor=first_manager,
    )

    dual_scope.refresh_from_db()
    assert (dual_scope.description, dual_scope.position, dual_scope.requires_dual_approval) == (
        "Widgets.",
        7,
        True,
    )
    assert sorted(result.applied) == ["description", "position"]
    assert [change.field for change in result.proposed] == ["requires_dual_approval"]
    assert sorted(CatalogEvent.objects.values_list("action", "field")) == [
        (Action.APPLIED, "description"),
        (Action.APPLIED, "position"),
        (Action.PROPOSED, "requires_dual_approval"),
    ]


def test_second_manager_confirms_and_the_change_applies(
    gadgets_scope, first_manager, second_manager, django_capture_on_commit_callbacks
):
    scope_edit(scope_id=gadgets_scope.pk, changes={"kind": "public"}, actor=first_manager)
    change = ScopeChange.objects.get()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        scope_change_confirm(change_id=change.pk, actor=second_manager)

    gadgets_scope.refresh_from_db()
    change.refresh_from_db()
    assert gadgets_scope.kind == "public"
    assert (change.status, change.decided_by) == (ScopeChange.Status.CONFIRMED, second_manager)
    assert len(callbacks) == 1  # the matcher's catalog version bump
    assert history(gadgets_scope) == [
        (Action.PROPOSED, "kind", "custom", "public", "first@platform.example"),
        (Action.CONFIRMED, "kind", "custom", "public", "second@platform.example"),
    ]


def test_proposer_cannot_confirm_their_own_change(dual_scope, first_manager):
    scope_edit(
        scope_id=dual_scope.pk, changes={"requires_dual_approval": False}, actor=first_manager
    )
    before = scope_state(dual_scope)

    with pytest.raises(CatalogPermissionError, match="a different catalog manager must confirm"):
        scope_change_confirm(change_id=ScopeChange.objects.get().pk, actor=first_manager)

    assert scope_state(dual_scope) == before


def test_reviewer_cannot_confirm_or_cancel(gadgets_scope, first_manager):
    scope_edit(scope_id=gadgets_scope.pk, changes={"kind": "public"}, actor=first_manager)
    change = ScopeChange.objects.get()
    before = scope_state(gadgets_scope)

    for decide in (scope_change_confirm, scope_change_cancel):
        with pytest.raises(CatalogPermissionError):
            decide(change_id=change.pk, actor=make_reviewer())

    assert scope_state(gadgets_scope) == before


@pytest.mark.parametrize("who_cancels", ["proposer", "other-manager"])
def test_either_manager_can_cancel(dual_scope, first_manager, second_manager, who_cancels):
    scope_edit(scope_id=dual_scope.pk, changes={"consent_text": "All."}, actor=first_manager)
    change = ScopeChange.objects.get()
    actor = first_manager if who_cancels == "proposer" else second_manager

    scope_change_cancel(change_id=change.pk, actor=actor)

    dual_scope.refresh_from_db()
    change.refresh_from_db()
    assert dual_scope.consent_text == "See your widgets."
    assert (change.status, change.decided_by) == (ScopeChange.Status.CANCELLED, actor)
    assert history(dual_scope)[-1] == (
        Action.CANCELLED,
        "consent_text",
        "See your widgets.",
        "All.",
        actor.email,
    )


def test_a_decided_change_cannot_be_decided_again(gadgets_scope, first_manager, second_manager):
    scope_edit(scope_id=gadgets_scope.pk, changes={"kind": "public"}, actor=first_manager)
    change = ScopeChange.objects.get()
    scope_change_cancel(change_id=change.pk, actor=first_manager)
    before = scope_state(gadgets_scope)

    with pytest.raises(CatalogStateError, match="already cancelled"):
        scope_change_confirm(change_id=change.pk, actor=second_manager)

    assert scope_state(gadgets_scope) == before


@pytest.mark.parametrize(
    ("changes", "refused"),
    [
        ({"id": 999}, "id"),
        ({"pk": 999, "name": "Renamed"}, "pk"),
        ({"endpoints": [], "description": "New."}, "endpoints"),
        ({"kind": "public", "is_custom": False}, "is_custom"),
        # The catalog file identifies scopes by key; a key renamed here would come back.
        ({"key": "seller.gadgets.read"}, "key"),
    ],
    ids=["id", "pk", "relation", "property", "key"],
)
def test_edit_refuses_anything_but_the_editable_fields(dual_scope, first_manager, changes, refused):
    before = scope_state(dual_scope)
    description = dual_scope.description

    with pytest.raises(CatalogError, match=f"Not an editable field of a scope: {refused}\\."):
        scope_edit(scope_id=dual_scope.pk, changes=changes, actor=first_manager)

    assert scope_state(dual_scope) == before
    assert dual_scope.description == description


DUAL_ON_PUBLIC = (
    "Dual approval applies to Custom scopes only: turn it off before the scope becomes Public."
)


def test_an_edit_may_not_give_a_public_scope_dual_approval(first_manager):
    scope = ScopeFactory(kind=Scope.Kind.PUBLIC)
    before = scope_state(scope)

    with pytest.raises(CatalogError, match=DUAL_ON_PUBLIC):
        scope_edit(scope_id=scope.pk, changes={"requires_dual_approval": True}, actor=first_manager)

    assert scope_state(scope) == before


def test_making_a_scope_public_is_confirmed_only_after_dual_approval_is_off(
    dual_scope, first_manager, second_manager
):
    scope_edit(
        scope_id=dual_scope.pk,
        changes={"kind": "public", "requires_dual_approval": False},
        actor=first_manager,
    )
    kind = ScopeChange.objects.get(field="kind")
    dual = ScopeChange.objects.get(field="requires_dual_approval")
    before = scope_state(dual_scope)

    with pytest.raises(CatalogError, match=DUAL_ON_PUBLIC):
        scope_change_confirm(change_id=kind.pk, actor=second_manager)

    assert scope_state(dual_scope) == before
    scope_change_confirm(change_id=dual.pk, actor=second_manager)
    scope_change_confirm(change_id=kind.pk, actor=second_manager)
    dual_scope.refresh_from_db()
    assert (dual_scope.kind, dual_scope.requires_dual_approval) == ("public", False)


def test_a_second_proposal_for_the_same_field_is_refused(dual_scope, first_manager, second_manager):
    scope_edit(scope_id=dual_scope.pk, changes={"consent_text": "One."}, actor=first_manager)
    before = scope_state(dual_scope)

    with pytest.raises(CatalogStateError, match="already waits for a second catalog manager"):
        scope_edit(
            scope_id=dual_scope.pk,
            changes={"consent_text": "Two.", "name": "Renamed"},
            actor=second_manager,
        )

    assert scope_state(dual_scope) == before


def test_confirming_a_proposal_the_scope_moved_past_is_refused(
    gadgets_scope, first_manager, second_manager
):
    scope_edit(scope_id=gadgets_scope.pk, changes={"kind": "public"}, actor=first_manager)
    change = ScopeChange.objects.get()
    # Meanwhile the scope became Public another way: the proposal's starting point is gone.
    Scope.objects.filter(pk=gadgets_scope.pk).update(kind="public")
    before = scope_state(gadgets_scope)

    with pytest.raises(CatalogStateError, match="changed since this was proposed"):
        scope_change_confirm(change_id=change.pk, actor=second_manager)

    assert scope_state(gadgets_scope) == before


def test_catalog_file_changes_are_recorded_without_an_actor(catalog):
    data = real_catalog_data()
    entry = next(scope for scope in data["scopes"] if scope["key"] == "seller.product.write")
    entry["description"] = "Change your products."
    before = CatalogEvent.objects.count()

    catalog_load(data=data)

    scope = Scope.objects.get(key="seller.product.write")
    assert CatalogEvent.objects.count() == before + 1
    event = CatalogEvent.objects.filter(scope=scope).order_by("-pk").first()
    assert (event.action, event.field, event.new_value, event.actor) == (
        Action.LOADED,
        "description",
        "Change your products.",
        None,
    )


# --- The catalog file proposes weakening changes ----------------------------------------------

DUAL_KEY = "seller.customer_service"  # Custom, dual approval on, in the real catalog file


def file_with(key: str = DUAL_KEY, **values) -> dict:
    data = real_catalog_data()
    next(scope for scope in data["scopes"] if scope["key"] == key).update(values)
    return data


def file_history(scope: Scope) -> list[tuple]:
    """The scope's history after its creation by the first load."""
    return [row for row in history(scope) if row[0] != Action.LOADED or row[2] is not None]


@pytest.mark.parametrize(
    ("values", "field", "new_value"),
    [
        ({"kind": "public", "requires_dual_approval": False}, "kind", "public"),
        ({"requires_dual_approval": False}, "requires_dual_approval", False),
        ({"consent_text": "See everything."}, "consent_text", "See everything."),
        ({"name": "Chats"}, "name", "Chats"),
        ({"group": "Chats"}, "group", "Chats"),
    ],
    ids=["make-public", "dual-off", "consent-text", "rename", "regroup"],
)
def test_catalog_file_proposes_a_weakening_change_instead_of_applying_it(
    catalog, values, field, new_value
):
    scope = Scope.objects.get(key=DUAL_KEY)
    old_value = getattr(scope, field)

    report = catalog_load(data=file_with(**values, position=999))

    scope.refresh_from_db()
    assert (getattr(scope, field), scope.position) == (old_value, 999)
    proposed = ScopeChange.objects.filter(field=field).get()
    assert (proposed.scope, proposed.old_value, proposed.new_value, proposed.proposed_by) == (
        scope,
        old_value,
        new_value,
        None,
    )
    assert report.scopes_updated == {DUAL_KEY: ["position"]}
    assert report.scopes_proposed[DUAL_KEY] == sorted(values, key=list(values).index)
    assert report.changes_pending == [f"{DUAL_KEY}: {name}" for name in sorted(values)]
    assert (Action.PROPOSED, field, old_value, new_value, None) in file_history(scope)


def test_any_one_catalog_manager_confirms_the_files_proposal(catalog, first_manager):
    catalog_load(data=file_with(consent_text="See everything."))
    change = ScopeChange.objects.get()

    scope_change_confirm(change_id=change.pk, actor=first_manager)

    scope = Scope.objects.get(key=DUAL_KEY)
    assert scope.consent_text == "See everything."
    change.refresh_from_db()
    assert (change.status, change.decided_by) == ("confirmed", first_manager)
    assert catalog_load(data=file_with(consent_text="See everything.")).has_changes is False


def test_a_reload_does_not_propose_the_same_change_twice(catalog):
    catalog_load(data=file_with(consent_text="See everything."))
    events_before = CatalogEvent.objects.count()

    report = catalog_load(data=file_with(consent_text="See everything."))

    assert ScopeChange.objects.count() == 1
    assert CatalogEvent.objects.count() == events_before
    assert (report.has_changes, report.scopes_proposed) == (False, {})
    assert report.changes_pending == [f"{DUAL_KEY}: consent_text"]


def test_a_value_a_manager_cancelled_is_not_proposed_again_until_the_file_changes(
    catalog, first_manager
):
    catalog_load(data=file_with(consent_text="See everything."))
    scope_change_cancel(change_id=ScopeChange.objects.get().pk, actor=first_manager)
    events_before = CatalogEvent.objects.count()

    again = catalog_load(data=file_with(consent_text="See everything."))

    assert ScopeChange.objects.filter(status=ScopeChange.Status.PENDING).count() == 0
    assert CatalogEvent.objects.count() == events_before
    assert (again.scopes_proposed, again.scopes_declined) == ({}, {DUAL_KEY: ["consent_text"]})

    changed = catalog_load(data=file_with(consent_text="See all of it."))

    assert changed.scopes_proposed == {DUAL_KEY: ["consent_text"]}
    assert ScopeChange.objects.get(status=ScopeChange.Status.PENDING).new_value == (
        "See all of it."
    )


def test_a_new_file_value_replaces_the_files_own_pending_proposal(catalog):
    catalog_load(data=file_with(consent_text="See everything."))
    first = ScopeChange.objects.get()

    catalog_load(data=file_with(consent_text="See all of it."))

    first.refresh_from_db()
    assert (first.status, first.decided_by) == ("cancelled", None)
    pending = ScopeChange.objects.get(status=ScopeChange.Status.PENDING)
    assert pending.new_value == "See all of it."
    assert file_history(Scope.objects.get(key=DUAL_KEY))[-2:] == [
        (Action.CANCELLED, "consent_text", first.old_value, "See everything.", None),
        (Action.PROPOSED, "consent_text", first.old_value, "See all of it.", None),
    ]


def test_the_file_leaves_a_managers_pending_change_alone(catalog, first_manager):
    scope = Scope.objects.get(key=DUAL_KEY)
    scope_edit(scope_id=scope.pk, changes={"consent_text": "Mine."}, actor=first_manager)

    report = catalog_load(data=file_with(consent_text="The file's."))

    change = ScopeChange.objects.get()
    assert (change.status, change.new_value, change.proposed_by) == (
        "pending",
        "Mine.",
        first_manager,
    )
    assert report.scopes_proposed == {}
    assert report.changes_pending == [f"{DUAL_KEY}: consent_text"]


def test_the_file_puts_back_protection_a_manager_took_away_at_once(
    catalog, first_manager, second_manager
):
    scope = Scope.objects.get(key=DUAL_KEY)
    scope_edit(scope_id=scope.pk, changes={"requires_dual_approval": False}, actor=first_manager)
    scope_change_confirm(change_id=ScopeChange.objects.get().pk, actor=second_manager)

    # The file still says dual approval on: putting protection back applies at once.
    report = catalog_load(data=real_catalog_data())

    scope.refresh_from_db()
    assert scope.requires_dual_approval is True
    assert report.scopes_updated == {DUAL_KEY: ["requires_dual_approval"]}


def test_first_load_records_every_field_of_every_new_scope(catalog):
    scope = Scope.objects.get(key="seller.product.write")

    fields = set(CatalogEvent.objects.filter(scope=scope).values_list("field", flat=True))

    assert fields == {
        "name",
        "group",
        "kind",
        "token_type",
        "description",
        "consent_text",
        "requires_dual_approval",
        "position",
        "is_active",
        "endpoints",
    }
    assert not CatalogEvent.objects.exclude(action=Action.LOADED).exists()
    assert CatalogEvent.objects.filter(field="endpoints").count() == (
        Endpoint.scopes.through.objects.count()
    )


def test_the_file_records_each_endpoint_link_it_changes_in_the_scopes_history(catalog):
    data = real_catalog_data()
    relinked = next(
        e for e in data["endpoints"] if e["path"] == "/product/202309/products/{product_id}"
    )
    assert (relinked["method"], relinked["scopes"]) == ("GET", ["seller.product.basic"])
    relinked["scopes"] = ["seller.product.write", "seller.shop.info"]
    removed = data["endpoints"].pop(0)
    assert removed["scopes"] == ["creator.affiliate_collaboration.read"]
    last_event = CatalogEvent.objects.order_by("-pk").values_list("pk", flat=True).first()

    catalog_load(data=data)

    new_events = CatalogEvent.objects.filter(pk__gt=last_event)
    product = "GET /product/202309/products/{product_id}"
    assert sorted(
        new_events.values_list("scope__key", "action", "field", "old_value", "new_value", "actor")
    ) == [
        (
            "creator.affiliate_collaboration.read",
            Action.LOADED,
            "endpoints",
            f"{removed['method']} {removed['path']}",
            None,
            None,
        ),
        ("seller.product.basic", Action.LOADED, "endpoints", product, None, None),
        ("seller.product.write", Action.LOADED, "endpoints", None, product, None),
        ("seller.shop.info", Action.LOADED, "endpoints", None, product, None),
    ]


def test_catalog_file_may_not_make_a_scope_in_use_custom(catalog):
    scope = Scope.objects.get(key="seller.product.basic")
    AppScopeFactory(scope=scope)
    data = real_catalog_data()
    next(s for s in data["scopes"] if s["key"] == "seller.product.basic")["kind"] = "custom"
    events_before = CatalogEvent.objects.count()

    with pytest.raises(CatalogFileError, match=r"seller\.product\.basic: cannot become Custom"):
        catalog_load(data=data)

    scope.refresh_from_db()
    assert scope.kind == "public"
    assert CatalogEvent.objects.count() == events_before


@pytest.fixture
def event(dual_scope, first_manager) -> CatalogEvent:
    scope_edit(scope_id=dual_scope.pk, changes={"description": "Renamed"}, actor=first_manager)
    return CatalogEvent.objects.get()


@pytest.mark.parametrize(
    "tamper",
    [
        lambda e: e.save(),
        lambda e: e.delete(),
        lambda e: CatalogEvent.objects.filter(pk=e.pk).update(new_value="Forged"),
        lambda e: CatalogEvent.objects.filter(pk=e.pk).delete(),
        lambda e: CatalogEvent.objects.bulk_update([e], ["new_value"]),
    ],
    ids=["save", "delete", "queryset-update", "queryset-delete", "bulk-update"],
)
def test_catalog_history_cannot_be_changed_through_the_orm(tamper, event):
    event.new_value = "Forged"

    with pytest.raises(CatalogPermissionError, match="append-only"):
        tamper(event)

    assert CatalogEvent.objects.get(pk=event.pk).new_value == "Renamed"


@pytest.mark.postgres
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE scopes_catalogevent SET new_value = '\"Forged\"' WHERE id = %s",
        "DELETE FROM scopes_catalogevent WHERE id = %s",
    ],
    ids=["update", "delete"],
)
def test_catalog_history_cannot_be_changed_with_raw_sql_on_postgresql(sql, event):
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, [event.pk])

    assert CatalogEvent.objects.filter(pk=event.pk).count() == 1
