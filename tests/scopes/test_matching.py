"""Endpoint matching: concrete calls to catalog endpoints, and the version-validated index."""

from __future__ import annotations

import pytest

from scopes.matching import EndpointIndex, EndpointMatch, EndpointRow, resolve_endpoint
from scopes.models import Endpoint
from scopes.services.catalog_loading import catalog_load
from scopes.services.scope_edits import scope_edit
from tests.apps_registry.review_helpers import make_catalog_manager
from tests.scopes.catalog_data import real_catalog_data


def _row(endpoint_id: int, method: str, path: str, *keys: str) -> EndpointRow:
    return EndpointRow(
        endpoint_id=endpoint_id,
        method=method,
        path=path,
        title=f"Endpoint {endpoint_id}",
        needs_shop=True,
        scope_keys=frozenset(keys),
    )


PRODUCT = _row(1, "GET", "/product/202309/products/{product_id}", "seller.product.basic")
PRODUCT_SEARCH = _row(2, "POST", "/product/202309/products/search", "seller.product.basic")
PRODUCT_EDIT = _row(3, "PUT", "/product/202309/products/{product_id}", "seller.product.write")
LISTING_CHECK = _row(4, "GET", "/product/202309/products/listing_check", "seller.product.write")
INVENTORY = _row(
    5, "POST", "/product/202309/products/{product_id}/inventory/update", "seller.product.write"
)
SKU = _row(6, "GET", "/product/202309/products/{product_id}/skus/{sku_id}", "seller.product.basic")


@pytest.fixture
def index() -> EndpointIndex:
    return EndpointIndex([PRODUCT, PRODUCT_SEARCH, PRODUCT_EDIT, LISTING_CHECK, INVENTORY, SKU])


def _matched_id(index: EndpointIndex, method: str, path: str) -> int | None:
    match = index.match(method, path)
    return match.endpoint_id if match else None


def test_path_parameters_match_and_are_named(index):
    match = index.match("GET", "/product/202309/products/12345/skus/678")

    assert match == EndpointMatch(
        endpoint_id=6,
        method="GET",
        path="/product/202309/products/{product_id}/skus/{sku_id}",
        title="Endpoint 6",
        needs_shop=True,
        scope_keys=frozenset({"seller.product.basic"}),
    )
    assert match.path_params == {"product_id": "12345", "sku_id": "678"}


@pytest.mark.parametrize(
    "path",
    [
        "/product/202309/products/12345?x=1",
        "/product/202309/products/12345?shop_cipher=ROW&version=202309",
        "/product/202309/products/12345/",
        "/product/202309/products/12345/?x=1",
        "/product/202309/products/12345#fragment",
        "/%70roduct/202309/products/12345",
    ],
)
def test_query_string_trailing_slash_and_escapes_do_not_change_the_match(index, path):
    assert _matched_id(index, "GET", path) == 1


@pytest.mark.parametrize("method", ["get", "Get", "GET"])
def test_method_case_does_not_matter(index, method):
    assert _matched_id(index, method, "/product/202309/products/12345") == 1


@pytest.mark.parametrize(
    "path",
    [
        "/product/202309/orders/12345",
        "/product/202309/products",
        "/product/202309/products/1/skus",
        "/product/202309/products/1/skus/2/extra",
        "/product/202309//products/1",
        "/product/202309/products/../products/1",
        "/product/202309/products/%2E%2E",
        "product/202309/products/1",
        "",
        "/",
    ],
)
def test_unknown_or_unsafe_paths_match_nothing(index, path):
    assert index.match("GET", path) is None


def test_wrong_method_matches_nothing_and_names_the_methods_that_exist(index):
    assert index.match("DELETE", "/product/202309/products/12345") is None
    assert index.methods_for("/product/202309/products/12345") == ("GET", "PUT")
    assert index.methods_for("/product/202309/nothing") == ()


def test_unknown_method_matches_nothing(index):
    assert index.match("BREW", "/product/202309/products/12345") is None


def test_literal_segment_wins_over_a_parameter(index):
    assert _matched_id(index, "GET", "/product/202309/products/listing_check") == 4
    assert _matched_id(index, "GET", "/product/202309/products/listing_checks") == 1


