"""An app's activity (the partner audit trail): on the partner's app page, owner-scoped and
bounded; in the staff admin, read-only. Also: the admin cannot store a redirect URI the services
would refuse."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.forms import modelform_factory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps_registry.models import Membership, PartnerApp, PartnerAuditEvent
from apps_registry.selectors import partners as selectors
from apps_registry.services import app_status
from apps_registry.services import apps as app_services
from apps_registry.services.secret_access import Assurance
from tests import factories

pytestmark = pytest.mark.django_db

Action = PartnerAuditEvent.Action


@pytest.fixture
def app(owner):
    return factories.PartnerAppFactory(
        partner=owner.memberships.get().partner, status=PartnerApp.Status.DRAFT
    )


def app_page(client, app):
    return client.get(reverse("partner:app-detail", args=[app.pk]))


def add_events(app, count: int) -> None:
    """`count` events by as many distinct members, so a missing join would show as queries."""
    PartnerAuditEvent.objects.bulk_create(
        PartnerAuditEvent(
            partner=app.partner,
            app=app,
            actor=factories.MembershipFactory(partner=app.partner).user,
            action=Action.APP_UPDATED,
        )
        for _ in range(count)
    )


# --- The partner's app page ---------------------------------------------------------------------


def test_app_page_lists_the_apps_changes_newest_first_without_secrets(client, owner, app):
    app_services.app_set_redirect_uris(
        app_id=app.pk,
        redirect_uris=["https://app.example.com/v2/cb"],
        acting_user=owner,
    )
    _, raw_secret = app_services.app_rotate_secret(
        app_id=app.pk, acting_user=owner, assurance=Assurance.RECENT_SECOND_FACTOR
    )
    client.force_login(owner)

    response = app_page(client, app)

    page = response.text
    activity = page[page.index('id="activity-heading"') :]
    assert response.status_code == 200
    assert activity.index("Client secret rotated") < activity.index("Redirect URIs changed")
    assert f"Secret ends in …{raw_secret[-4:]}" in activity
    assert "Added https://app.example.com/v2/cb" in activity
    assert "Removed https://app.example.com/callback" in activity
    assert activity.count(f"by {owner.email}") == 2
    # The one-time secret box shows the new secret once; the activity never does.
    assert raw_secret not in activity


def test_staff_actions_are_shown_as_the_platforms_not_a_staff_members(client, owner, app):
    staff = factories.UserFactory(is_staff=True, is_superuser=True, email="ops.person@example.com")
    app_status.app_suspend(app_id=app.pk, acting_user=staff, reason="Internal case 42.")
    client.force_login(owner)

    page = app_page(client, app).text

    assert "App suspended by the platform" in page
    assert "by the platform" in page
    assert "ops.person@example.com" not in page
    assert "Internal case 42." not in page


def test_an_app_without_events_says_so(client, owner, app):
    client.force_login(owner)

    assert "No changes recorded yet." in app_page(client, app).text


def test_another_partners_member_gets_a_404_and_sees_no_activity(client, owner, app):
    app_services.app_rotate_secret(
        app_id=app.pk, acting_user=owner, assurance=Assurance.RECENT_SECOND_FACTOR
    )
    outsider = factories.MembershipFactory(role=Membership.Role.OWNER).user
    client.force_login(outsider)

    response = app_page(client, app)

    assert response.status_code == 404
    assert "Client secret rotated" not in response.text
    assert selectors.app_activity_for_user(user=outsider, app_id=app.pk) == []
    assert PartnerAuditEvent.objects.count() == 1


def test_activity_is_the_latest_twenty_in_one_query(owner, app, django_assert_num_queries):
    add_events(app, 25)
    newest = list(PartnerAuditEvent.objects.order_by("-created_at", "-pk")[:20])

    with django_assert_num_queries(1):
        events = selectors.app_activity_for_user(user=owner, app_id=app.pk)
        actors = [event.actor for event in events]  # loaded with the events

    assert events == newest
    assert actors == [event.actor for event in newest]


def test_app_page_queries_do_not_grow_with_its_activity(client, owner, app):
    client.force_login(owner)
    add_events(app, 1)
    with CaptureQueriesContext(connection) as few:
        app_page(client, app)
    add_events(app, 30)

    with CaptureQueriesContext(connection) as many:
        app_page(client, app)

    assert len(many.captured_queries) == len(few.captured_queries)


# --- Staff admin --------------------------------------------------------------------------------


def test_admin_app_and_partner_pages_show_the_trail_read_only(mfa_admin_client, owner, app):
    app_services.app_publish(app_id=app.pk, acting_user=owner)

    app_admin = mfa_admin_client.get(
        reverse("admin:apps_registry_partnerapp_change", args=[app.pk])
    )
    partner_admin = mfa_admin_client.get(
        reverse("admin:apps_registry_partner_change", args=[app.partner_id])
    )

    for page in (app_admin, partner_admin):
        assert page.status_code == 200
        assert "Activity (audit trail)" in page.text
        assert "App published" in page.text
        assert 'name="audit_events-0-details"' not in page.text  # shown, not editable


@pytest.mark.parametrize("model", ["partnerapp", "partner"])
def test_admin_trail_inline_queries_do_not_grow_with_events(mfa_admin_client, app, model):
    object_id = app.pk if model == "partnerapp" else app.partner_id
    url = reverse(f"admin:apps_registry_{model}_change", args=[object_id])
    add_events(app, 1)
    mfa_admin_client.get(url)  # the first request of a session does one-off work
    with CaptureQueriesContext(connection) as few:
        assert mfa_admin_client.get(url).status_code == 200
    add_events(app, 5)

    with CaptureQueriesContext(connection) as many:
        assert mfa_admin_client.get(url).status_code == 200

    assert len(many.captured_queries) == len(few.captured_queries)


def test_admin_trail_cannot_be_changed_or_deleted(mfa_admin_client, owner, app):
    app_services.app_publish(app_id=app.pk, acting_user=owner)
    event = PartnerAuditEvent.objects.get()
    change_url = reverse("admin:apps_registry_partnerauditevent_change", args=[event.pk])
    delete_url = reverse("admin:apps_registry_partnerauditevent_delete", args=[event.pk])

    changed = mfa_admin_client.post(change_url, {"action": Action.APP_CREATED, "details": "{}"})
    deleted = mfa_admin_client.post(delete_url, {"post": "yes"})
    added = mfa_admin_client.get(reverse("admin:apps_registry_partnerauditevent_add"))

    assert (changed.status_code, deleted.status_code, added.status_code) == (403, 403, 403)
    stored = PartnerAuditEvent.objects.get()
    assert (stored.action, stored.details) == (Action.APP_PUBLISHED, event.details)


def test_admin_trail_changelist_queries_do_not_grow_with_events(mfa_admin_client, owner, app):
    url = reverse("admin:apps_registry_partnerauditevent_changelist")
    staff_actor = factories.UserFactory()
    add_events(app, 1)
    with CaptureQueriesContext(connection) as few:
        assert mfa_admin_client.get(url).status_code == 200
    PartnerAuditEvent.objects.bulk_create(
        PartnerAuditEvent(
            partner=factories.PartnerFactory(),
            app=factories.PartnerAppFactory(),
            actor=staff_actor,
            action=Action.APP_PUBLISHED,
        )
        for _ in range(5)
    )

    with CaptureQueriesContext(connection) as many:
        assert mfa_admin_client.get(url).status_code == 200

    assert len(many.captured_queries) == len(few.captured_queries)


# --- Redirect URI rules hold outside the services too ------------------------------------------


def test_model_validation_refuses_redirect_uris_the_services_refuse(app):
    app.redirect_uris = "https://app.example.com/callback http://evil.example/cb"

    with pytest.raises(ValidationError) as refused:
        app.full_clean()

    assert "uses http" in " ".join(refused.value.message_dict["redirect_uris"])


def test_a_model_form_for_the_app_refuses_an_insecure_redirect_uri(app):
    form_class = modelform_factory(PartnerApp, fields=["redirect_uris"])

    form = form_class({"redirect_uris": "http://evil.example/cb"}, instance=app)

    assert not form.is_valid()
    assert "uses http" in " ".join(form.errors["redirect_uris"])
    assert PartnerApp.objects.get(pk=app.pk).redirect_uris == "https://app.example.com/callback"


def test_admin_change_form_cannot_store_an_insecure_redirect_uri(mfa_admin_client, app):
    url = reverse("admin:apps_registry_partnerapp_change", args=[app.pk])
    before = PartnerApp.objects.values().get(pk=app.pk)

    response = mfa_admin_client.post(
        url, {"name": app.name, "redirect_uris": "http://evil.example/cb"}
    )

    assert response.status_code == 403  # the app admin is read-only
    assert PartnerApp.objects.values().get(pk=app.pk) == before
    assert PartnerAuditEvent.objects.count() == 0
