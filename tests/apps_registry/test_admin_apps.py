"""Staff pages for partners, apps and sellers; the create_reviewer command."""

from __future__ import annotations

import json
import time
from io import StringIO

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value, validate_totp_code
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from oauth2_provider.models import AccessToken

from apps_registry.models import AccessRequest, Partner, PartnerApp
from apps_registry.services.review_rules import is_reviewer
from scopes.services.scope_edits import is_catalog_manager
from tests import factories
from tests.apps_registry.review_helpers import make_access_token, make_request, make_reviewer
from tests.conftest import sign_in_with_mfa

pytestmark = pytest.mark.django_db

Status = AccessRequest.Status


def app_url(app, view="change") -> str:
    return reverse(f"admin:apps_registry_partnerapp_{view}", args=[app.pk])


def test_app_page_shows_credentials_read_only_and_never_the_secret(client, superuser):
    app = factories.PartnerAppFactory(secret_hint="6789")

    page = client.get(app_url(app)).content.decode()

    assert app.client_id in page
    assert "6789" in page
    assert app.client_secret not in page  # the stored hash
    assert "test-client-secret" not in page
    for field in ("client_type", "authorization_grant_type", "skip_authorization", "redirect_uris"):
        assert f'name="{field}"' not in page
    tampered = client.post(app_url(app), {"skip_authorization": "on", "client_type": "public"})
    assert tampered.status_code == 403
    app.refresh_from_db()
    assert (app.skip_authorization, app.client_type) == (False, PartnerApp.CLIENT_CONFIDENTIAL)


def test_the_app_page_runs_a_constant_number_of_queries(client, admin_user):
    sign_in_with_mfa(client, admin_user)
    app = factories.PartnerAppFactory()
    url = reverse("admin:apps_registry_partnerapp_change", args=[app.pk])
    make_request(app=app, scope=factories.CustomScopeFactory())
    factories.AppScopeFactory(app=app, scope=factories.ScopeFactory())
    client.get(url)  # the first page of a session also refreshes the session
    with CaptureQueriesContext(connection) as one_each:
        assert client.get(url).status_code == 200

    for _ in range(5):
        make_request(app=app, scope=factories.CustomScopeFactory(), status=Status.REJECTED)
        factories.AppScopeFactory(app=app, scope=factories.ScopeFactory())
    with CaptureQueriesContext(connection) as six_each:
        assert client.get(url).status_code == 200

    assert len(six_each.captured_queries) == len(one_each.captured_queries)


def test_suspending_an_app_needs_a_reason_and_revokes_its_tokens(client, superuser):
    app = factories.PartnerAppFactory()
    seller = factories.UserFactory()
    make_access_token(app=app, user=seller, scope="a b", raw="raw-token-1")

    refused = client.post(app_url(app, "suspend"), {"reason": " "})
    assert refused.status_code == 400
    app.refresh_from_db()
    assert app.status == PartnerApp.Status.LIVE
    assert AccessToken.objects.filter(application=app).count() == 1

    response = client.post(app_url(app, "suspend"), {"reason": "Phishing reports."})

    assert response.status_code == 302
    app.refresh_from_db()
    assert app.status == PartnerApp.Status.SUSPENDED
    assert AccessToken.objects.filter(application=app).count() == 0

    client.post(app_url(app, "unsuspend"))
    app.refresh_from_db()
    assert app.status == PartnerApp.Status.DRAFT
    assert AccessToken.objects.filter(application=app).count() == 0  # nothing comes back


def test_reviewers_cannot_suspend_apps(client):
    sign_in_with_mfa(client, make_reviewer())
    app = factories.PartnerAppFactory()

    assert client.post(app_url(app, "suspend"), {"reason": "x"}).status_code == 403
    app.refresh_from_db()
    assert app.status == PartnerApp.Status.LIVE


def test_verify_partner_action(client, superuser):
    partner = factories.PartnerFactory()

    client.post(
        reverse("admin:apps_registry_partner_changelist"),
        {"action": "verify", "_selected_action": [partner.pk]},
    )

    assert Partner.objects.get(pk=partner.pk).is_verified is True


@pytest.mark.parametrize(
    "model", ["partner", "partnerapp", "shop", "shopauthorization", "reviewevent", "accessrequest"]
)
def test_reviewers_can_read_every_page_they_need(client, model):
    sign_in_with_mfa(client, make_reviewer())
    factories.ShopAuthorizationFactory()

    assert client.get(reverse(f"admin:apps_registry_{model}_changelist")).status_code == 200


def test_create_reviewer_makes_a_staff_reviewer_with_verified_email_and_totp():
    out = StringIO()

    call_command(
        "create_reviewer", email="Rita@Example.com", password="s3cret-pass-word", stdout=out
    )

    created = json.loads(out.getvalue())
    assert set(created) == {"id", "email", "totp_secret"}
    assert created["email"] == "rita@example.com"
    user = factories.UserFactory._meta.model.objects.get(pk=created["id"])
    assert user.is_staff
    assert not user.is_superuser
    assert user.check_password("s3cret-pass-word")
    assert is_reviewer(user)
    assert EmailAddress.objects.filter(user=user, email="rita@example.com", verified=True).exists()
    assert Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).count() == 1
    code = format_hotp_value(hotp_value(created["totp_secret"], int(time.time()) // 30))
    assert validate_totp_code(created["totp_secret"], code)

    with pytest.raises(CommandError, match="already exists"):
        call_command("create_reviewer", email="rita@example.com", stdout=StringIO())


def test_create_reviewer_generates_a_password_when_none_is_given():
    out = StringIO()

    call_command("create_reviewer", email="sam@example.com", stdout=out)

    created = json.loads(out.getvalue())
    user = factories.UserFactory._meta.model.objects.get(pk=created["id"])
    assert user.check_password(created["password"])


def test_create_catalog_manager_makes_a_staff_catalog_manager_with_totp_who_is_no_reviewer():
    out = StringIO()

    call_command(
        "create_catalog_manager", email="Cat@Example.com", password="s3cret-pass-word", stdout=out
    )

    created = json.loads(out.getvalue())
    assert set(created) == {"id", "email", "totp_secret"}
    user = factories.UserFactory._meta.model.objects.get(pk=created["id"])
    assert (user.email, user.is_staff, user.is_superuser) == ("cat@example.com", True, False)
    assert is_catalog_manager(user)
    assert not is_reviewer(user)
    assert EmailAddress.objects.filter(user=user, email="cat@example.com", verified=True).exists()
    code = format_hotp_value(hotp_value(created["totp_secret"], int(time.time()) // 30))
    assert validate_totp_code(created["totp_secret"], code)
    with pytest.raises(CommandError, match="already exists"):
        call_command("create_catalog_manager", email="cat@example.com", stdout=StringIO())


def test_reviewers_are_not_catalog_managers():
    assert not is_catalog_manager(make_reviewer())
