"""Review findings on the public scope catalog: bad keys are a 404, never a 500, and the pages
keep a constant number of queries however large the catalog grows."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests import factories

pytestmark = pytest.mark.django_db


@pytest.mark.postgres
@pytest.mark.parametrize("path", ["/scopes/seller.x%00/", "/api/v1/scopes/seller.x%00/"])
def test_a_scope_key_with_a_nul_character_is_a_404(client, path):
    factories.ScopeFactory(key="seller.x")

    response = client.get(path)

    assert response.status_code == 404


def test_a_mistyped_scope_key_still_gets_the_catalogs_own_not_found_page(client):
    response = client.get("/scopes/seller.no_such.scope/")

    assert response.status_code == 404
    assert "seller.no_such.scope" in response.text


def _catalog(count: int) -> None:
    for index in range(count):
        scope = factories.CustomScopeFactory() if index % 2 else factories.ScopeFactory()
        factories.EndpointFactory(scopes=[scope], title=f"Get Thing {index}")


@pytest.mark.parametrize("count", [1, 41])
@pytest.mark.parametrize("query", ["", "?q=thing", "?group=Product&kind=public"])
def test_catalog_page_queries_do_not_grow_with_the_catalog(
    client, count, query, django_assert_max_num_queries
):
    _catalog(count)

    with django_assert_max_num_queries(3):
        assert client.get(f"/scopes/{query}").status_code == 200


@pytest.mark.parametrize("count", [1, 41])
def test_scope_detail_queries_do_not_grow_with_its_endpoints(
    client, count, django_assert_max_num_queries
):
    scope = factories.ScopeFactory(key="seller.product.basic")
    for _ in range(count):
        factories.EndpointFactory(scopes=[scope])

    with django_assert_max_num_queries(2):
        assert client.get("/scopes/seller.product.basic/").status_code == 200


@pytest.mark.parametrize("count", [1, 41])
def test_catalog_api_queries_do_not_grow_with_the_catalog(count, django_assert_max_num_queries):
    _catalog(count)
    api = APIClient()

    with django_assert_max_num_queries(2):
        assert api.get("/api/v1/scopes/?q=thing").status_code == 200
