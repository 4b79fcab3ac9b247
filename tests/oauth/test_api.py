"""/api/v1/authorization/shops: the shops a bearer token's seller authorized for the calling app."""

from __future__ import annotations

import pytest
from django.utils.dateparse import parse_datetime

from apps_registry.models import ShopAuthorization
from tests import factories
from tests.oauth.flow import app_with_scopes, issue_tokens

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
    "headers",
    [{}, {"HTTP_AUTHORIZATION": "Bearer garbage"}, {"HTTP_AUTHORIZATION": "Basic Zm9vOmJhcg=="}],
)
def test_without_a_valid_bearer_token_the_answer_is_401(client, db, headers):
    response = client.get("/api/v1/authorization/shops", **headers)

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_token_in_the_query_string_is_refused(client, app, seller, shop):
    tokens = issue_tokens(client, app, seller, [shop])
    client.logout()

    response = client.get("/api/v1/authorization/shops", {"access_token": tokens["access_token"]})

    assert response.status_code == 401


def test_the_endpoint_is_in_the_openapi_document(client, db):
    response = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    assert response.status_code == 200
    assert "/api/v1/authorization/shops" in response.content.decode()
