"""Owners see a client secret (a new app's, a rotated one), or invite someone who then could, only
after a recent second factor (ADR 0018): the services refuse otherwise and change nothing; the
console sends an owner without TOTP to set it up and one whose session did not use it lately to
enter a code, then replays the rotation or the invitation; the API answers 403 with a stable code.
Developers keep what they had."""

from __future__ import annotations

import re
import time

import pytest
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.contrib.auth.hashers import check_password
from django.urls import reverse
from django.utils.http import urlencode
from rest_framework.test import APIClient

from apps_registry.allauth_internals import totp_activate
from apps_registry.error_codes import AppErrorCode
from apps_registry.models import Invitation, Membership, PartnerApp, PartnerAuditEvent
from apps_registry.services import apps as app_services
from apps_registry.services import partners as partner_services
from apps_registry.services.secret_access import Assurance
from core.errors import PermissionRefusedError
from tests import factories
from tests.conftest import sign_in_with_mfa

pytestmark = pytest.mark.django_db

NEW_APP = {
    "name": "Helpdesk Sync",
    "category": "other",
    "redirect_uris": "https://app.example.com/callback",
}


@pytest.fixture
def owner_membership():
    return factories.MembershipFactory(role=Membership.Role.OWNER)


@pytest.fixture
def app(owner_membership):
    return factories.PartnerAppFactory(partner=owner_membership.partner)


def secret_state(app):
    app = PartnerApp.objects.get(pk=app.pk)
    return (app.client_secret, app.secret_hint, app.secret_rotated_at)


def create(membership, assurance):
    return app_services.app_create(
        partner=membership.partner,
        acting_user=membership.user,
        name="Helpdesk Sync",
        redirect_uris=["https://app.example.com/callback"],
        assurance=assurance,
    )


# --- services -----------------------------------------------------------------------------------


def test_an_owner_without_totp_cannot_create_an_app_and_nothing_is_created(owner_membership):
    with pytest.raises(PermissionRefusedError) as refused:
        create(owner_membership, Assurance.PASSWORD)

    assert refused.value.code == AppErrorCode.SECOND_FACTOR_NOT_SET_UP
    assert refused.value.status == 403
    assert PartnerApp.objects.count() == 0
    assert PartnerAuditEvent.objects.count() == 0


def test_an_owner_without_a_recent_code_cannot_rotate_and_the_secret_is_unchanged(
    owner_membership, app
):
    totp_activate(owner_membership.user)
    before = secret_state(app)

    with pytest.raises(PermissionRefusedError) as refused:
        app_services.app_rotate_secret(
            app_id=app.pk, acting_user=owner_membership.user, assurance=Assurance.PASSWORD
        )

    assert refused.value.code == AppErrorCode.SECOND_FACTOR_NOT_RECENT
    assert secret_state(app) == before
    assert PartnerAuditEvent.objects.count() == 0


def test_an_owner_without_totp_cannot_rotate_either(owner_membership, app):
    before = secret_state(app)

    with pytest.raises(PermissionRefusedError) as refused:
        app_services.app_rotate_secret(app_id=app.pk, acting_user=owner_membership.user)

    assert refused.value.code == AppErrorCode.SECOND_FACTOR_NOT_SET_UP
    assert secret_state(app) == before


def test_an_owner_with_a_recent_code_creates_and_rotates(owner_membership):
    totp_activate(owner_membership.user)

    app, raw_secret = create(owner_membership, Assurance.RECENT_SECOND_FACTOR)
    _, rotated_secret = app_services.app_rotate_secret(
        app_id=app.pk,
        acting_user=owner_membership.user,
        assurance=Assurance.RECENT_SECOND_FACTOR,
    )

    assert check_password(rotated_secret, PartnerApp.objects.get(pk=app.pk).client_secret)
    assert rotated_secret != raw_secret


def test_a_developer_keeps_creating_and_rotating_with_the_password_alone(app):
    developer = factories.MembershipFactory(partner=app.partner, role=Membership.Role.DEVELOPER)

    _, raw_secret = app_services.app_rotate_secret(app_id=app.pk, acting_user=developer.user)
    created, _ = create(developer, Assurance.PASSWORD)

    assert check_password(raw_secret, PartnerApp.objects.get(pk=app.pk).client_secret)
    assert created.partner == app.partner


