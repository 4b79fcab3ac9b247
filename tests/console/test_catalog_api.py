"""The catalog API: /api/v1/scopes/, /api/v1/scopes/<key>/, /api/v1/endpoints/, schema and docs."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from scopes.models import Scope
from tests import factories
from tests.factories import EndpointFactory, ScopeFactory
from tests.scopes.catalog_data import SCOPE_COUNT

pytestmark = pytest.mark.django_db


def _keys(response) -> list[str]:
    return [scope["key"] for scope in response.json()["results"]]


def test_scope_list_returns_active_scopes_in_catalog_order(client, catalog):
    Scope.objects.filter(key="seller.shop.info").update(is_active=False)

    response = client.get("/api/v1/scopes/")

    body = response.json()
    assert response.status_code == 200
    assert body["count"] == SCOPE_COUNT - 1
    assert body["results"][0] == {
        "key": "seller.authorization.info",
        "name": "Shop Authorized Information",
        "group": "Shop",
        "kind": "public",
        "token_type": "seller",
        "description": "The Partner will have access to the seller's TikTok Shop shop ID(s).",
        "consent_text": (
            "See which of your shops have authorized the app, and view, update and delete the "
            "webhook notifications your shop sends to the app."
        ),
        "requires_dual_approval": False,
        "endpoint_count": 4,
        "url": "http://testserver/api/v1/scopes/seller.authorization.info/",
    }
    assert "seller.shop.info" not in _keys(response)


@pytest.mark.parametrize("parameter", ["q", "search"])
def test_scope_list_text_search_covers_endpoint_titles(client, catalog, parameter):
    response = client.get("/api/v1/scopes/", {parameter: "inventory"})

    assert _keys(response) == [
        "seller.product.basic",
        "seller.product.write",
        "seller.fbt.info",
        "seller.global_product.write",
    ]


def test_scope_list_search_resolves_a_pasted_call(client, catalog):
    response = client.get("/api/v1/scopes/", {"q": "/product/202309/products/123/prices/update"})

    assert _keys(response) == ["seller.product.write"]


def test_scope_list_filters_by_group_and_kind(client, catalog):
    product = client.get("/api/v1/scopes/", {"group": "Product"})
    product_custom = client.get("/api/v1/scopes/", {"group": "Product", "kind": "custom"})
    custom = client.get("/api/v1/scopes/", {"kind": "custom"})

    assert _keys(product) == [
        "seller.product.basic",
        "seller.product.write",
        "seller.product.delete",
        "serller.product.optimize",  # sic: the key as the platform spells it
    ]
    assert _keys(product_custom) == []
    assert custom.json()["count"] == 18
    assert {scope["kind"] for scope in custom.json()["results"]} == {"custom"}


@pytest.mark.parametrize(
    ("query", "errors"),
    [
        ({"offset": "null"}, {"offset": ["A valid integer is required."]}),
        ({"offset": "1.5"}, {"offset": ["A valid integer is required."]}),
        ({"offset": "-1"}, {"offset": ["Ensure this value is greater than or equal to 0."]}),
        ({"limit": "abc"}, {"limit": ["A valid integer is required."]}),
        ({"limit": "0"}, {"limit": ["Ensure this value is greater than or equal to 1."]}),
        ({"limit": "1001"}, {"limit": ["Ensure this value is less than or equal to 1000."]}),
    ],
)
def test_scope_list_refuses_a_malformed_page_with_400(client, catalog, query, errors):
    response = client.get("/api/v1/scopes/", query)

    assert response.status_code == 400
    assert response.json() == {"code": "invalid", "message": "Invalid input.", "fields": errors}


def test_scope_list_pages_with_limit_and_offset(client, catalog):
    everything = _keys(client.get("/api/v1/scopes/"))

    page = client.get("/api/v1/scopes/", {"limit": "2", "offset": "3"}).json()

    assert page["count"] == SCOPE_COUNT
    assert [scope["key"] for scope in page["results"]] == everything[3:5]


def test_scope_list_with_an_empty_kind_lists_both_kinds(client, catalog):
    response = client.get("/api/v1/scopes/", {"kind": ""})

    assert response.status_code == 200
    assert response.json()["count"] == SCOPE_COUNT


def test_scope_list_rejects_an_unknown_kind_with_400(client, catalog):
    response = client.get("/api/v1/scopes/", {"kind": "secret"})

    assert response.status_code == 400
    assert response.json()["fields"] == {
        "kind": ["Select a valid choice. secret is not one of the available choices."]
    }


def test_scope_list_query_count_does_not_grow(client):
    ScopeFactory.create_batch(2)
    with CaptureQueriesContext(connection) as few:
        client.get("/api/v1/scopes/", {"q": "test"})
    EndpointFactory.create_batch(5, scopes=ScopeFactory.create_batch(20))

    with CaptureQueriesContext(connection) as many:
        response = client.get("/api/v1/scopes/", {"q": "test"})

    assert response.json()["count"] == 22
    assert len(many) == len(few)


@pytest.mark.parametrize("count", [1, 41])
def test_catalog_api_queries_do_not_grow_with_the_catalog(count, django_assert_max_num_queries):
    factories.add_catalog_scopes(count)
    api = APIClient()

    with django_assert_max_num_queries(2):
        assert api.get("/api/v1/scopes/?q=thing").status_code == 200


def test_scope_detail_lists_its_endpoints(client, catalog):
    response = client.get("/api/v1/scopes/seller.product.write/")

    body = response.json()
    assert response.status_code == 200
    assert body["name"] == "Product Modify"
    assert body["endpoint_count"] == 6
    assert {
        "method": "POST",
        "path": "/product/202309/products/{product_id}/inventory/update",
        "title": "Update Inventory",
        "module": "products",
        "needs_shop": True,
    } in body["endpoints"]
    assert len(body["endpoints"]) == 6


@pytest.mark.parametrize("key", ["seller.nowhere.read", "seller.product.write"])
def test_scope_detail_of_unknown_or_inactive_scope_is_404(client, catalog, key):
    Scope.objects.filter(key="seller.product.write").update(is_active=False)

    response = client.get(f"/api/v1/scopes/{key}/")

    assert response.status_code == 404
    assert response.json() == {
        "code": "not_found",
        "message": "No such scope.",
        "fields": {},
    }


def test_endpoint_resolve_returns_endpoint_and_scopes(client, catalog):
    response = client.get(
        "/api/v1/endpoints/",
        {"method": "POST", "path": "/product/202309/products/1729/inventory/update?x=1"},
    )

    assert response.status_code == 200
    assert response.json() == {
        "method": "POST",
        "path": "/product/202309/products/{product_id}/inventory/update",
        "title": "Update Inventory",
        "needs_shop": True,
        "path_params": {"product_id": "1729"},
        "scopes": ["seller.product.write"],
    }


def test_endpoint_resolve_with_wrong_method_is_404_naming_the_allowed_methods(client, catalog):
    response = client.get(
        "/api/v1/endpoints/",
        {"method": "GET", "path": "/product/202309/products/1729/inventory/update"},
    )

    assert response.status_code == 404
    assert response.json() == {
        "detail": "/product/202309/products/1729/inventory/update has no GET endpoint; "
        "it accepts POST.",
        "allowed_methods": ["POST"],
    }


def test_endpoint_resolve_of_unknown_path_is_404(client, catalog):
    response = client.get("/api/v1/endpoints/", {"method": "GET", "path": "/nothing/here"})

    assert response.status_code == 404
    assert response.json() == {
        "detail": "No endpoint in the catalog matches GET /nothing/here.",
        "allowed_methods": [],
    }


@pytest.mark.parametrize(
    ("params", "errors"),
    [
        ({}, {"method": ["This field is required."], "path": ["This field is required."]}),
        ({"method": "GET"}, {"path": ["This field is required."]}),
        (
            {"method": "BREW", "path": "/order/202309/orders"},
            {
                "method": [
                    "Unknown method 'BREW'; use one of GET, POST, PUT, PATCH, DELETE "
                    "(methods are case-sensitive)."
                ]
            },
        ),
        (
            {"method": "get", "path": "/order/202309/orders"},
            {
                "method": [
                    "Unknown method 'get'; use one of GET, POST, PUT, PATCH, DELETE "
                    "(methods are case-sensitive)."
                ]
            },
        ),
        (
            {"method": "GET", "path": "order/202309/orders"},
            {
                "path": [
                    "The path must start with '/' and contain no NUL character, e.g. "
                    "/product/202309/products/123."
                ]
            },
        ),
        (
            {"method": "GET", "path": " /order/202309/orders"},
            {
                "path": [
                    "The path must start with '/' and contain no NUL character, e.g. "
                    "/product/202309/products/123."
                ]
            },
        ),
    ],
)
def test_endpoint_resolve_rejects_missing_or_malformed_input_with_400(
    client, catalog, params, errors
):
    response = client.get("/api/v1/endpoints/", params)

    assert response.status_code == 400
    assert response.json() == {"code": "invalid", "message": "Invalid input.", "fields": errors}


def test_schema_is_served_and_lists_the_catalog_paths(client):
    response = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    assert response.status_code == 200
    paths = response.json()["paths"]
    assert {"/api/v1/scopes/", "/api/v1/scopes/{key}/", "/api/v1/endpoints/"} <= set(paths)
    resolve_parameters = {
        p["name"]: p["schema"] for p in paths["/api/v1/endpoints/"]["get"]["parameters"]
    }
    assert set(resolve_parameters) == {"method", "path"}
    assert resolve_parameters["method"]["enum"] == ["GET", "POST", "PUT", "PATCH", "DELETE"]
    list_parameters = {p["name"] for p in paths["/api/v1/scopes/"]["get"]["parameters"]}
    assert {"group", "kind", "q", "search"} <= list_parameters


def test_api_docs_page_uses_only_local_assets(client):
    response = client.get("/api/docs/")

    html = response.content.decode()
    assert response.status_code == 200
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    # The init script comes from the page's own URL, so the CSP needs no inline script.
    assert "/api/docs/?script=" in assets
    assert all(asset.startswith(("/static/", "/api/docs/")) for asset in assets), assets
    assert "<script>" not in html
