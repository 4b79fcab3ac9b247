"""One scope search everywhere: the Manage API page and the partner API's scope list find a scope
by a pasted call to an endpoint it unlocks, as the public catalog does."""

from __future__ import annotations

import pytest

from scopes.selectors import SCOPE_SEARCH_MAX_LENGTH

pytestmark = pytest.mark.django_db

PASTED_CALLS = [
    ("/product/202309/products/1729382256910270483", ["seller.product.basic"]),
    ("PUT /product/202509/products/1729382256910270483", ["seller.product.write"]),
    (
        "https://open-api.example.com/product/202309/products/1/inventory/update?x=1",
        ["seller.product.write"],
    ),
    ("/product/202309/products/123/prices/update", ["seller.product.write"]),
]


def _page_keys(response) -> list[str]:
    return [
        choice.row.scope.key
        for section in response.context["sections"]
        for choice in section.choices
    ]


@pytest.mark.parametrize(("query", "expected"), PASTED_CALLS)
def test_manage_api_search_finds_the_scope_a_pasted_call_needs(
    client, app, catalog, query, expected
):
    response = client.get(f"/console/apps/{app.pk}/api/", {"q": query})

    assert response.status_code == 200
    assert _page_keys(response) == expected
    assert response.context["query"] == query


@pytest.mark.parametrize(("query", "expected"), PASTED_CALLS)
def test_partner_api_scope_search_finds_the_scope_a_pasted_call_needs(
    api, app, catalog, query, expected
):
    response = api.get(f"/api/v1/apps/{app.pk}/scopes/", {"q": query})

    assert response.status_code == 200
    assert [row["key"] for row in response.json()] == expected


@pytest.mark.parametrize("query", [query for query, _ in PASTED_CALLS])
def test_every_search_finds_the_same_scopes(client, api, app, catalog, query):
    catalog_page = client.get("/scopes/", {"q": query})
    catalog_api = api.get("/api/v1/scopes/", {"q": query})
    manage_api_page = client.get(f"/console/apps/{app.pk}/api/", {"q": query})
    partner_api = api.get(f"/api/v1/apps/{app.pk}/scopes/", {"q": query})

    expected = [scope.key for scope in catalog_page.context["scopes"]]
    assert [scope["key"] for scope in catalog_api.json()["results"]] == expected
    assert _page_keys(manage_api_page) == expected
    assert [row["key"] for row in partner_api.json()] == expected


def test_a_pasted_call_as_long_as_the_catalog_takes_is_searched_whole(client, api, app, catalog):
    call = "/product/202309/products/1729382256910270483?shop_cipher="
    query = call + "x" * (SCOPE_SEARCH_MAX_LENGTH - len(call))
    assert len(query) == SCOPE_SEARCH_MAX_LENGTH

    page = client.get(f"/console/apps/{app.pk}/api/", {"q": query})
    listed = api.get(f"/api/v1/apps/{app.pk}/scopes/", {"q": query})

    assert _page_keys(page) == ["seller.product.basic"]
    assert [row["key"] for row in listed.json()] == ["seller.product.basic"]