def test_an_operator_command_acts_for_an_owner_without_totp(owner_membership):
    app, raw_secret = create(owner_membership, Assurance.SERVER_OPERATOR)

    assert check_password(raw_secret, app.client_secret)


def invite(membership, assurance, role=Membership.Role.DEVELOPER):
    return partner_services.invitation_create(
        partner=membership.partner,
        email="mallory@example.com",
        role=role,
        acting_user=membership.user,
        assurance=assurance,
    )


@pytest.mark.parametrize("role", Membership.Role.values)
@pytest.mark.parametrize(
    ("has_totp", "code"),
    [
        (False, AppErrorCode.SECOND_FACTOR_NOT_SET_UP),
        (True, AppErrorCode.SECOND_FACTOR_NOT_RECENT),
    ],
)
def test_an_owner_without_a_recent_code_cannot_invite_anyone_and_nothing_is_sent(
    owner_membership, has_totp, code, role, django_capture_on_commit_callbacks, mailoutbox
):
    """A member can rotate a secret; so inviting one is as sensitive as seeing one: a stolen
    password alone must not let an attacker invite a mailbox of theirs and rotate from there."""
    if has_totp:
        totp_activate(owner_membership.user)

    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(PermissionRefusedError) as refused,
    ):
        invite(owner_membership, Assurance.PASSWORD, role=role)

    assert refused.value.code == code
    assert refused.value.status == 403
    assert "invite" in refused.value.message
    assert Invitation.objects.count() == 0
    assert PartnerAuditEvent.objects.count() == 0
    assert mailoutbox == []


def test_an_owner_with_a_recent_code_invites(
    owner_membership, mailoutbox, django_capture_on_commit_callbacks
):
    totp_activate(owner_membership.user)

    with django_capture_on_commit_callbacks(execute=True):
        invite(owner_membership, Assurance.RECENT_SECOND_FACTOR)

    assert list(Invitation.objects.values_list("email", "role")) == [
        ("mallory@example.com", Membership.Role.DEVELOPER)
    ]
    assert [message.to for message in mailoutbox] == [["mallory@example.com"]]


# --- console pages ------------------------------------------------------------------------------


def test_an_owner_without_totp_is_sent_to_set_it_up_before_the_create_form(
    client, owner_membership
):
    client.force_login(owner_membership.user)

    shown = client.get(reverse("partner:app-create"))
    posted = client.post(reverse("partner:app-create"), NEW_APP, follow=True)

    expected = f"{reverse('mfa_activate_totp')}?{urlencode({'next': '/console/apps/new/'})}"
    assert shown.status_code == 302
    assert shown.url == expected
    assert posted.redirect_chain[0] == (expected, 302)
    assert "Owners must use two-factor authentication to see client secrets" in posted.text
    assert PartnerApp.objects.count() == 0
    account_page = client.get(reverse("mfa_index")).text
    assert '<a href="/console/apps/new/">go back to where you were</a>' in account_page


def test_the_way_back_is_forgotten_once_the_owner_gets_there(client, owner_membership):
    client.force_login(owner_membership.user)
    client.get(reverse("partner:app-create"))
    sign_in_with_mfa(client, owner_membership.user)

    assert client.get(reverse("partner:app-create")).status_code == 200
    assert "go back to where you were" not in client.get(reverse("mfa_index")).text


def test_an_owner_without_totp_who_rotates_is_sent_to_set_it_up_and_nothing_changes(
    client, owner_membership, app
):
    client.force_login(owner_membership.user)
    before = secret_state(app)

    response = client.post(reverse("partner:app-rotate-secret", args=[app.pk]))

    next_page = urlencode({"next": f"/console/apps/{app.pk}/"})
    assert response.status_code == 302
    assert response.url == f"{reverse('mfa_activate_totp')}?{next_page}"
    assert secret_state(app) == before


