"""/api/v1/authorization/shops: the shops a bearer token's seller authorized for the calling app."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from apps_registry.gate.usage import flush
from apps_registry.models import ShopAuthorization
from tests import factories
from tests.oauth.flow import app_with_scopes, basic_auth, issue_tokens

pytestmark = pytest.mark.django_db


def test_lists_authorized_shops_with_scopes_per_shop(client, app, seller, shop):
    factories.ShopFactory(owner=seller, name="Unconnected shop")
    tokens = issue_tokens(client, app, seller, [shop])

    response = client.get(
        "/api/v1/authorization/shops", HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}"
    )

    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    authorization = ShopAuthorization.objects.get()
    body = response.json()
    assert parse_datetime(body["shops"][0].pop("expires_at")) == authorization.expires_at
    assert body == {
        "shops": [
            {
                "id": shop.pk,
                "name": "Northwind Goods",
                "region": "GB",
                "cipher": shop.cipher,
                "granted_scopes": ["seller.product.basic", "seller.order.info"],  # catalog order
            }
        ]
    }
    flush(force=True)  # the use is buffered, not written per call
    assert ShopAuthorization.objects.get().last_used_at is not None


def test_other_sellers_and_other_apps_authorizations_are_not_listed(client, app, seller, shop):
    other_app = app_with_scopes(required=list(factories.ScopeFactory.create_batch(1)))
    factories.ShopAuthorizationFactory(app=other_app, shop=factories.ShopFactory(owner=seller))
    factories.ShopAuthorizationFactory(app=app)  # a second seller's shop
    tokens = issue_tokens(client, app, seller, [shop])

    response = client.get(
        "/api/v1/authorization/shops", HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}"
    )

    assert [entry["id"] for entry in response.json()["shops"]] == [shop.pk]


@pytest.mark.parametrize(
    "headers", [{}, {"HTTP_AUTHORIZATION": "Basic Zm9vOmJhcg=="}, {"HTTP_AUTHORIZATION": "Bearer"}]
)
def test_without_a_bearer_token_the_answer_is_401_with_a_plain_challenge(client, db, headers):
    response = client.get("/api/v1/authorization/shops", **headers)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert response.json() == {"detail": "Authentication credentials were not provided."}


INVALID_TOKEN_ADVICE = (
    " Use a current access token: refresh it with the refresh token, or ask the seller to "
    "authorize the app again."
)


def _invalid_token_answer(response, description: str) -> None:
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == (
        f'Bearer realm="api",error="invalid_token",error_description="{description}"'
    )
    assert response.json() == {
        "error": "invalid_token",
        "detail": description + INVALID_TOKEN_ADVICE,
    }


@pytest.mark.parametrize("scheme", ["Bearer", "bearer"])
def test_an_unknown_token_is_invalid_token(client, db, scheme):
    response = client.get("/api/v1/authorization/shops", HTTP_AUTHORIZATION=f"{scheme} garbage")

    _invalid_token_answer(response, "The access token is invalid.")


def test_a_revoked_token_is_invalid_token(client, app, seller, shop):
    tokens = issue_tokens(client, app, seller, [shop])
    client.post(
        "/oauth/revoke/",
        {"token": tokens["access_token"], "token_type_hint": "access_token"},
        **basic_auth(app),
    )

    response = client.get(
        "/api/v1/authorization/shops", HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}"
    )

    _invalid_token_answer(response, "The access token is invalid.")


def test_an_expired_token_is_invalid_token(client, app, seller, shop, time_machine):
    tokens = issue_tokens(client, app, seller, [shop])
    time_machine.move_to(timezone.now() + timedelta(seconds=tokens["expires_in"] + 1))

    response = client.get(
        "/api/v1/authorization/shops", HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}"
    )

    _invalid_token_answer(response, "The access token has expired.")


def test_token_in_the_query_string_is_refused(client, app, seller, shop):
    tokens = issue_tokens(client, app, seller, [shop])
    client.logout()

    response = client.get("/api/v1/authorization/shops", {"access_token": tokens["access_token"]})

    assert response.status_code == 401


def test_the_endpoint_is_in_the_openapi_document(client, db):
    response = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    assert response.status_code == 200
    assert "/api/v1/authorization/shops" in response.content.decode()