def test_literal_wins_whatever_order_the_endpoints_were_added_in():
    reversed_index = EndpointIndex([LISTING_CHECK, PRODUCT][::-1])

    assert _matched_id(reversed_index, "GET", "/product/202309/products/listing_check") == 4


def test_parameter_is_tried_when_the_literal_branch_leads_nowhere():
    index = EndpointIndex(
        [
            _row(1, "GET", "/shop/202309/orders/search/history"),
            _row(2, "GET", "/shop/202309/orders/{order_id}/detail"),
        ]
    )

    match = index.match("GET", "/shop/202309/orders/search/detail")

    assert (match.endpoint_id, match.path_params) == (2, {"order_id": "search"})


def test_templates_matching_the_same_calls_are_refused():
    with pytest.raises(ValueError, match="match the same calls"):
        EndpointIndex([PRODUCT, _row(9, "GET", "/product/202309/products/{id}")])


def test_same_template_position_with_different_parameter_names_keeps_each_name():
    index = EndpointIndex(
        [
            _row(1, "GET", "/order/202309/orders/{order_id}/items"),
            _row(2, "GET", "/order/202309/orders/{package_id}/labels"),
        ]
    )

    assert index.match("GET", "/order/202309/orders/7/items").path_params == {"order_id": "7"}
    assert index.match("GET", "/order/202309/orders/7/labels").path_params == {"package_id": "7"}


# --- Against the database: the real catalog and the version-validated index ---------------------


@pytest.mark.django_db
def test_real_catalog_resolves_a_concrete_call(catalog):
    match = resolve_endpoint("post", "/product/202309/products/17293822569/inventory/update")

    assert match.path == "/product/202309/products/{product_id}/inventory/update"
    assert match.title == "Update Inventory"
    assert match.needs_shop is True
    assert match.scope_keys == frozenset({"seller.product.write"})
    assert match.endpoint_id == Endpoint.objects.get(path=match.path, method="POST").pk


@pytest.mark.django_db
def test_endpoint_without_scopes_resolves_with_no_scope(catalog):
    match = resolve_endpoint("GET", "/affiliate_creator/202512/samples/deeplink?x=1")

    assert match.title == "Creator Get Sample Request Deeplink"
    assert match.scope_keys == frozenset()


@pytest.mark.django_db
def test_index_is_reused_while_the_version_is_unchanged(catalog, django_assert_num_queries):
    resolve_endpoint("GET", "/order/202309/orders")

    with django_assert_num_queries(0):
        match = resolve_endpoint("GET", "/product/202309/products/1")

    assert match.title == "Get Product"


@pytest.mark.django_db
def test_loading_a_changed_catalog_bumps_the_version_and_rebuilds_the_index(
    catalog, django_capture_on_commit_callbacks
):
    assert resolve_endpoint("GET", "/product/202309/products/1").title == "Get Product"
    data = real_catalog_data()
    get_product = "/product/202309/products/{product_id}"
    entry = next(e for e in data["endpoints"] if e["path"] == get_product)
    entry["title"] = "Get Product Detail"
    data["endpoints"].append(
        {**entry, "path": "/product/202601/products/{product_id}", "title": "Get Product v2"}
    )

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        catalog_load(data=data)

    assert len(callbacks) == 1
    assert resolve_endpoint("GET", "/product/202309/products/1").title == "Get Product Detail"
    assert resolve_endpoint("GET", "/product/202601/products/1").title == "Get Product v2"


@pytest.mark.django_db
def test_unchanged_load_does_not_bump_the_version(catalog, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        catalog_load(data=real_catalog_data())

    assert callbacks == []


@pytest.mark.django_db
def test_deactivated_scope_no_longer_unlocks_its_endpoints(
    catalog, django_capture_on_commit_callbacks
):
    path = "/product/202309/products/1/inventory/update"
    assert resolve_endpoint("POST", path).scope_keys == frozenset({"seller.product.write"})
    scope_id = Endpoint.objects.get(title="Update Inventory").scopes.get().pk

    with django_capture_on_commit_callbacks(execute=True):
        scope_edit(scope_id=scope_id, changes={"is_active": False}, actor=make_catalog_manager())

    assert resolve_endpoint("POST", path).scope_keys == frozenset()
