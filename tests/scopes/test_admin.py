"""The catalog in the admin: constant-query changelists; keys, endpoints and links read-only, no
adds or deletes (the catalog file owns them); reviewers read it, catalog managers edit it, and a
weakening change waits for a second catalog manager."""

from __future__ import annotations

import pytest
from django.contrib.admin.models import LogEntry
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from scopes.catalog_version import CATALOG_VERSION_CACHE_KEY
from scopes.models import CatalogEvent, Endpoint, Scope, ScopeChange
from scopes.services.scope_edits import scope_edit
from tests.apps_registry.review_helpers import make_catalog_manager, make_reviewer
from tests.conftest import sign_in_with_mfa
from tests.factories import (
    EndpointFactory,
    ScopeFactory,
)

pytestmark = pytest.mark.django_db


def _query_count(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def test_scope_changelist_queries_do_not_grow_with_scopes(mfa_admin_client):
    url = reverse("admin:scopes_scope_changelist")
    scopes = ScopeFactory.create_batch(2)
    EndpointFactory(scopes=scopes)
    few = _query_count(mfa_admin_client, url)
    more_scopes = ScopeFactory.create_batch(20)
    EndpointFactory.create_batch(5, scopes=more_scopes)

    many = _query_count(mfa_admin_client, url)

    assert many == few


def test_endpoint_changelist_queries_do_not_grow_with_endpoints(mfa_admin_client):
    url = reverse("admin:scopes_endpoint_changelist")
    scope = ScopeFactory()
    EndpointFactory.create_batch(2, scopes=[scope])
    few = _query_count(mfa_admin_client, url)
    EndpointFactory.create_batch(30, scopes=[scope, ScopeFactory()])

    many = _query_count(mfa_admin_client, url)

    assert many == few


def test_scope_changelist_search_and_filters_answer(mfa_admin_client, catalog):
    url = reverse("admin:scopes_scope_changelist")

    response = mfa_admin_client.get(url, {"q": "seller.product.write"})
    filtered = mfa_admin_client.get(url, {"kind__exact": "custom", "group": "Customer Service"})

    assert [scope.key for scope in response.context["cl"].result_list] == ["seller.product.write"]
    assert {scope.kind for scope in filtered.context["cl"].result_list} == {"custom"}
    assert (
        filtered.context["cl"].result_count
        == Scope.objects.filter(kind="custom", group="Customer Service").count()
    )


def _change_form_post_data(client, scope: Scope, **changes) -> dict:
    """The change form's own data (fields and inline management form), with `changes` applied."""
    response = client.get(reverse("admin:scopes_scope_change", args=[scope.pk]))
    form = response.context["adminform"].form
    data = {name: form[name].value() for name in form.fields}
    data = {name: value for name, value in data.items() if value is not None}
    for formset in response.context["inline_admin_formsets"]:
        management = formset.formset.management_form
        for name in management.fields:
            data[f"{management.prefix}-{name}"] = management[name].value()
        for position, inline_form in enumerate(formset.formset.forms):
            for name in inline_form.fields:
                value = inline_form[name].value()
                if value is not None:
                    data[f"{formset.formset.prefix}-{position}-{name}"] = value
    data.update(changes)
    return data


def test_the_key_is_read_only_and_a_posted_key_is_ignored(mfa_admin_client):
    scope = ScopeFactory(key="seller.widgets.read")
    url = reverse("admin:scopes_scope_change", args=[scope.pk])

    page = mfa_admin_client.get(url)
    data = _change_form_post_data(
        mfa_admin_client, scope, key="seller.gadgets.read", description="Gadgets."
    )
    response = mfa_admin_client.post(url, data)

    assert "key" not in page.context["adminform"].form.fields
    assert response.status_code == 302
    scope.refresh_from_db()
    assert (scope.key, scope.description) == ("seller.widgets.read", "Gadgets.")
    assert list(CatalogEvent.objects.values_list("field", flat=True)) == ["description"]


@pytest.fixture
def reviewer_client(client):
    """A member of the Reviewers group (not a superuser), signed in with TOTP."""
    sign_in_with_mfa(client, make_reviewer())
    return client


@pytest.fixture
def catalog_manager_client(client):
    """A member of the Catalog managers group (not a superuser), signed in with TOTP."""
    sign_in_with_mfa(client, make_catalog_manager(email="first.manager@platform.example"))
    return client


def test_reviewer_sees_the_scope_read_only_and_cannot_change_it(reviewer_client):
    scope = ScopeFactory(kind=Scope.Kind.CUSTOM, requires_dual_approval=True)
    url = reverse("admin:scopes_scope_change", args=[scope.pk])
    page = reviewer_client.get(url)
    data = {
        "key": scope.key,
        "name": scope.name,
        "group": scope.group,
        "position": scope.position,
        "is_active": "on",
        "kind": "public",
        "token_type": scope.token_type,
        "description": scope.description,
        "consent_text": "Anything at all.",
    }

    response = reviewer_client.post(url, data)

    assert page.status_code == 200
    assert page.context["has_change_permission"] is False
    assert response.status_code == 403
    scope.refresh_from_db()
    assert (scope.kind, scope.requires_dual_approval, scope.consent_text) == (
        "custom",
        True,
        "See your test data.",
    )
    assert not CatalogEvent.objects.exists()
    assert not ScopeChange.objects.exists()


def test_catalog_manager_tightening_edit_applies_at_once_and_bumps_the_catalog_version(
    catalog_manager_client, django_capture_on_commit_callbacks
):
    from django.core.cache import cache

    scope = ScopeFactory(kind=Scope.Kind.PUBLIC)
    url = reverse("admin:scopes_scope_change", args=[scope.pk])
    data = _change_form_post_data(
        catalog_manager_client,
        scope,
        kind="custom",
        requires_dual_approval="on",
        description="Widgets.",
    )
    version_before = cache.get(CATALOG_VERSION_CACHE_KEY)

    with django_capture_on_commit_callbacks(execute=True):
        response = catalog_manager_client.post(url, data)

    assert response.status_code == 302
    scope.refresh_from_db()
    assert (scope.kind, scope.requires_dual_approval, scope.description) == (
        "custom",
        True,
        "Widgets.",
    )
    assert cache.get(CATALOG_VERSION_CACHE_KEY) not in {None, version_before}
    assert sorted(
        CatalogEvent.objects.filter(scope=scope).values_list("action", "field", "new_value")
    ) == [
        ("applied", "description", "Widgets."),
        ("applied", "kind", "custom"),
        ("applied", "requires_dual_approval", True),
    ]
    assert not ScopeChange.objects.exists()


def test_catalog_manager_weakening_edit_waits_until_a_second_manager_confirms(
    catalog_manager_client,
):
    scope = ScopeFactory(kind=Scope.Kind.CUSTOM, requires_dual_approval=True)
    url = reverse("admin:scopes_scope_change", args=[scope.pk])
    data = _change_form_post_data(
        catalog_manager_client, scope, consent_text="Read everything.", description="Gadgets."
    )
    data.pop("requires_dual_approval")  # an unticked box is not posted

    saved = catalog_manager_client.post(url, data, follow=True)

    scope.refresh_from_db()
    assert (scope.description, scope.requires_dual_approval, scope.consent_text) == (
        "Gadgets.",
        True,
        "See your test data.",
    )
    pending = ScopeChange.objects.filter(scope=scope, status=ScopeChange.Status.PENDING)
    pending_ids = list(pending.values_list("pk", flat=True))
    assert sorted(pending.values_list("field", "new_value")) == [
        ("consent_text", "Read everything."),
        ("requires_dual_approval", False),
    ]
    assert "waits for a second catalog manager" in saved.content.decode()

    # The proposer cannot confirm their own change.
    changelist = reverse("admin:scopes_scopechange_changelist")
    own = catalog_manager_client.post(
        changelist,
        {"action": "confirm_changes", "_selected_action": pending_ids},
        follow=True,
    )
    scope.refresh_from_db()
    assert (scope.requires_dual_approval, scope.consent_text) == (True, "See your test data.")
    assert pending.all().count() == 2
    assert "a different catalog manager must confirm it" in own.content.decode()

    second = Client()
    sign_in_with_mfa(second, make_catalog_manager(email="second.manager@platform.example"))
    response = second.post(
        changelist,
        {"action": "confirm_changes", "_selected_action": pending_ids},
        follow=True,
    )

    assert response.status_code == 200
    scope.refresh_from_db()
    assert (scope.requires_dual_approval, scope.consent_text) == (False, "Read everything.")
    assert not pending.all().exists()
    assert sorted(
        CatalogEvent.objects.filter(scope=scope).values_list("action", "field", "actor__email")
    ) == [
        ("applied", "description", "first.manager@platform.example"),
        ("confirmed", "consent_text", "second.manager@platform.example"),
        ("confirmed", "requires_dual_approval", "second.manager@platform.example"),
        ("proposed", "consent_text", "first.manager@platform.example"),
        ("proposed", "requires_dual_approval", "first.manager@platform.example"),
    ]


def test_reviewer_cannot_confirm_a_pending_change(reviewer_client):
    scope = ScopeFactory(kind=Scope.Kind.CUSTOM, requires_dual_approval=True)
    scope_edit(
        scope_id=scope.pk, changes={"requires_dual_approval": False}, actor=make_catalog_manager()
    )
    change = ScopeChange.objects.get()

    page = reviewer_client.get(reverse("admin:scopes_scopechange_changelist"))
    response = reviewer_client.post(
        reverse("admin:scopes_scopechange_changelist"),
        {"action": "confirm_changes", "_selected_action": [change.pk]},
    )

    assert page.status_code == 200
    assert page.context["action_form"] is None  # no action offered to a reviewer
    assert response.status_code == 200  # the admin answers "no action selected"
    change.refresh_from_db()
    scope.refresh_from_db()
    assert (change.status, scope.requires_dual_approval) == ("pending", True)


def test_catalog_history_pages_render_for_reviewers(reviewer_client):
    scope = ScopeFactory(kind=Scope.Kind.CUSTOM, requires_dual_approval=True)
    scope_edit(
        scope_id=scope.pk,
        changes={"requires_dual_approval": False, "description": "Renamed."},
        actor=make_catalog_manager(),
    )

    events = reviewer_client.get(reverse("admin:scopes_catalogevent_changelist"))
    changes = reviewer_client.get(reverse("admin:scopes_scopechange_changelist"))
    scope_page = reviewer_client.get(reverse("admin:scopes_scope_change", args=[scope.pk]))

    assert events.status_code == changes.status_code == scope_page.status_code == 200
    assert events.context["cl"].result_count == 2
    inline_models = [f.formset.model for f in scope_page.context["inline_admin_formsets"]]
    assert ScopeChange in inline_models
    assert CatalogEvent in inline_models


def test_scopes_cannot_be_deleted_in_the_admin(mfa_admin_client):
    scope = ScopeFactory()
    url = reverse("admin:scopes_scope_delete", args=[scope.pk])

    response = mfa_admin_client.post(url, {"post": "yes"})

    assert response.status_code == 403
    assert Scope.objects.filter(pk=scope.pk).exists()


def test_endpoint_change_form_and_inline_render(mfa_admin_client):
    scope = ScopeFactory()
    endpoint = EndpointFactory(scopes=[scope])

    endpoint_page = mfa_admin_client.get(
        reverse("admin:scopes_endpoint_change", args=[endpoint.pk])
    )
    scope_page = mfa_admin_client.get(reverse("admin:scopes_scope_change", args=[scope.pk]))

    assert endpoint_page.status_code == 200
    assert scope_page.status_code == 200
    assert scope_page.context["inline_admin_formsets"][0].formset.queryset.get().endpoint == (
        Endpoint.objects.get(pk=endpoint.pk)
    )


@pytest.fixture(params=["superuser", "catalog-manager"])
def editor_client(request):
    """Whoever could edit the catalog in the admin: a superuser or a catalog manager."""
    name = "mfa_admin_client" if request.param == "superuser" else "catalog_manager_client"
    return request.getfixturevalue(name)


def test_endpoints_and_their_scopes_are_read_only_in_the_admin(editor_client):
    """The catalog file owns endpoints and links, and records each change of them."""
    client = editor_client
    scope, other = ScopeFactory(), ScopeFactory()
    endpoint = EndpointFactory(method="GET", path="/widgets/202309/widgets", scopes=[scope])
    change_url = reverse("admin:scopes_endpoint_change", args=[endpoint.pk])
    form = {"method": "DELETE", "path": "/anything", "title": "Forged", "scopes": [other.pk]}

    page = client.get(change_url)
    changed = client.post(change_url, form)
    added = client.post(reverse("admin:scopes_endpoint_add"), form)
    deleted = client.post(
        reverse("admin:scopes_endpoint_delete", args=[endpoint.pk]), {"post": "yes"}
    )
    scope_page = client.get(reverse("admin:scopes_scope_change", args=[scope.pk]))

    assert page.context["has_change_permission"] is False
    assert (changed.status_code, added.status_code, deleted.status_code) == (403, 403, 403)
    links = scope_page.context["inline_admin_formsets"][0]
    assert (links.has_add_permission, links.has_change_permission) == (False, False)
    assert links.has_delete_permission is False
    assert list(Endpoint.objects.values_list("method", "path")) == [
        ("GET", "/widgets/202309/widgets")
    ]
    assert list(endpoint.scopes.all()) == [scope]
    assert not CatalogEvent.objects.exists()


def test_a_posted_endpoint_link_on_the_scope_page_changes_nothing(editor_client):
    scope = ScopeFactory()
    kept = EndpointFactory(scopes=[scope])
    other = EndpointFactory()
    url = reverse("admin:scopes_scope_change", args=[scope.pk])
    data = _change_form_post_data(editor_client, scope)
    page = editor_client.get(url)
    prefix = page.context["inline_admin_formsets"][0].formset.prefix + "-"
    data |= {
        f"{prefix}TOTAL_FORMS": "2",
        f"{prefix}1-endpoint": str(other.pk),
        f"{prefix}1-scope": str(scope.pk),
        f"{prefix}0-DELETE": "on",
    }

    editor_client.post(url, data)

    assert list(scope.endpoints.all()) == [kept]
    assert not CatalogEvent.objects.exists()


def test_a_refused_edit_comes_back_with_the_reason_and_changes_nothing(catalog_manager_client):
    scope = ScopeFactory(kind=Scope.Kind.CUSTOM, requires_dual_approval=True, name="Widgets")
    scope_edit(scope_id=scope.pk, changes={"consent_text": "First."}, actor=make_catalog_manager())
    url = reverse("admin:scopes_scope_change", args=[scope.pk])
    data = _change_form_post_data(
        catalog_manager_client, scope, consent_text="Second.", name="Gadgets"
    )
    events_before = CatalogEvent.objects.count()

    response = catalog_manager_client.post(url, data)

    # The form comes back as typed, with the refusal on it and its status (a change already waits:
    # 409), rather than a redirect.
    assert response.status_code == 409
    form = response.context["adminform"].form
    assert form.non_field_errors() == [
        f"A change of consent_text on {scope.key} already waits for a second catalog manager. "
        "Confirm or cancel it first."
    ]
    assert (form["consent_text"].value(), form["name"].value()) == ("Second.", "Gadgets")
    scope.refresh_from_db()
    assert (scope.name, scope.consent_text) == ("Widgets", "See your test data.")
    assert ScopeChange.objects.get().new_value == "First."
    assert CatalogEvent.objects.count() == events_before


def test_scopes_cannot_be_added_in_the_admin(editor_client):
    """The catalog file creates scopes: one added here would be deactivated by the next load."""
    client = editor_client
    url = reverse("admin:scopes_scope_add")

    page = client.get(url)
    response = client.post(
        url,
        {
            "key": "seller.gadgets.read",
            "name": "Gadgets",
            "group": "Product",
            "position": 5,
            "is_active": "on",
            "kind": "custom",
            "token_type": "seller",
            "description": "Read gadgets.",
            "consent_text": "See your gadgets.",
        },
    )

    assert (page.status_code, response.status_code) == (403, 403)
    assert not Scope.objects.exists()
    assert not CatalogEvent.objects.exists()


@pytest.mark.parametrize("tampered", [["abc"], [""], ["1.5"]])
def test_a_tampered_change_id_in_an_action_is_a_message_not_a_server_error(
    catalog_manager_client, tampered
):
    scope = ScopeFactory(kind=Scope.Kind.CUSTOM, requires_dual_approval=True)
    scope_edit(
        scope_id=scope.pk, changes={"requires_dual_approval": False}, actor=make_catalog_manager()
    )
    change = ScopeChange.objects.get()
    events_before = CatalogEvent.objects.count()

    response = catalog_manager_client.post(
        reverse("admin:scopes_scopechange_changelist"),
        {"action": "confirm_changes", "_selected_action": tampered},
        follow=True,
    )

    assert response.status_code == 200
    assert "Select the items from the list, then run the action." in response.content.decode()
    change.refresh_from_db()
    scope.refresh_from_db()
    assert (change.status, scope.requires_dual_approval) == ("pending", True)
    assert CatalogEvent.objects.count() == events_before


@pytest.mark.parametrize(
    ("changes", "messages", "history"),
    [
        (
            {"consent_text": "Read everything."},
            [
                "Not changed yet: consent text of Widgets (seller.widgets.read) waits for a "
                "second catalog manager to confirm it (Scope catalog › Scope changes)."
            ],
            "Proposed consent text, awaiting a second catalog manager.",
        ),
        (
            {"consent_text": "Read everything.", "description": "Widgets, all of them."},
            [
                "Changed description of Widgets (seller.widgets.read).",
                "Not changed yet: consent text of Widgets (seller.widgets.read) waits for a "
                "second catalog manager to confirm it (Scope catalog › Scope changes).",
            ],
            "Changed description. Proposed consent text, awaiting a second catalog manager.",
        ),
        (
            {"description": "Widgets, all of them."},
            ["Changed description of Widgets (seller.widgets.read)."],
            "Changed description.",
        ),
        (
            {"name": "Gadgets"},
            [
                "Not changed yet: name of Widgets (seller.widgets.read) waits for a second "
                "catalog manager to confirm it (Scope catalog › Scope changes)."
            ],
            "Proposed name, awaiting a second catalog manager.",
        ),
    ],
    ids=["only-proposed", "applied-and-proposed", "only-applied", "rename-proposed"],
)
def test_a_save_reports_what_was_applied_and_what_waits(
    catalog_manager_client, changes, messages, history
):
    scope = ScopeFactory(key="seller.widgets.read", name="Widgets", kind=Scope.Kind.CUSTOM)
    url = reverse("admin:scopes_scope_change", args=[scope.pk])
    data = _change_form_post_data(catalog_manager_client, scope, **changes)

    response = catalog_manager_client.post(url, data, follow=True)

    assert [str(message) for message in response.context["messages"]] == messages
    entry = LogEntry.objects.get(object_id=str(scope.pk))
    assert (entry.object_repr, entry.get_change_message()) == (
        "Widgets (seller.widgets.read)",
        history,
    )


def test_public_with_dual_approval_is_refused_on_the_field(catalog_manager_client):
    scope = ScopeFactory(kind=Scope.Kind.PUBLIC)
    url = reverse("admin:scopes_scope_change", args=[scope.pk])
    data = _change_form_post_data(
        catalog_manager_client, scope, requires_dual_approval="on", description="New."
    )

    response = catalog_manager_client.post(url, data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "requires_dual_approval": [
            "Dual approval applies to Custom scopes only: turn it off before the scope becomes "
            "Public."
        ]
    }
    scope.refresh_from_db()
    assert (scope.requires_dual_approval, scope.description) == (
        False,
        "The Partner will be able to test things.",
    )
    assert not CatalogEvent.objects.exists()
