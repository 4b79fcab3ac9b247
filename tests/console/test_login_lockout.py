"""Failed logins lock an account per (account, address), up to a higher per-account ceiling: a
stranger failing on purpose must not lock the real user out from where they sign in (ADR 0009)."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from django.test import Client

from tests import factories

pytestmark = pytest.mark.django_db

EMAIL = "target@example.com"
LOCKED = "Too many failed login attempts. Try again later."
ATTACKER = "203.0.113.7"
OWNER = "198.51.100.2"


@pytest.fixture
def account():
    user = factories.UserFactory(email=EMAIL)
    EmailAddress.objects.create(user=user, email=EMAIL, verified=True, primary=True)
    return user


def log_in(client, *, address: str, password: str = factories.PASSWORD):
    return client.post(
        "/accounts/login/", {"login": EMAIL, "password": password}, REMOTE_ADDR=address
    )


def test_failures_from_one_address_lock_that_address_only(account):
    attacker, owner = Client(), Client()
    for _ in range(5):
        assert LOCKED not in log_in(attacker, address=ATTACKER, password="wrong").text

    refused = log_in(attacker, address=ATTACKER)  # even the right password, from there
    accepted = log_in(owner, address=OWNER)

    assert LOCKED in refused.text
    assert "_auth_user_id" not in attacker.session
    assert accepted.status_code == 302
    assert owner.session["_auth_user_id"] == str(account.pk)


def test_the_account_locks_for_everyone_at_the_per_account_ceiling(account, settings):
    settings.ACCOUNT_RATE_LIMITS = {
        "login_failed": "10/m/ip,2/5m/key",
        "login_failed_account": "6/5m/key",
    }
    for address in ("192.0.2.1", "192.0.2.2", "192.0.2.3"):
        for _ in range(2):
            assert LOCKED not in log_in(Client(), address=address, password="wrong").text
    owner = Client()

    refused = log_in(owner, address=OWNER)

    assert LOCKED in refused.text
    assert "_auth_user_id" not in owner.session


def test_successful_logins_do_not_count_towards_the_ceiling(account, settings):
    settings.ACCOUNT_RATE_LIMITS = {
        "login_failed": "10/m/ip,5/5m/key",
        "login_failed_account": "2/5m/key",
    }
    for address in ("192.0.2.1", "192.0.2.2", "192.0.2.3"):
        session = Client()
        assert log_in(session, address=address).status_code == 302
        assert session.session["_auth_user_id"] == str(account.pk)


def test_a_login_that_skipped_a_trusted_proxy_is_limited_by_the_nearest_hop(account, settings):
    # Fewer X-Forwarded-For entries than trusted proxies made allauth raise (a 500); the one
    # address nobody can write is the nearest hop's, so failures count against it.
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 2
    for forged in ("192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4", "192.0.2.5"):
        response = Client().post(
            "/accounts/login/",
            {"login": EMAIL, "password": "wrong"},
            REMOTE_ADDR="10.0.0.1",
            HTTP_X_FORWARDED_FOR=forged,
        )
        assert response.status_code == 200
        assert LOCKED not in response.text

    refused = Client().post(
        "/accounts/login/",
        {"login": EMAIL, "password": factories.PASSWORD},
        REMOTE_ADDR="10.0.0.1",
        HTTP_X_FORWARDED_FOR=OWNER,
    )

    assert LOCKED in refused.text
