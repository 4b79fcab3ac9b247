"""Staff reach the reviewers' workspace only with TOTP enrolled and used in this session."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils.http import urlencode

from apps_registry.allauth_internals import totp_activate
from tests import factories
from tests.apps_registry.review_helpers import make_reviewer
from tests.conftest import sign_in_with_mfa

pytestmark = pytest.mark.django_db

QUEUE_URL = reverse("admin:apps_registry_accessrequest_changelist")
NEXT = urlencode({"next": QUEUE_URL})


def test_staff_without_totp_is_sent_to_enroll(client):
    client.force_login(make_reviewer())

    response = client.get(QUEUE_URL)

    assert response.status_code == 302
    assert response.url == f"{reverse('mfa_activate_totp')}?{NEXT}"


def test_staff_with_totp_who_signed_in_without_it_must_use_it(client):
    reviewer = make_reviewer()
    totp_activate(reviewer)
    client.force_login(reviewer)  # e.g. a session from before TOTP was enrolled

    response = client.get(QUEUE_URL)

    assert response.status_code == 302
    assert response.url == f"{reverse('mfa_reauthenticate')}?{NEXT}"


def test_staff_who_used_totp_this_session_sees_the_queue(client):
    sign_in_with_mfa(client, make_reviewer())

    response = client.get(QUEUE_URL)

    assert response.status_code == 200
    assert "Partner Console review" in response.content.decode()


def test_mfa_records_of_another_user_do_not_count(client):
    first, second = make_reviewer(), make_reviewer()
    sign_in_with_mfa(client, first)
    totp_activate(second)
    session = client.session
    records = session["account_authentication_methods"]
    client.force_login(second)
    session = client.session
    session["account_authentication_methods"] = records
    session["account_authentication_methods_user"] = str(first.pk)
    session.save()

    assert client.get(QUEUE_URL).url == f"{reverse('mfa_reauthenticate')}?{NEXT}"


def test_admin_logout_and_non_admin_pages_are_not_guarded(client):
    client.force_login(make_reviewer())

    assert client.get(reverse("home")).status_code == 200
    assert client.post(reverse("admin:logout")).status_code == 200


def test_admin_login_goes_through_allauth(client):
    response = client.get(reverse("admin:login"), {"next": QUEUE_URL})

    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_signed_in_non_staff_get_403_from_the_admin_login(client):
    client.force_login(factories.UserFactory())

    assert client.get(reverse("admin:login")).status_code == 403
