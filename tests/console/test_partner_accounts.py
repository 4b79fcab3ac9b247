"""Accounts through allauth: verification is mandatory, login is rate limited, the pages use the
site's layout, and invitees who followed their link skip the verification e-mail."""

from __future__ import annotations

import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.core.cache import cache

from apps_registry.models import Membership
from apps_registry.services.partners import invitation_create
from apps_registry.services.secret_access import Assurance
from tests import factories

pytestmark = pytest.mark.django_db

PASSWORD = "a-Long-and-unusual-passphrase-42"


@pytest.fixture(autouse=True)
def _empty_rate_limit_cache():
    """allauth keeps its rate-limit counters in the cache (local memory in tests)."""
    cache.clear()
    yield
    cache.clear()


def sign_up(client, email="new.partner@example.com", **extra):
    return client.post(
        "/accounts/signup/",
        {"email": email, "password1": PASSWORD, "password2": PASSWORD},
        **extra,
    )


def test_sign_up_requires_verifying_the_email_before_signing_in(client):
    response = sign_up(client)

    assert response.status_code == 302
    assert response["Location"] == "/accounts/confirm-email/"
    assert not EmailAddress.objects.get(email="new.partner@example.com").verified
    assert client.get("/console/").status_code == 302  # not signed in yet
    login = client.post(
        "/accounts/login/", {"login": "new.partner@example.com", "password": PASSWORD}
    )
    assert login["Location"] == "/accounts/confirm-email/"

    link = re.search(r"http://testserver(/accounts/confirm-email/\S+/)", mail.outbox[-1].body)[1]
    client.post(link)

    assert EmailAddress.objects.get(email="new.partner@example.com").verified
    assert "Create your organisation" in client.get("/console/").text


def failed_login(client, email="target@example.com"):
    return client.post("/accounts/login/", {"login": email, "password": "wrong"})


def test_an_account_is_locked_after_five_failed_logins_even_for_the_right_password(client):
    user = factories.UserFactory(email="target@example.com")
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    for _ in range(5):
        assert "Too many failed login attempts" not in failed_login(client).text

    # login_failed: 5 per 5 minutes per account from one address (and 10/min per IP); other
    # addresses are locked only at the per-account ceiling (test_login_lockout.py).
    right = client.post(
        "/accounts/login/", {"login": "target@example.com", "password": factories.PASSWORD}
    )

    assert "Too many failed login attempts. Try again later." in right.text
    assert "_auth_user_id" not in client.session


def test_login_attempts_from_one_address_get_a_429(client):
    # allauth's default "login" limit: 30 attempts per minute per IP address, whatever the account.
    statuses = [failed_login(client, f"user{n}@example.com").status_code for n in range(31)]

    assert statuses[:30] == [200] * 30
    assert statuses[30] == 429


def test_partner_members_land_on_their_console_after_signing_in(client):
    membership = factories.MembershipFactory()
    EmailAddress.objects.create(
        user=membership.user, email=membership.user.email, verified=True, primary=True
    )

    response = client.post(
        "/accounts/login/", {"login": membership.user.email, "password": factories.PASSWORD}
    )

    assert response["Location"] == "/console/"


def test_an_invitee_who_followed_the_link_signs_up_without_a_verification_email(client):
    owner = factories.MembershipFactory(role=Membership.Role.OWNER)
    _, token = invitation_create(
        partner=owner.partner,
        email="dev@example.com",
        role="developer",
        acting_user=owner.user,
        assurance=Assurance.RECENT_SECOND_FACTOR,
    )
    link = f"/console/invitations/{token}/"
    client.get(link)

    response = sign_up(client, email="dev@example.com", QUERY_STRING=f"next={link}")

    assert response["Location"] == link
    assert EmailAddress.objects.get(email="dev@example.com").verified
    assert mail.outbox == []
    client.post(link)
    assert Membership.objects.get(user__email="dev@example.com").partner == owner.partner


@pytest.mark.parametrize(
    "path", ["/accounts/login/", "/accounts/signup/", "/accounts/password/reset/"]
)
def test_entrance_pages_use_the_site_layout(client, path):
    response = client.get(path)

    assert response.status_code == 200
    assert '<main id="main" class="container auth-card"' in response.text
    assert 'class="brand"' in response.text
    assert 'class="field' in response.text


@pytest.mark.parametrize(
    ("path", "text"),
    [
        ("/accounts/reauthenticate/", "Confirm access"),
        ("/accounts/email/", "Email addresses"),
        ("/accounts/password/change/", "Change password"),
        ("/accounts/2fa/", "Two-factor authentication"),
    ],
)
def test_account_pages_use_the_site_layout(client, path, text):
    user = factories.UserFactory()
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    client.force_login(user)

    response = client.get(path)

    assert response.status_code == 200
    assert text in response.text
    assert 'class="brand"' in response.text
    assert "style=" not in response.text.replace('style="display: none"', "")
