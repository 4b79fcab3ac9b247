"""Token endpoint, refresh, revocation, introspection and metadata (docs/security.md B–F)."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from oauth2_provider.models import (
    get_access_token_model,
    get_grant_model,
    get_refresh_token_model,
)
from oauth2_provider.signals import app_authorized

from apps_registry.models import (
    AccessRequest,
    PartnerApp,
    RedeemedAuthorizationCode,
    ShopAuthorization,
)
from tests import factories
from tests.concurrency import race
from tests.factories import PASSWORD
from tests.oauth.flow import (
    CLIENT_SECRET,
    Flow,
    app_with_scopes,
    authorize,
    basic_auth,
    exchange,
    issue_tokens,
    pkce_pair,
    refresh,
)

AccessToken = get_access_token_model()
Grant = get_grant_model()
RefreshToken = get_refresh_token_model()

pytestmark = pytest.mark.django_db


def _api(client, access_token: str):
    return client.get("/api/v1/authorization/shops", HTTP_AUTHORIZATION=f"Bearer {access_token}")


def _live_token_count():
    return AccessToken.objects.count(), RefreshToken.objects.filter(revoked__isnull=True).count()


def test_code_exchange_returns_tokens_with_granted_scope_and_no_store(client, app, seller, shop):
    client.force_login(seller)
    flow = Flow.start(app)
    code = authorize(client, flow, shops=[shop])

    response = exchange(client, flow, code)

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access_token", "refresh_token", "token_type", "expires_in", "scope"}
    assert body["scope"] == "seller.order.info seller.product.basic"
    assert body["expires_in"] == settings.OAUTH2_PROVIDER["ACCESS_TOKEN_EXPIRE_SECONDS"]
    assert response["Cache-Control"] == "no-store"
    # Hashed at rest: the raw token is not stored.
    stored = AccessToken.objects.get()
    assert body["access_token"] not in (stored.token, stored.token_checksum)


def test_a_receiver_of_app_authorized_gets_each_token_issued(client, app, seller, shop):
    received = []

    def receive(sender, request, token, **kwargs):
        received.append(token.token_checksum)

    app_authorized.connect(receive)
    try:
        tokens = issue_tokens(client, app, seller, [shop])
        refreshed = refresh(client, app, tokens["refresh_token"]).json()
    finally:
        app_authorized.disconnect(receive)

    assert received == [
        hashlib.sha256(issued["access_token"].encode()).hexdigest()
        for issued in (tokens, refreshed)
    ]


def test_replayed_code_is_refused_and_revokes_the_tokens_it_issued(client, app, seller, shop):
    client.force_login(seller)
    flow = Flow.start(app)
    code = authorize(client, flow, shops=[shop])
    first = exchange(client, flow, code).json()
    assert _api(client, first["access_token"]).status_code == 200

    replay = exchange(client, flow, code)

    assert replay.status_code == 400
    assert replay.json()["error"] == "invalid_grant"
    assert _api(client, first["access_token"]).status_code == 401
    assert refresh(client, app, first["refresh_token"]).json()["error"] == "invalid_grant"
    assert _live_token_count() == (0, 0)


def test_replayed_code_later_still_revokes(client, app, seller, shop):
    client.force_login(seller)
    flow = Flow.start(app)
    code = authorize(client, flow, shops=[shop])
    exchange(client, flow, code)
    RedeemedAuthorizationCode.objects.update(redeemed_at=timezone.now() - timedelta(seconds=30))

    assert exchange(client, flow, code).json()["error"] == "invalid_grant"
    assert _live_token_count() == (0, 0)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_redemptions_of_one_code_are_a_replay_and_both_lose(app, seller, shop):
    browser = Client()
    browser.force_login(seller)
    flow = Flow.start(app)
    code = authorize(browser, flow, shops=[shop])

    def redeem_once():
        return exchange(Client(), flow, code)

    responses = race(redeem_once, redeem_once)

    assert sorted(response.status_code for response in responses) == [200, 400]
    loser = next(response for response in responses if response.status_code == 400)
    assert loser.json()["error"] == "invalid_grant"
    assert _live_token_count() == (0, 0)
    assert RedeemedAuthorizationCode.objects.count() == 1


def test_code_of_another_client_is_refused_and_stays_redeemable(client, app, seller, shop):
    other = app_with_scopes(required=[factories.ScopeFactory()])
    client.force_login(seller)
    flow = Flow.start(app)
    code = authorize(client, flow, shops=[shop])

    response = exchange(client, flow, code, app=other)

    assert response.json()["error"] == "invalid_grant"
    assert _live_token_count() == (0, 0)
    assert exchange(client, flow, code).status_code == 200


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


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"code_verifier": None}, "invalid_grant"),
        ({"code_verifier": ""}, "invalid_grant"),
        ({"code_verifier": "x" * 43}, "invalid_grant"),
        ({"redirect_uri": "https://app.example.com/other"}, "invalid_request"),
        ({"redirect_uri": None}, "invalid_request"),
    ],
)
def test_bad_verifier_or_redirect_uri_is_refused_and_burns_the_code(
    client, app, seller, shop, overrides, error
):
    client.force_login(seller)
    flow = Flow.start(app)
    code = authorize(client, flow, shops=[shop])

    response = exchange(client, flow, code, **overrides)

    assert response.status_code == 400
    assert response.json()["error"] == error
    assert "app.example.com/callback" not in response.content.decode()
    assert _live_token_count() == (0, 0)
    # The failed redemption used the code up: the right request cannot redeem it any more.
    assert not Grant.objects.exists()
    assert exchange(client, flow, code).json()["error"] == "invalid_grant"
    assert _live_token_count() == (0, 0)


def test_one_wrong_verifier_burns_the_code_for_the_right_one(client, app, seller, shop):
    client.force_login(seller)
    flow = Flow.start(app)
    code = authorize(client, flow, shops=[shop])
    guess, _ = pkce_pair()

    wrong = exchange(client, flow, code, code_verifier=guess)
    right = exchange(client, flow, code)

    assert wrong.status_code == 400
    assert wrong.json() == {
        "error": "invalid_grant",
        "error_description": "The code_verifier is missing or does not match the "
        "code_challenge of this authorization code, so the code can no longer be used; start "
        "a new authorization.",
    }
    assert right.status_code == 400
    assert right.json() == {"error": "invalid_grant"}
    assert not Grant.objects.exists()
    assert _live_token_count() == (0, 0)
    assert not RedeemedAuthorizationCode.objects.exists()


def test_code_expires(client, app, seller, shop, time_machine):
    client.force_login(seller)
    flow = Flow.start(app)
    code = authorize(client, flow, shops=[shop])
    lifetime = settings.OAUTH2_PROVIDER["AUTHORIZATION_CODE_EXPIRE_SECONDS"]

    time_machine.move_to(timezone.now() + timedelta(seconds=lifetime + 1))

    assert exchange(client, flow, code).json()["error"] == "invalid_grant"


def test_refresh_rotates_and_reuse_revokes_the_family(client, app, seller, shop):
    first = issue_tokens(client, app, seller, [shop])

    second = refresh(client, app, first["refresh_token"])
    assert second.status_code == 200
    second = second.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert second["scope"] == first["scope"]

    reuse = refresh(client, app, first["refresh_token"])

    assert reuse.json()["error"] == "invalid_grant"
    assert refresh(client, app, second["refresh_token"]).json()["error"] == "invalid_grant"
    assert _api(client, second["access_token"]).status_code == 401


def test_a_refresh_reads_the_refresh_token_once(app, seller, shop, django_assert_max_num_queries):
    tokens = issue_tokens(Client(), app, seller, [shop])

    # In this test's transaction the token view's transaction is a savepoint (2 statements, in
    # production BEGIN and COMMIT). Then: the client's app (client authentication); the refresh
    # token locked, with its access token and seller; the seller's live consent (its scopes,
    # which of them the app may still use, its end); revoking the previous access token
    # (clearing the refresh token's link to it, deleting it) and the refresh token; inserting
    # the new access and refresh tokens; stamping the consent's last use.
    with django_assert_max_num_queries(11):
        response = refresh(Client(), app, tokens["refresh_token"])

    assert response.status_code == 200
    assert response.json()["scope"] == tokens["scope"]


def test_a_refresh_refused_while_saving_leaves_the_refresh_token_usable(client, app, seller, shop):
    tokens = issue_tokens(client, app, seller, [shop])
    before = _live_token_count()

    # RFC 8707: the resource is checked while the new pair is saved.
    refused = refresh(client, app, tokens["refresh_token"], resource="not a uri")

    assert refused.status_code == 400
    # DOT answers an error raised while saving without a JSON Content-Type.
    assert json.loads(refused.content)["error"] == "invalid_target"
    assert _live_token_count() == before
    assert refresh(client, app, tokens["refresh_token"]).status_code == 200


def test_refresh_token_of_another_client_is_refused(client, app, seller, shop):
    tokens = issue_tokens(client, app, seller, [shop])
    other = app_with_scopes(required=[factories.ScopeFactory()])

    response = refresh(client, other, tokens["refresh_token"])

    assert response.json()["error"] == "invalid_grant"


def test_refresh_cannot_broaden_but_can_narrow_scope(client, app, seller, shop):
    tokens = issue_tokens(client, app, seller, [shop], optional=[])

    broader = refresh(
        client, app, tokens["refresh_token"], scope="seller.product.basic seller.order.info"
    )
    assert broader.json()["error"] == "invalid_scope"


def test_refresh_drops_a_custom_scope_whose_approval_was_revoked(
    client, app, seller, shop, custom_scope
):
    factories.AppScopeFactory(app=app, scope=custom_scope, is_required=False)
    factories.ApprovedAccessRequestFactory(app=app, scope=custom_scope)
    tokens = issue_tokens(client, app, seller, [shop])
    assert "seller.customer_service" in tokens["scope"].split()
    # The approval ends without anyone narrowing the tokens: the validator must not bring it back.
    AccessRequest.objects.update(status=AccessRequest.Status.REVOKED)

    response = refresh(client, app, tokens["refresh_token"])

    assert response.status_code == 200
    assert response.json()["scope"] == "seller.order.info seller.product.basic"


def test_refresh_drops_a_scope_the_seller_no_longer_grants(client, app, seller, shop, order_scope):
    tokens = issue_tokens(client, app, seller, [shop])
    ShopAuthorization.objects.get().scopes.remove(order_scope)

    response = refresh(client, app, tokens["refresh_token"])

    assert response.json()["scope"] == "seller.product.basic"


def test_refresh_never_outlives_the_sellers_chosen_duration(
    client, app, seller, shop, time_machine
):
    tokens = issue_tokens(client, app, seller, [shop], duration_days=30)

    time_machine.move_to(timezone.now() + timedelta(days=29))
    tokens = refresh(client, app, tokens["refresh_token"]).json()
    assert "access_token" in tokens
    time_machine.move_to(timezone.now() + timedelta(days=2))

    assert refresh(client, app, tokens["refresh_token"]).json()["error"] == "invalid_grant"


def test_access_token_never_outlives_the_sellers_chosen_duration(
    client, app, seller, shop, time_machine
):
    tokens = issue_tokens(client, app, seller, [shop], duration_days=30)
    time_machine.move_to(timezone.now() + timedelta(days=30) - timedelta(minutes=30))

    refreshed = refresh(client, app, tokens["refresh_token"]).json()

    assert 1790 <= refreshed["expires_in"] <= 1800
    stored = AccessToken.objects.get(
        token_checksum=hashlib.sha256(refreshed["access_token"].encode()).hexdigest()
    )
    consent_ends = ShopAuthorization.objects.get(shop=shop).expires_at
    assert abs((stored.expires - consent_ends).total_seconds()) <= 10


def test_suspended_app_cannot_refresh_and_its_tokens_stop_working(client, app, seller, shop):
    tokens = issue_tokens(client, app, seller, [shop])
    PartnerApp.objects.filter(pk=app.pk).update(status=PartnerApp.Status.SUSPENDED)

    assert _api(client, tokens["access_token"]).status_code == 401
    response = refresh(client, app, tokens["refresh_token"])
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_deactivated_seller_tokens_stop_working(client, app, seller, shop):
    tokens = issue_tokens(client, app, seller, [shop])
    seller.is_active = False
    seller.save(update_fields=["is_active"])

    assert _api(client, tokens["access_token"]).status_code == 401
    assert refresh(client, app, tokens["refresh_token"]).json()["error"] == "invalid_grant"


def test_a_deactivated_sellers_token_introspects_as_inactive(client, app, seller, shop):
    tokens = issue_tokens(client, app, seller, [shop])
    gateway = factories.PartnerAppFactory(partner=None, can_introspect=True, name="Gateway")
    seller.is_active = False
    seller.save(update_fields=["is_active"])

    response = client.post(
        "/oauth/introspect/", {"token": tokens["access_token"]}, **basic_auth(gateway)
    )

    assert response.json() == {"active": False}


def test_grant_types_other_than_code_and_refresh_are_refused(client, app, seller):
    # Even with the seller's real password, the password grant is not available.
    for grant_type in ("client_credentials", "password"):
        response = client.post(
            "/oauth/token/",
            {"grant_type": grant_type, "username": seller.username, "password": PASSWORD},
            **basic_auth(app),
        )
        assert response.json()["error"] == "unauthorized_client", grant_type
    assert _live_token_count() == (0, 0)


def test_failed_client_authentication_is_throttled_per_client(client, app, settings):
    settings.OAUTH_CLIENT_AUTH_FAILURE_LIMIT = 3
    other = app_with_scopes(required=[factories.ScopeFactory()])
    wrong = {"grant_type": "refresh_token", "refresh_token": "nope"}
    for _ in range(3):
        response = client.post("/oauth/token/", wrong, **basic_auth(app, "wrong-secret"))
        assert response.status_code == 401
        assert response.json()["error"] == "invalid_client"

    blocked = client.post("/oauth/token/", wrong, **basic_auth(app))  # even the right secret

    assert blocked.status_code == 429
    assert blocked.json()["error"] == "invalid_client"
    assert blocked["Retry-After"] == str(settings.OAUTH_CLIENT_AUTH_FAILURE_WINDOW_SECONDS)
    # Another client is not affected: no global lockout.
    other_response = client.post("/oauth/token/", wrong, **basic_auth(other))
    assert other_response.status_code == 400
    assert other_response.json()["error"] == "invalid_grant"


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


def test_revoking_the_refresh_token_also_kills_the_access_token(client, app, seller, shop):
    tokens = issue_tokens(client, app, seller, [shop])

    response = client.post(
        "/oauth/revoke/",
        {"token": tokens["refresh_token"], "token_type_hint": "refresh_token"},
        **basic_auth(app),
    )

    assert response.status_code == 200
    assert _api(client, tokens["access_token"]).status_code == 401
    assert _live_token_count() == (0, 0)


def test_a_revoked_refresh_token_cannot_refresh(client, app, seller, shop):
    tokens = issue_tokens(client, app, seller, [shop])
    revoked = client.post(
        "/oauth/revoke/",
        {"token": tokens["refresh_token"], "token_type_hint": "refresh_token"},
        **basic_auth(app),
    )
    assert revoked.status_code == 200

    response = refresh(client, app, tokens["refresh_token"])

    assert response.json()["error"] == "invalid_grant"
    assert _live_token_count() == (0, 0)


def test_a_refresh_token_whose_access_token_is_gone_cannot_refresh(client, app, seller, shop):
    tokens = issue_tokens(client, app, seller, [shop])
    # As a family revocation racing a rotation leaves the rotated refresh token.
    AccessToken.objects.all().delete()

    response = refresh(client, app, tokens["refresh_token"])

    assert response.json()["error"] == "invalid_grant"
    assert _live_token_count() == (0, 1)


def test_a_refresh_token_left_unused_too_long_cannot_refresh(
    client, app, seller, shop, time_machine
):
    # Idle time counts from the end of the access token last issued with the refresh token.
    lifetimes = settings.OAUTH2_PROVIDER
    unused_for = timedelta(
        seconds=lifetimes["ACCESS_TOKEN_EXPIRE_SECONDS"] + lifetimes["REFRESH_TOKEN_EXPIRE_SECONDS"]
    )
    tokens = issue_tokens(client, app, seller, [shop], duration_days=365)
    time_machine.move_to(timezone.now() + unused_for - timedelta(minutes=1))
    tokens = refresh(client, app, tokens["refresh_token"]).json()
    assert "access_token" in tokens
    time_machine.move_to(timezone.now() + unused_for + timedelta(minutes=1))

    response = refresh(client, app, tokens["refresh_token"])

    assert response.json()["error"] == "invalid_grant"
    assert _live_token_count() == (1, 1)


def test_a_client_cannot_revoke_another_clients_token(client, app, seller, shop):
    tokens = issue_tokens(client, app, seller, [shop])
    other = app_with_scopes(required=[factories.ScopeFactory()])

    response = client.post("/oauth/revoke/", {"token": tokens["access_token"]}, **basic_auth(other))

    assert response.status_code == 200
    assert _api(client, tokens["access_token"]).status_code == 200


def test_metadata_is_truthful_and_minimal(client, app, custom_scope, product_scope):
    response = client.get("/.well-known/oauth-authorization-server")

    assert response.status_code == 200
    issuer = settings.OAUTH2_PROVIDER["OIDC_ISS_ENDPOINT"]
    body = response.json()
    assert body["issuer"] == issuer
    assert body["authorization_endpoint"] == f"{issuer}/oauth/authorize/"
    assert body["token_endpoint"] == f"{issuer}/oauth/token/"
    assert body["revocation_endpoint"] == f"{issuer}/oauth/revoke/"
    assert body["introspection_endpoint"] == f"{issuer}/oauth/introspect/"
    assert body["response_types_supported"] == ["code"]
    assert body["grant_types_supported"] == ["authorization_code", "refresh_token"]
    assert body["code_challenge_methods_supported"] == ["S256"]
    assert body["authorization_response_iss_parameter_supported"] is True
    assert body["scopes_supported"] == ["seller.order.info", "seller.product.basic"]  # no Custom


def test_introspection_is_refused_to_partner_apps_and_anonymous_callers(client, app, seller, shop):
    tokens = issue_tokens(client, app, seller, [shop])

    as_partner = client.post(
        "/oauth/introspect/", {"token": tokens["access_token"]}, **basic_auth(app)
    )
    anonymous = client.post("/oauth/introspect/", {"token": tokens["access_token"]})
    with_bearer = client.post(
        "/oauth/introspect/",
        {"token": tokens["access_token"]},
        HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}",
    )

    assert as_partner.status_code == 403
    assert as_partner.json() == {
        "error": "unauthorized_client",
        "error_description": "Only resource servers may introspect tokens.",
    }
    for refused in (anonymous, with_bearer):
        assert refused.status_code == 401
        assert refused.json() == {
            "error": "invalid_client",
            "error_description": "Client authentication failed.",
        }
        assert refused["WWW-Authenticate"] == 'Basic realm="introspection"'
    # Like its answers about tokens, the endpoint's refusals are never stored.
    assert all(
        response["Cache-Control"] == "no-store" for response in (as_partner, anonymous, with_bearer)
    )


def test_resource_server_can_introspect(client, app, seller, shop):
    tokens = issue_tokens(client, app, seller, [shop])
    gateway = factories.PartnerAppFactory(partner=None, can_introspect=True, name="Gateway")

    active = client.post(
        "/oauth/introspect/", {"token": tokens["access_token"]}, **basic_auth(gateway)
    )
    unknown = client.post("/oauth/introspect/", {"token": "garbage"}, **basic_auth(gateway))
    as_get = client.get(
        "/oauth/introspect/", {"token": tokens["access_token"]}, **basic_auth(gateway)
    )

    assert active.status_code == 200
    body = active.json()
    assert body["active"] is True
    assert body["client_id"] == app.client_id
    assert body["scope"] == "seller.order.info seller.product.basic"
    assert active["Cache-Control"] == "no-store"
    assert unknown.json() == {"active": False}
    assert as_get.status_code == 405


def test_introspection_answers_with_the_tokens_client_seller_and_end_in_two_statements(
    client, app, seller, shop, django_assert_max_num_queries
):
    tokens = issue_tokens(client, app, seller, [shop])
    gateway = factories.PartnerAppFactory(partner=None, can_introspect=True, name="Gateway")
    stored = AccessToken.objects.get(
        token_checksum=hashlib.sha256(tokens["access_token"].encode()).hexdigest()
    )

    # The gateway's app (its client authentication), then the token with its app and seller.
    with django_assert_max_num_queries(2):
        response = Client().post(
            "/oauth/introspect/", {"token": tokens["access_token"]}, **basic_auth(gateway)
        )

    assert response.json() == {
        "active": True,
        "scope": "seller.order.info seller.product.basic",
        "exp": int(stored.expires.timestamp()),
        "client_id": app.client_id,
        "username": seller.username,
    }


def test_introspection_names_the_audience_of_a_token_bound_to_a_resource(client, app, seller, shop):
    tokens = issue_tokens(client, app, seller, [shop])
    gateway = factories.PartnerAppFactory(partner=None, can_introspect=True, name="Gateway")
    AccessToken.objects.update(resource=["https://api.example.com"])

    response = client.post(
        "/oauth/introspect/", {"token": tokens["access_token"]}, **basic_auth(gateway)
    )

    assert response.json()["aud"] == ["https://api.example.com"]


def test_introspection_calls_an_expired_token_inactive(client, app, seller, shop, time_machine):
    tokens = issue_tokens(client, app, seller, [shop])
    gateway = factories.PartnerAppFactory(partner=None, can_introspect=True, name="Gateway")
    lifetime = settings.OAUTH2_PROVIDER["ACCESS_TOKEN_EXPIRE_SECONDS"]
    time_machine.move_to(timezone.now() + timedelta(seconds=lifetime))

    response = client.post(
        "/oauth/introspect/", {"token": tokens["access_token"]}, **basic_auth(gateway)
    )

    assert response.status_code == 200
    assert response.json() == {"active": False}


def test_introspection_without_a_token_is_an_invalid_request(client, app):
    gateway = factories.PartnerAppFactory(partner=None, can_introspect=True, name="Gateway")

    response = client.post("/oauth/introspect/", {}, **basic_auth(gateway))

    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_request",
        "error_description": "Token parameter is missing.",
    }
    assert response["Cache-Control"] == "no-store"


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


@pytest.mark.parametrize("endpoint", ["/oauth/token/", "/oauth/revoke/", "/oauth/introspect/"])
@pytest.mark.parametrize(
    ("data", "credentials"),
    [
        ({"grant_type": "authorization_code", "client_id": "acme\x00", "code": "c"}, None),
        ({"grant_type": "authorization_code", "code": "c\x00", "token": "t\x00"}, "basic"),
        ({"grant_type": "authorization_code", "code": "c"}, "nul-basic"),
    ],
)
def test_a_nul_character_is_an_invalid_request_not_a_500(client, app, endpoint, data, credentials):
    before = _live_token_count()
    headers = {
        "basic": basic_auth(app),
        "nul-basic": basic_auth(PartnerApp(client_id=f"{app.client_id}\x00")),
    }.get(credentials, {})

    response = client.post(endpoint, data, **headers)

    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_request",
        "error_description": "A parameter contains a NUL character; remove it.",
    }
    assert response["Cache-Control"] == "no-store"
    assert _live_token_count() == before
