"""Defects found in the security review of the authorization server (docs/security.md A–F, I3)."""

from __future__ import annotations

import base64
import threading

import pytest
from django.db import connection
from django.test import Client
from oauth2_provider.models import get_access_token_model, get_grant_model, get_refresh_token_model

from apps_registry.models import RedeemedAuthorizationCode, ShopAuthorization
from tests import factories
from tests.oauth.flow import (
    CLIENT_SECRET,
    Flow,
    authorize,
    consent_post_data,
    exchange,
    issue_tokens,
    query_of,
)

AccessToken = get_access_token_model()
RefreshToken = get_refresh_token_model()
Grant = get_grant_model()


def _live_token_count():
    return AccessToken.objects.count(), RefreshToken.objects.filter(revoked__isnull=True).count()


@pytest.mark.django_db
def test_failed_body_authentication_is_throttled_even_behind_a_junk_basic_header(
    client, app, settings
):
    # DOT falls back to the body client_id when Basic fails, so a fresh junk Basic client_id
    # on every guess must not give the guesser a fresh failure budget. (A body client_secret
    # beside Basic is refused outright: test_client_credentials.py.)
    settings.OAUTH_CLIENT_AUTH_FAILURE_LIMIT = 3
    guess = {"grant_type": "refresh_token", "refresh_token": "nope", "client_id": app.client_id}
    for attempt in range(3):
        junk = base64.b64encode(f"junk-{attempt}:x".encode()).decode()
        response = client.post("/oauth/token/", guess, HTTP_AUTHORIZATION=f"Basic {junk}")
        assert response.status_code == 401

    blocked = client.post("/oauth/token/", {**guess, "client_secret": CLIENT_SECRET})

    assert blocked.status_code == 429
    assert blocked.json()["error"] == "invalid_client"


@pytest.mark.django_db
def test_introspection_refuses_client_credentials_in_the_query_string(client, app, seller, shop):
    tokens = issue_tokens(client, app, seller, [shop])
    gateway = factories.PartnerAppFactory(partner=None, can_introspect=True, name="Gateway")

    response = client.post(
        f"/oauth/introspect/?client_id={gateway.client_id}&client_secret={CLIENT_SECRET}",
        {"token": tokens["access_token"]},
    )

    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_request",
        "error_description": "URL query parameters are not allowed; send the client credentials "
        "and the token in the POST body.",
    }
    assert response["Cache-Control"] == "no-store"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "revoke_path", ["/seller/apps/{app}/revoke/", "/seller/apps/{app}/shops/{shop}/revoke/"]
)
def test_a_code_issued_before_the_seller_disconnected_the_app_cannot_be_redeemed(
    client, app, seller, shop, revoke_path
):
    client.force_login(seller)
    flow = Flow.start(app)
    code = authorize(client, flow, shops=[shop])
    disconnected = client.post(revoke_path.format(app=app.pk, shop=shop.pk))
    assert disconnected.status_code == 302
    assert not ShopAuthorization.objects.filter(revoked_at__isnull=True).exists()

    response = exchange(client, flow, code)

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"
    assert _live_token_count() == (0, 0)


@pytest.mark.django_db
def test_a_code_issued_before_the_seller_withdrew_a_scope_does_not_carry_it(
    client, app, seller, shop
):
    client.force_login(seller)
    flow = Flow.start(app)
    code = authorize(client, flow, shops=[shop])
    withdrawn = client.post(f"/seller/apps/{app.pk}/scopes/seller.order.info/revoke/")
    assert withdrawn.status_code == 302

    response = exchange(client, flow, code)

    assert response.status_code == 200
    assert response.json()["scope"] == "seller.product.basic"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "code_challenge",
    ["A" * 129, "A" * 42, "A" * 42 + "!"],
    ids=["too-long", "too-short", "bad-character"],
)
def test_malformed_code_challenge_is_refused_before_the_consent_page(
    client, app, seller, shop, code_challenge
):
    # Grant.code_challenge is 128 characters: a longer one was a 500 on PostgreSQL at consent.
    client.force_login(seller)

    response = client.get(Flow.start(app).authorize_url(code_challenge=code_challenge))

    assert response.status_code == 302
    query = query_of(response["Location"])
    assert query["error"] == "invalid_request"
    assert "code_challenge" in query["error_description"]
    assert Grant.objects.count() == 0


@pytest.mark.django_db
def test_authorize_responses_send_no_referrer_to_other_sites(client, app, seller, shop):
    # "same-origin", not "no-referrer": see SECURE_REFERRER_POLICY (the consent POST's Origin).
    client.force_login(seller)
    page = client.get(Flow.start(app).authorize_url())
    error_page = client.get("/oauth/authorize/?client_id=unknown")
    posted = client.post("/oauth/authorize/", consent_post_data(page, shops=[shop]))

    assert page.status_code == 200
    assert error_page.status_code == 400
    assert posted.status_code == 302
    for response in (page, error_page, posted):
        assert response["Referrer-Policy"] == "same-origin"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_redemptions_of_one_code_are_a_replay_and_both_lose(app, seller, shop):
    browser = Client()
    browser.force_login(seller)
    flow = Flow.start(app)
    code = authorize(browser, flow, shops=[shop])
    start = threading.Barrier(2)
    responses = []

    def redeem_once():
        try:
            start.wait(timeout=10)
            responses.append(exchange(Client(), flow, code))
        finally:
            connection.close()

    threads = [threading.Thread(target=redeem_once) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(response.status_code for response in responses) == [200, 400]
    loser = next(response for response in responses if response.status_code == 400)
    assert loser.json()["error"] == "invalid_grant"
    assert _live_token_count() == (0, 0)
    assert RedeemedAuthorizationCode.objects.count() == 1
