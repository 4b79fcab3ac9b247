"""The public scope catalog pages: /scopes/ (search, filters) and /scopes/<key>/."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from scopes.models import Scope
from scopes.services.scope_edits import scope_edit
from tests import factories
from tests.apps_registry.review_helpers import make_catalog_manager
from tests.factories import EndpointFactory, ScopeFactory
from tests.scopes.catalog_data import (
    SCOPE_COUNT,
    forget_catalog_version,
)

pytestmark = pytest.mark.django_db

LIST_URL = reverse("scope-list")


def _listed_keys(response) -> list[str]:
    return [scope.key for scope in response.context["scopes"]]


def _messages(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_list_shows_every_active_scope_by_group_in_catalog_order(client, catalog):
    Scope.objects.filter(key="seller.promotion.write").update(is_active=False)

    response = client.get(LIST_URL)

    assert response.status_code == 200
    groups = [group for group, _ in response.context["scope_groups"]]
    assert groups[:4] == ["Shop", "Product", "Order", "Fulfillment"]
    assert groups[-1] == "Affiliate"
    assert len(_listed_keys(response)) == SCOPE_COUNT - 1
    assert "seller.promotion.write" not in _listed_keys(response)
    assert f"{SCOPE_COUNT - 1} scopes in 12 groups" in response.content.decode()


def test_list_item_shows_name_key_type_badge_description_and_endpoint_count(client, catalog):
    response = client.get(LIST_URL)

    html = response.content.decode()
    assert '<a href="/scopes/seller.product.write/">Product Modify</a>' in html
    assert "<code>seller.product.write</code>" in html
    assert "6 endpoints · Seller token" in html
    assert '<span class="badge badge-public">Public</span>' in html
    assert '<span class="badge badge-custom">Custom</span>' in html
    product_modify = next(s for s in response.context["scopes"] if s.key == "seller.product.write")
    assert product_modify.endpoint_count == 6


def test_search_inventory_finds_product_modify_through_its_update_inventory_endpoint(
    client, catalog
):
    response = client.get(LIST_URL, {"q": "inventory"})

    assert _listed_keys(response) == [
        "seller.product.basic",
        "seller.product.write",
        "seller.fbt.info",
        "seller.global_product.write",
    ]
    product_modify = response.context["scopes"][1]
    assert [e.title for e in product_modify.matched_endpoints] == ["Update Inventory"]
    html = response.content.decode()
    assert "<strong>Update Inventory</strong>" in html
    assert "4 scopes match “inventory”" in html


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Product Modify", ["seller.product.write", "seller.global_product.write"]),
        ("seller.order.info", ["seller.order.info"]),
        ("/product/202309/products/1729382256910270483", ["seller.product.basic"]),
        ("PUT /product/202509/products/1729382256910270483", ["seller.product.write"]),
        (
            "https://open-api.example.com/product/202309/products/1/inventory/update?x=1",
            ["seller.product.write"],
        ),
        ("/order/202309/orders", ["seller.order.info"]),
    ],
)
def test_search_matches_names_keys_endpoint_paths_and_pasted_calls(
    client, catalog, query, expected
):
    response = client.get(LIST_URL, {"q": query})

    assert _listed_keys(response) == expected


def test_group_and_type_filters_narrow_the_list(client, catalog):
    by_group = client.get(LIST_URL, {"group": "Customer Service"})
    custom_only = client.get(LIST_URL, {"kind": "custom"})
    both = client.get(LIST_URL, {"group": "Product", "kind": "public", "q": "delete"})

    assert _listed_keys(by_group) == list(
        Scope.objects.filter(group="Customer Service").values_list("key", flat=True)
    )
    assert _listed_keys(custom_only) == list(
        Scope.objects.filter(kind="custom").values_list("key", flat=True)
    )
    assert len(_listed_keys(custom_only)) == 18
    assert _listed_keys(both) == ["seller.product.delete"]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (
            {"group": "Nope"},
            "The group filter was ignored: “Nope” is not a group in the catalog.",
        ),
        (
            {"kind": "secret"},
            "The type filter was ignored: “secret” is not a type; use public or custom.",
        ),
        (
            {"q": "x" * 201},
            "The search was ignored: it is longer than 200 characters.",
        ),
    ],
)
def test_invalid_filter_is_ignored_with_a_message(client, catalog, params, message):
    response = client.get(LIST_URL, params)

    assert response.status_code == 200
    assert _messages(response) == [message]
    assert len(_listed_keys(response)) == SCOPE_COUNT


def test_invalid_filter_keeps_the_valid_ones(client, catalog):
    response = client.get(LIST_URL, {"group": "Nope", "kind": "custom"})

    assert len(_listed_keys(response)) == 18
    assert {scope.kind for scope in response.context["scopes"]} == {"custom"}


def test_repeated_and_odd_parameters_do_not_fail(client, catalog):
    response = client.get(f"{LIST_URL}?group=Shop&group=Product&kind=&q=&page=x")

    assert response.status_code == 200


def test_a_nul_character_in_the_address_is_a_400_that_says_so(client, catalog):
    response = client.get(f"{LIST_URL}?q=%00")

    assert response.status_code == 400
    assert "contains a NUL character (%00)" in response.text


def test_no_match_shows_an_empty_state_with_a_way_to_clear_filters(client, catalog):
    response = client.get(LIST_URL, {"q": "no such thing anywhere"})

    html = response.content.decode()
    assert response.context["scopes"] == []
    assert "No scopes match" in html
    assert f'<a class="button" href="{LIST_URL}">Clear filters and show every scope</a>' in html


def test_search_form_is_a_labelled_get_form_with_a_submit_button(client, catalog):
    html = client.get(LIST_URL).content.decode()

    assert f'<form method="get" action="{LIST_URL}"' in html
    assert '<label for="id_q">Search scopes and APIs</label>' in html
    assert '<label for="id_group">Group</label>' in html
    assert '<label for="id_kind">Type</label>' in html
    assert '<button type="submit">Search</button>' in html


@pytest.mark.parametrize("query", [{}, {"q": "thing", "kind": "public"}, {"q": "/test/"}])
def test_list_query_count_does_not_grow_with_the_catalog(client, query):
    # The first request of a catalog version renders the list (and builds what each process
    # keeps per version); the factories write past the catalog services, so the test moves the
    # version on itself.
    scopes = ScopeFactory.create_batch(3)
    EndpointFactory(scopes=scopes)
    with CaptureQueriesContext(connection) as few:
        client.get(LIST_URL, query)
    more = ScopeFactory.create_batch(30, group="Finance")
    EndpointFactory.create_batch(10, scopes=more)
    forget_catalog_version()

    with CaptureQueriesContext(connection) as many:
        response = client.get(LIST_URL, query)

    assert len(many) == len(few)
    assert len(response.context["scopes"]) == 33


@pytest.mark.parametrize("count", [1, 41])
@pytest.mark.parametrize("query", ["", "?q=thing", "?group=Product&kind=public"])
def test_catalog_page_queries_do_not_grow_with_the_catalog(
    client, count, query, django_assert_max_num_queries
):
    factories.add_catalog_scopes(count)

    with django_assert_max_num_queries(3):
        assert client.get(f"/scopes/{query}").status_code == 200


@pytest.mark.parametrize("query", ["", "?group=Product&kind=public", "?page=2"])
def test_a_repeated_catalog_page_makes_no_query(client, catalog, query, django_assert_num_queries):
    first = client.get(f"{LIST_URL}{query}")

    with django_assert_num_queries(0):
        again = client.get(f"{LIST_URL}{query}")

    assert again.content.decode() == first.content.decode()


def test_each_filter_keeps_its_own_list(client, catalog, django_assert_num_queries):
    client.get(LIST_URL)
    client.get(LIST_URL, {"kind": "custom"})

    with django_assert_num_queries(0):
        every = client.get(LIST_URL).content.decode()
        custom = client.get(LIST_URL, {"kind": "custom"}).content.decode()

    assert f"{SCOPE_COUNT} scopes in 12 groups" in every
    assert "18 scopes match · Custom only" in custom


def test_a_catalog_edit_shows_on_the_next_request(
    client, catalog, django_capture_on_commit_callbacks
):
    manager = make_catalog_manager()
    client.get(LIST_URL)

    with django_capture_on_commit_callbacks(execute=True):
        scope_edit(
            scope_id=Scope.objects.get(key="seller.product.write").pk,
            changes={"description": "The Partner will be able to rewrite listings."},
            actor=manager,
        )
        scope_edit(
            scope_id=Scope.objects.get(key="seller.promotion.write").pk,
            changes={"is_active": False},
            actor=manager,
        )
    response = client.get(LIST_URL)

    html = response.content.decode()
    assert "The Partner will be able to rewrite listings." in html
    assert "<code>seller.promotion.write</code>" not in html
    assert f"{SCOPE_COUNT - 1} scopes in 12 groups" in html


def test_the_shared_list_carries_nothing_of_the_visitor(
    client, catalog, seller, django_assert_num_queries
):
    anonymous = client.get(LIST_URL).content.decode()
    client.force_login(seller)
    signed_in = client.get(LIST_URL, {"group": "Nope"})
    client.logout()

    with django_assert_num_queries(0):
        anonymous_again = client.get(LIST_URL)

    assert "Sign out" in signed_in.content.decode()
    assert "csrfmiddlewaretoken" in signed_in.content.decode()
    assert _messages(signed_in) == [
        "The group filter was ignored: “Nope” is not a group in the catalog."
    ]
    assert anonymous_again.content.decode() == anonymous
    assert "Sign out" not in anonymous
    assert "csrfmiddlewaretoken" not in anonymous
    assert _messages(anonymous_again) == []


@pytest.mark.parametrize("query", [{"q": "inventory"}, {"kind": "secret"}])
def test_searches_and_refused_filters_are_never_kept_in_the_shared_cache(client, catalog, query):
    # Search text is anyone's free input, as is a refused value: keeping each one would let
    # anyone fill the shared cache.
    client.get(LIST_URL, query)

    with CaptureQueriesContext(connection) as repeated:
        response = client.get(LIST_URL, query)

    assert len(repeated) > 0
    assert response.status_code == 200


def test_detail_shows_the_scope_its_consent_text_and_endpoints(client, catalog):
    response = client.get(reverse("scope-detail", args=["seller.product.write"]))

    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Product Modify</h1>" in html
    assert "<code>seller.product.write</code>" in html
    assert "What sellers see on the consent page" in html
    assert (
        "Create and edit your products, update their prices and inventory, and replicate them "
        "to your other shops." in html
    )
    assert "<dt>Token type</dt><dd>Seller</dd>" in html
    assert [e.title for e in response.context["endpoints"]] == [
        "Create Product",
        "Update Inventory",
        "Update Price",
        "Replicate Product",
        "Edit Product",
        "Partial Edit Product",
    ]
    assert "<td>Update Inventory</td>" in html
    assert "Approval" not in html


def test_detail_of_a_custom_scope_says_whether_it_needs_dual_approval(client):
    single = ScopeFactory(kind=Scope.Kind.CUSTOM, requires_dual_approval=False)
    dual = ScopeFactory(kind=Scope.Kind.CUSTOM, requires_dual_approval=True)

    single_html = client.get(reverse("scope-detail", args=[single.key])).content.decode()
    dual_html = client.get(reverse("scope-detail", args=[dual.key])).content.decode()

    assert '<span class="badge badge-custom">Custom</span>' in dual_html
    assert "Needs two different reviewers (dual approval)" in dual_html
    assert "One reviewer decides" in single_html


@pytest.mark.parametrize("key", ["seller.nowhere.read", "<script>alert(1)"])
def test_unknown_scope_is_a_404_page_with_the_key_escaped(client, catalog, key):
    response = client.get(reverse("scope-detail", args=[key]))

    html = response.content.decode()
    assert response.status_code == 404
    assert "The catalog has no active scope with this key." in html
    assert "<script>alert(1)" not in html
    assert f'value="{key.replace("<", "&lt;").replace(">", "&gt;")}"' in html


def test_inactive_scope_is_a_404_page(client, catalog):
    Scope.objects.filter(key="seller.product.write").update(is_active=False)

    response = client.get(reverse("scope-detail", args=["seller.product.write"]))

    assert response.status_code == 404


def test_a_mistyped_scope_key_still_gets_the_catalogs_own_not_found_page(client):
    response = client.get("/scopes/seller.no_such.scope/")

    assert response.status_code == 404
    assert "seller.no_such.scope" in response.text


def test_detail_query_count_does_not_grow_with_endpoints(client):
    scope = ScopeFactory()
    EndpointFactory.create_batch(2, scopes=[scope])
    url = reverse("scope-detail", args=[scope.key])
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    EndpointFactory.create_batch(25, scopes=[scope])

    with CaptureQueriesContext(connection) as many:
        response = client.get(url)

    assert len(response.context["endpoints"]) == 27
    assert len(many) == len(few)


@pytest.mark.parametrize("count", [1, 41])
def test_scope_detail_queries_do_not_grow_with_its_endpoints(
    client, count, django_assert_max_num_queries
):
    scope = factories.ScopeFactory(key="seller.product.basic")
    for _ in range(count):
        factories.EndpointFactory(scopes=[scope])

    with django_assert_max_num_queries(2):
        assert client.get("/scopes/seller.product.basic/").status_code == 200
