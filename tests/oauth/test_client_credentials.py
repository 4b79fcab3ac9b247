"""A request authenticates one client, one way, in a form the throttle and DOT read alike
(RFC 6749 §2.3, §2.3.1; ADR 0009): otherwise a guess could escape the failure count."""

from __future__ import annotations

import base64

import pytest
from django.core.cache import cache
from oauth2_provider.models import get_access_token_model, get_refresh_token_model

from apps_registry.models import ClientAuthFailure
from console.views.oauth.client_auth import _failure_key
from tests import factories
from tests.oauth.flow import CLIENT_SECRET, app_with_scopes, issue_tokens

AccessToken = get_access_token_model()
RefreshToken = get_refresh_token_model()

pytestmark = pytest.mark.django_db

ATTACKER = "203.0.113.7"
TWO_METHODS = {
    "error": "invalid_request",
    "error_description": "The request carries client credentials both in the Authorization "
    "header and in the body. Authenticate one way only: HTTP Basic (preferred) or client_id "
    "and client_secret in the body.",
}
MALFORMED_BASIC = {
    "error": "invalid_request",
    "error_description": "The Authorization header is not valid Basic credentials. Send "
    "“Basic ” followed by the base64 of client_id:client_secret, each form-urlencoded.",
}


def _basic(text: str) -> str:
    return "Basic " + base64.b64encode(text.encode()).decode()


def _state(app):
    """Tokens, their revocation, and the failure counts: a refused request changes none."""
    return (
        sorted(AccessToken.objects.values_list("pk", flat=True)),
        sorted(RefreshToken.objects.values_list("pk", "revoked")),
        list(ClientAuthFailure.objects.values_list("app", "address", "count")),
        cache.get_many(
            [_failure_key("address", ATTACKER), _failure_key("client", app.client_id, ATTACKER)]
        ),
    )


@pytest.fixture
def attacker_request(client, product_scope, seller, shop):
    """Build an endpoint's request in the attacker's name: the attacker's own live app and a
    token of theirs, with their real client_id and client_secret in the body."""
    attacker = app_with_scopes(required=[product_scope], name="Attacker")
    tokens = issue_tokens(client, attacker, seller, [shop])
    client.logout()
    gateway = factories.PartnerAppFactory(partner=None, can_introspect=True, name="Gateway")
    bodies = {
        "/oauth/token/": (
            attacker,
            {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        ),
        "/oauth/revoke/": (attacker, {"token": tokens["access_token"]}),
        "/oauth/introspect/": (gateway, {"token": tokens["access_token"]}),
    }

    def build(path):
        own, body = bodies[path]
        return {**body, "client_id": own.client_id, "client_secret": CLIENT_SECRET}

    return build


@pytest.mark.parametrize("path", ["/oauth/token/", "/oauth/revoke/", "/oauth/introspect/"])
def test_basic_credentials_beside_body_credentials_are_refused_right_or_wrong(
    client, app, attacker_request, path
):
    # Basic carries the victim's client_id and a guess; the body the attacker's own valid
    # credentials. DOT would try Basic, fall back to the body when the guess is wrong (no 401,
    # nothing counted) and answer differently when it is right: an unthrottled oracle.
    before = _state(app)
    answers = [
        client.post(
            path,
            attacker_request(path),
            HTTP_AUTHORIZATION=_basic(f"{app.client_id}:{secret}"),
            REMOTE_ADDR=ATTACKER,
        )
        for secret in ("wrong-guess", CLIENT_SECRET)
    ]

    for response in answers:
        assert response.status_code == 400
        assert response.json() == TWO_METHODS
        assert response["Cache-Control"] == "no-store"
    assert _state(app) == before  # nothing issued, revoked or counted


@pytest.mark.parametrize("path", ["/oauth/token/", "/oauth/revoke/", "/oauth/introspect/"])
def test_basic_credentials_only_the_lenient_decoder_reads_are_refused(
    client, app, attacker_request, path
):
    # "!" is outside the base64 alphabet: DOT's decoder skips it and reads the victim's
    # client_id, so a guess sent this way must not escape the victim's failure count.
    encoded = base64.b64encode(f"{app.client_id}:{CLIENT_SECRET}".encode()).decode()
    body = {
        key: value
        for key, value in attacker_request(path).items()
        if key not in ("client_id", "client_secret")
    }
    before = _state(app)

    response = client.post(
        path, body, HTTP_AUTHORIZATION=f"Basic {encoded[:4]}!{encoded[4:]}", REMOTE_ADDR=ATTACKER
    )

    assert response.status_code == 400
    assert response.json() == MALFORMED_BASIC
    assert response["Cache-Control"] == "no-store"
    assert _state(app) == before


@pytest.mark.parametrize(
    "header",
    [
        _basic("no-colon-at-all"),  # DOT finds no secret and falls back to the body
        "Basic " + base64.b64encode(b"\xff:secret").decode(),  # not UTF-8
        "Basic " + base64.b64encode(b"id:secret").decode() + "\u00e9",  # not ASCII
        "Basic " + base64.b64encode(b"id:secre").decode().rstrip("="),  # no padding
    ],
    ids=["no-colon", "not-utf8", "not-ascii", "no-padding"],
)
def test_basic_credentials_that_are_not_an_id_and_a_secret_are_refused(client, app, header):
    response = client.post(
        "/oauth/token/",
        {"grant_type": "refresh_token", "refresh_token": "nope"},
        HTTP_AUTHORIZATION=header,
    )

    assert response.status_code == 400
    assert response.json() == MALFORMED_BASIC


@pytest.mark.parametrize(
    "header",
    [
        _basic("victim%00:secret"),
        _basic("victim:sec%00ret"),
        # Only the lenient decoder reads this one; on PostgreSQL its NUL would reach a query.
        "Basic "
        + base64.b64encode(b"victim%00:secret").decode()[:4]
        + "!"
        + base64.b64encode(b"victim%00:secret").decode()[4:],
    ],
)
def test_a_nul_in_basic_credentials_is_refused_before_the_database(client, app, header):
    response = client.post(
        "/oauth/token/",
        {"grant_type": "refresh_token", "refresh_token": "nope"},
        HTTP_AUTHORIZATION=header,
    )

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
    assert not ClientAuthFailure.objects.exists()


def test_strict_basic_credentials_still_authenticate(client, app):
    response = client.post(
        "/oauth/token/",
        {"grant_type": "refresh_token", "refresh_token": "nope"},
        HTTP_AUTHORIZATION=_basic(f"{app.client_id}:{CLIENT_SECRET}"),
    )

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"  # authenticated; only the grant is bad