def test_an_owner_whose_session_did_not_use_totp_enters_a_code_and_the_rotation_resumes(
    client, owner_membership, app
):
    secret = totp_activate(owner_membership.user)
    client.force_login(owner_membership.user)  # e.g. a session from before TOTP was set up
    before = secret_state(app)
    rotate_url = reverse("partner:app-rotate-secret", args=[app.pk])

    asked = client.post(rotate_url)

    assert asked.url == f"{reverse('mfa_reauthenticate')}?{urlencode({'next': rotate_url})}"
    assert secret_state(app) == before
    code = format_hotp_value(hotp_value(secret, int(time.time()) // 30))
    resumed = client.post(asked.url, {"code": code}, follow=True)
    app.refresh_from_db()
    shown = re.search(r'data-testid="client-secret">([^<]+)<', resumed.text).group(1)
    assert check_password(shown, app.client_secret)
    assert resumed.redirect_chain[-1][0] == f"/console/apps/{app.pk}/"


def test_a_code_entered_longer_ago_than_the_reauthentication_timeout_is_not_enough(
    client, owner_membership, app, settings
):
    sign_in_with_mfa(
        client,
        owner_membership.user,
        authenticated_at=time.time() - settings.ACCOUNT_REAUTHENTICATION_TIMEOUT - 1,
    )
    before = secret_state(app)

    response = client.post(reverse("partner:app-rotate-secret", args=[app.pk]))

    assert response.url.startswith(reverse("mfa_reauthenticate"))
    assert secret_state(app) == before


def test_a_developer_without_totp_is_asked_only_for_the_password(client, app):
    developer = factories.MembershipFactory(partner=app.partner, role=Membership.Role.DEVELOPER)
    client.force_login(developer.user)

    response = client.post(reverse("partner:app-rotate-secret", args=[app.pk]))
    form = client.get(reverse("partner:app-create"))

    assert response.url.startswith(reverse("account_reauthenticate"))
    assert form.status_code == 200


def test_an_owner_without_totp_sees_the_team_but_is_sent_to_set_it_up_to_invite(
    client, owner_membership
):
    client.force_login(owner_membership.user)

    page = client.get(reverse("partner:team"))
    posted = client.post(
        reverse("partner:team"), {"email": "mallory@example.com", "role": "developer"}
    )

    assert page.status_code == 200
    assert posted.status_code == 302
    assert posted.url == f"{reverse('mfa_activate_totp')}?{urlencode({'next': '/console/team/'})}"
    assert Invitation.objects.count() == 0


def test_an_owner_whose_session_did_not_use_totp_enters_a_code_and_the_invitation_is_sent(
    client, owner_membership, mailoutbox, django_capture_on_commit_callbacks
):
    secret = totp_activate(owner_membership.user)
    client.force_login(owner_membership.user)  # a password-only (or stolen) session
    team_url = reverse("partner:team")

    asked = client.post(team_url, {"email": "colleague@example.com", "role": "developer"})

    assert asked.url == f"{reverse('mfa_reauthenticate')}?{urlencode({'next': team_url})}"
    assert Invitation.objects.count() == 0
    code = format_hotp_value(hotp_value(secret, int(time.time()) // 30))
    with django_capture_on_commit_callbacks(execute=True):
        resumed = client.post(asked.url, {"code": code}, follow=True)
    assert resumed.redirect_chain[-1][0] == team_url
    assert "Invitation sent to colleague@example.com." in resumed.text
    assert list(Invitation.objects.values_list("email", flat=True)) == ["colleague@example.com"]
    assert [message.to for message in mailoutbox] == [["colleague@example.com"]]


# --- partner API --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("has_totp", "code"),
    [
        (False, AppErrorCode.SECOND_FACTOR_NOT_SET_UP),
        (True, AppErrorCode.SECOND_FACTOR_NOT_RECENT),
    ],
)
def test_the_api_refuses_an_owner_without_a_recent_code_and_creates_nothing(
    owner_membership, has_totp, code
):
    if has_totp:
        totp_activate(owner_membership.user)
    api = APIClient()
    api.force_login(owner_membership.user)

    response = api.post(
        "/api/v1/apps/",
        {"name": "Helpdesk Sync", "redirect_uris": ["https://app.example.com/callback"]},
        format="json",
    )

    assert response.status_code == 403
    assert response.json()["code"] == code
    assert PartnerApp.objects.count() == 0
