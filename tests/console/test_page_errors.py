"""Partner pages show a service's refusal where the partner acts (ADR 0013): a form page re-renders
with the refusal's status (400 input, 403 permission, 409 state), its message on the form or on the
fields it names; a button redirects back with the message. Nothing changes either way."""

from __future__ import annotations

import pytest
from django.utils.html import escape

from apps_registry.models import (
    AccessRequest,
    Invitation,
    Membership,
    PartnerApp,
    PartnerAuditEvent,
)
from apps_registry.services import partners as partner_services
from apps_registry.services.secret_access import Assurance
from tests import factories
from tests.apps_registry.review_helpers import ANSWERS, snapshot

pytestmark = pytest.mark.django_db

Status = AccessRequest.Status


def apply_url(app, scope) -> str:
    return f"/console/apps/{app.pk}/api/{scope.key}/apply/"


def app_snapshot(app: PartnerApp) -> dict:
    """What a refused change of an app must leave untouched."""
    app = PartnerApp.objects.get(pk=app.pk)
    return {
        "status": app.status,
        "name": app.name,
        "privacy_policy_url": app.privacy_policy_url,
        "updated": app.updated,
        "audit_events": PartnerAuditEvent.objects.filter(app=app).count(),
    }


def shown_on_top(response, message: str, *, form: str = "form") -> bool:
    """The message as the error of the form (named `form` in the page's context), not of a field,
    shown where _form_errors.html puts it."""
    return (
        response.context[form].errors == {"__all__": [message]}
        and f"<p>{escape(message)}</p>" in response.text
    )


@pytest.fixture
def live_app(member):
    return factories.PartnerAppFactory(partner=member.partner)


# --- Form pages ---------------------------------------------------------------------------------


def test_answers_the_service_refuses_are_a_400_on_the_fields(client, live_app, custom_scope):
    """The form takes https://localhost/…; the service wants a public, dotted host name."""
    factories.conversations_endpoint(custom_scope)
    response = client.post(
        apply_url(live_app, custom_scope), {**ANSWERS, "demo_url": "https://localhost/demo"}
    )

    message = "Demo URL: enter a full web address, e.g. https://…"
    assert response.status_code == 400
    assert response.context["form"].errors == {"demo_url": [message]}
    assert escape(message) in response.text
    assert "<p>Please correct the fields marked below.</p>" in response.text
    assert not AccessRequest.objects.exists()


def test_a_change_the_input_breaks_a_rule_of_is_a_400_on_the_form(client, live_app):
    before = app_snapshot(live_app)

    response = client.post(
        f"/console/apps/{live_app.pk}/",
        {"name": "Helpdesk Sync", "category": "other", "privacy_policy_url": ""},
    )

    assert response.status_code == 400
    assert shown_on_top(
        response,
        "A live app needs a privacy policy URL: sellers are shown it.",
        form="details_form",
    )
    assert app_snapshot(live_app) == before


def test_a_developer_inviting_is_a_403_on_the_form(client):
    developer = factories.MembershipFactory(role=Membership.Role.DEVELOPER)
    client.force_login(developer.user)

    response = client.post(
        "/console/team/", {"email": "new@example.com", "role": Membership.Role.DEVELOPER}
    )

    assert response.status_code == 403
    assert shown_on_top(response, "Only an owner of the organisation can do this.")
    assert not Invitation.objects.exists()
    assert not PartnerAuditEvent.objects.exists()


def test_applying_twice_is_a_409_on_the_form(client, live_app, custom_scope):
    factories.conversations_endpoint(custom_scope)
    existing = factories.AccessRequestFactory(app=live_app, scope=custom_scope)
    before = snapshot(existing)

    response = client.post(apply_url(live_app, custom_scope), ANSWERS)

    assert response.status_code == 409
    assert shown_on_top(
        response,
        "This app already has an open application or an approval for seller.customer_service. "
        "Follow that one on the Applications page.",
    )
    assert f'href="/console/requests/{existing.pk}/"' in response.text
    assert 'href="/console/requests/"' in response.text
    assert AccessRequest.objects.get() == existing
    assert snapshot(existing) == before


def test_changing_a_suspended_app_is_a_409_on_the_form(client, member):
    suspended = factories.PartnerAppFactory(
        partner=member.partner, status=PartnerApp.Status.SUSPENDED
    )
    before = app_snapshot(suspended)

    response = client.post(
        f"/console/apps/{suspended.pk}/",
        {
            "name": "Renamed",
            "category": "other",
            "privacy_policy_url": "https://app.example.com/privacy",
        },
    )

    assert response.status_code == 409
    assert shown_on_top(
        response,
        "This app is suspended by the platform; contact partner support before changing it.",
        form="details_form",
    )
    assert app_snapshot(suspended) == before


def test_resubmitting_unchanged_answers_is_a_409_on_the_form(client, live_app, custom_scope):
    factories.conversations_endpoint(custom_scope)
    awaiting_changes = factories.AccessRequestFactory(
        app=live_app, scope=custom_scope, status=Status.CHANGES_REQUESTED
    )
    before = snapshot(awaiting_changes)

    response = client.post(
        f"/console/requests/{awaiting_changes.pk}/",
        AccessRequest.objects.filter(pk=awaiting_changes.pk).values(*ANSWERS).get(),
    )

    assert response.status_code == 409
    assert shown_on_top(
        response, "Nothing changed: edit the answers the reviewer asked about, then resubmit."
    )
    assert snapshot(awaiting_changes) == before


# --- Buttons (ObjectActionView) -----------------------------------------------------------------


def test_withdrawing_a_decided_application_redirects_with_the_refusal(client, live_app):
    rejected = factories.AccessRequestFactory(app=live_app, status=Status.REJECTED)
    before = snapshot(rejected)
    detail_url = f"/console/requests/{rejected.pk}/"

    response = client.post(f"{detail_url}withdraw/")

    assert (response.status_code, response["Location"]) == (302, detail_url)
    page = client.get(detail_url)
    assert (
        '<li class="message message-error">'
        "You cannot withdraw an application that is “Rejected”.</li>"
    ) in page.text
    assert snapshot(rejected) == before


def test_a_developer_revoking_an_invitation_is_redirected_with_the_refusal(client, member):
    invitation, _token = partner_services.invitation_create(
        partner=member.partner,
        email="new@example.com",
        role=Membership.Role.DEVELOPER,
        acting_user=member.user,
        assurance=Assurance.RECENT_SECOND_FACTOR,
    )
    audit_events = PartnerAuditEvent.objects.count()
    developer = factories.MembershipFactory(partner=member.partner, role=Membership.Role.DEVELOPER)
    client.force_login(developer.user)

    response = client.post(f"/console/team/invitations/{invitation.pk}/revoke/")

    assert (response.status_code, response["Location"]) == (302, "/console/team/")
    page = client.get("/console/team/")
    assert (
        '<li class="message message-error">Only an owner of the organisation can do this.</li>'
    ) in page.text
    invitation.refresh_from_db()
    assert invitation.revoked_at is None
    assert PartnerAuditEvent.objects.count() == audit_events
