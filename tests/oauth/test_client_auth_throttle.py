"""Failed client authentications are throttled by where they come from, never by client_id
alone: a guesser cannot lock the real app out, nor spray guesses over many client ids (ADR 0009).
Every failure against a real app is counted for its owner's app page."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest
from django.utils import timezone
from oauth2_provider.models import get_access_token_model, get_refresh_token_model

from apps_registry.models import ClientAuthFailure
from apps_registry.services.client_auth import client_auth_failure_record
from tests import factories
from tests.concurrency import race
from tests.oauth.flow import CLIENT_SECRET, basic_auth, issue_tokens

AccessToken = get_access_token_model()
RefreshToken = get_refresh_token_model()

pytestmark = pytest.mark.django_db

ATTACKER = "203.0.113.7"
APP_SERVER = "198.51.100.2"
NO_GRANT = {"grant_type": "refresh_token", "refresh_token": "nope"}


@pytest.fixture(autouse=True)
def _small_limits(settings):
    settings.OAUTH_CLIENT_AUTH_FAILURE_LIMIT = 3
    settings.OAUTH_CLIENT_AUTH_FAILURE_ADDRESS_LIMIT = 5


def request_data(path: str) -> dict[str, str]:
    return {"token": "nope"} if path == "/oauth/revoke/" else NO_GRANT


def guess(client, app, *, address=ATTACKER, path="/oauth/token/", **extra):
    wrong = basic_auth(app, "wrong-secret")
    return client.post(path, request_data(path), **wrong, REMOTE_ADDR=address, **extra)


def basic_for(client_id: str) -> dict[str, str]:
    """Basic credentials for a client_id nobody registered."""
    raw = base64.b64encode(f"{client_id}:wrong-secret".encode()).decode()
    return {"HTTP_AUTHORIZATION": f"Basic {raw}"}


def _token_rows():
    return list(AccessToken.objects.values_list("pk", flat=True)), list(
        RefreshToken.objects.values_list("pk", "revoked")
    )


def test_the_right_secret_works_from_another_address_while_the_guessers_is_throttled(
    client, app, seller, shop, settings
):
    tokens = issue_tokens(client, app, seller, [shop])
    for _ in range(3):
        assert guess(client, app).status_code == 401
    before = _token_rows()

    blocked = client.post(
        "/oauth/token/",
        {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        **basic_auth(app),
        REMOTE_ADDR=ATTACKER,
    )

    assert blocked.status_code == 429
    assert blocked.json() == {
        "error": "invalid_client",
        "error_description": "Too many failed client authentications from your address. "
        "Check the client credentials, then try again in 300 seconds.",
    }
    assert blocked["Retry-After"] == str(settings.OAUTH_CLIENT_AUTH_FAILURE_WINDOW_SECONDS)
    assert blocked["Cache-Control"] == "no-store"
    assert _token_rows() == before  # refused before DOT saw it: nothing rotated

    response = client.post(
        "/oauth/token/",
        {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        **basic_auth(app),
        REMOTE_ADDR=APP_SERVER,
    )

    assert response.status_code == 200
    assert response.json()["refresh_token"] != tokens["refresh_token"]


@pytest.mark.parametrize(("path", "accepted"), [("/oauth/token/", 400), ("/oauth/revoke/", 200)])
def test_throttling_one_address_leaves_the_client_usable_from_others(client, app, path, accepted):
    for _ in range(3):
        assert guess(client, app, path=path).status_code == 401

    data = request_data(path)
    from_attacker = client.post(path, data, **basic_auth(app), REMOTE_ADDR=ATTACKER)
    from_app_server = client.post(path, data, **basic_auth(app), REMOTE_ADDR=APP_SERVER)

    assert from_attacker.status_code == 429
    assert from_app_server.status_code == accepted  # authenticated; only the grant is bad


def test_one_address_is_throttled_across_many_client_ids(client, app):
    for attempt in range(5):
        response = client.post(
            "/oauth/token/", NO_GRANT, **basic_for(f"invented-{attempt}"), REMOTE_ADDR=ATTACKER
        )
        assert response.status_code == 401

    sixth = client.post("/oauth/token/", NO_GRANT, **basic_for("invented-5"), REMOTE_ADDR=ATTACKER)
    elsewhere = client.post(
        "/oauth/token/", NO_GRANT, **basic_for("invented-5"), REMOTE_ADDR=APP_SERVER
    )

    assert sixth.status_code == 429
    assert sixth["Retry-After"] == "300"
    assert elsewhere.status_code == 401
    assert not ClientAuthFailure.objects.exists()  # invented ids are nobody's to warn


def test_behind_a_proxy_the_address_is_the_one_allauth_sees(client, app, settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    proxy = {"REMOTE_ADDR": "10.0.0.1"}
    for forged in ("192.0.2.1", "192.0.2.2", "192.0.2.3"):
        # Whatever the caller writes in front, the proxy appends the address it saw.
        response = guess(
            client, app, address="10.0.0.1", HTTP_X_FORWARDED_FOR=f"{forged}, {ATTACKER}"
        )
        assert response.status_code == 401

    blocked = client.post(
        "/oauth/token/", NO_GRANT, **basic_auth(app), HTTP_X_FORWARDED_FOR=ATTACKER, **proxy
    )
    other = client.post(
        "/oauth/token/", NO_GRANT, **basic_auth(app), HTTP_X_FORWARDED_FOR=APP_SERVER, **proxy
    )

    assert blocked.status_code == 429
    assert other.status_code == 400
    assert list(ClientAuthFailure.objects.values_list("address", "count")) == [(ATTACKER, 3)]


def test_a_request_that_skipped_a_trusted_proxy_is_throttled_by_the_nearest_hop(
    client, app, settings
):
    # Two proxies are trusted but the X-Forwarded-For has one entry (the caller reached the inner
    # proxy directly): allauth raises ImproperlyConfigured, which was a 500 here.
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 2
    inner_proxy = "10.0.0.1"
    for _ in range(3):
        response = guess(client, app, address=inner_proxy, HTTP_X_FORWARDED_FOR=ATTACKER)
        assert response.status_code == 401

    blocked = guess(client, app, address=inner_proxy, HTTP_X_FORWARDED_FOR=APP_SERVER)

    assert blocked.status_code == 429
    assert list(ClientAuthFailure.objects.values_list("address", "count")) == [(inner_proxy, 3)]


def test_failures_against_a_real_app_are_counted_per_address_without_the_secret(client, app):
    for _ in range(3):
        guess(client, app)
    guess(client, app)  # throttled: not an authentication attempt, not counted
    guess(client, app, address=APP_SERVER)
    client.post(
        "/oauth/token/",
        {**NO_GRANT, "client_id": app.client_id, "client_secret": "wrong-secret"},
        REMOTE_ADDR=APP_SERVER,
    )

    rows = ClientAuthFailure.objects.filter(app=app).order_by("address")
    assert [(row.address, row.count) for row in rows] == [(APP_SERVER, 2), (ATTACKER, 3)]
    stored = [str(value) for row in rows.values() for value in row.values()]
    assert not any("wrong-secret" in value or CLIENT_SECRET in value for value in stored)


def test_hours_past_the_retention_are_pruned_when_a_new_hour_starts(app):
    long_ago = timezone.now().replace(minute=0, second=0, microsecond=0) - timedelta(days=3)
    ClientAuthFailure.objects.create(
        app=app, address=ATTACKER, hour=long_ago, count=9, last_seen_at=long_ago
    )
    recent = factories.PartnerAppFactory()

    client_auth_failure_record(client_ids={recent.client_id}, address=APP_SERVER)

    assert list(ClientAuthFailure.objects.values_list("app", "address", "count")) == [
        (recent.pk, APP_SERVER, 1)
    ]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_failures_share_one_row_and_lose_no_count(app):
    def fail_once():
        client_auth_failure_record(client_ids={app.client_id}, address=ATTACKER)

    race(*[fail_once] * 6)

    assert list(ClientAuthFailure.objects.values_list("address", "count")) == [(ATTACKER, 6)]
