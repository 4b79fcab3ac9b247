"""The Manage API page: scopes in catalog groups that open and close, each counted over the whole
group; the save bar's count of unsaved changes; the ?q= search (the catalog's matcher, pasted
calls included) that lists only the matches; and a number of queries that does not grow with the
catalog or the search."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps_registry.models import AppScope
from scopes.models import Scope
from tests import factories

pytestmark = pytest.mark.django_db

CATALOG_GROUPS = [
    ("Shop", 2),
    ("Product", 4),
    ("Order", 4),
    ("Fulfillment", 4),
    ("Logistics", 1),
    ("Return & Refund", 1),
    ("Finance", 1),
    ("Promotion", 2),
    ("Global Product", 4),
    ("Analytics", 1),
    ("Customer Service", 3),
    ("Affiliate", 14),
]


def choose(app, key: str, *, required: bool) -> None:
    factories.AppScopeFactory(app=app, scope=Scope.objects.get(key=key), is_required=required)


def page_url(app) -> str:
    return f"/console/apps/{app.pk}/api/"


def sections(response) -> list[tuple[str, int, int, bool]]:
    """(group, selected, scopes in the group, open) for each section the page shows."""
    return [
        (section.name, section.selected_count, section.scope_count, section.is_open)
        for section in response.context["sections"]
    ]


def listed_keys(response) -> list[str]:
    return [
        choice.row.scope.key
        for section in response.context["sections"]
        for choice in section.choices
    ]


def details_tag(response, group: str) -> str:
    return re.search(rf'<details class="scope-section" data-group="{group}"[^>]*>', response.text)[
        0
    ]


def test_scopes_are_grouped_in_catalog_order_and_only_groups_with_a_choice_open(
    client, app, catalog
):
    choose(app, "seller.product.basic", required=True)
    choose(app, "seller.product.write", required=False)
    choose(app, "seller.order.info", required=True)

    response = client.get(page_url(app))

    assert response.status_code == 200
    expected = {"Product": 2, "Order": 1}
    assert sections(response) == [
        (name, expected.get(name, 0), count, name in expected) for name, count in CATALOG_GROUPS
    ]
    assert len(listed_keys(response)) == 41
    assert details_tag(response, "Product").endswith(" open>")
    assert not details_tag(response, "Shop").endswith(" open>")
    assert "<span data-selected-count>2</span> of 4 selected" in response.text
    assert "<span data-selected-count>0</span> of 14 selected" in response.text
    assert "No unsaved changes" in response.text
    # What the page's script compares each choice with, and where it asks for a search.
    assert (
        'data-scope="seller.product.write" data-group="Product" data-status="available" '
        'data-saved="optional"' in response.text
    )
    assert (
        'data-scope="seller.finance.info" data-group="Finance" data-status="available" '
        'data-saved=""' in response.text
    )
    assert f'data-search-url="/api/v1/apps/{app.pk}/scopes/"' in response.text
    assert 'data-lists-every-scope="true"' in response.text
    assert "Only the scopes shown are changed" not in response.text


def test_an_app_that_asks_for_no_scope_yet_sees_every_group_open(client, app, catalog):
    response = client.get(page_url(app))

    assert [is_open for *_, is_open in sections(response)] == [True] * len(CATALOG_GROUPS)


def test_a_refused_save_keeps_the_groups_with_unsaved_changes_open_and_counts_them(
    client, app, catalog
):
    choose(app, "seller.product.basic", required=True)
    everything_as_saved = dict.fromkeys(client.get(page_url(app)).context["form"].fields, "")
    posted = {
        **everything_as_saved,
        "scope:seller.product.basic": "required",
        "scope:seller.finance.info": "optional",
        "scope:seller.logistics": "required",
        "scope:seller.customer_service": "required",  # Custom, not approved: the save is refused
    }

    response = client.post(page_url(app), posted)

    assert response.status_code == 400
    assert "not available to this app: seller.customer_service" in response.text
    assert response.context["unsaved_count"] == 2
    assert "2 unsaved changes" in response.text
    open_sections = [
        (name, selected) for name, selected, _, is_open in sections(response) if is_open
    ]
    assert open_sections == [("Product", 1), ("Logistics", 1), ("Finance", 1)]
    assert list(AppScope.objects.filter(app=app).values_list("scope__key", flat=True)) == [
        "seller.product.basic"
    ]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("/product/202309/products/search", ["seller.product.basic"]),
        ("GET /order/202407/orders/{order_id}/price_detail", ["seller.order.info"]),
        ("POST /order/202309/orders/search", ["seller.order.info"]),
        ("conversations", ["seller.customer_service", "seller.affiliate_messages.write"]),
        ("seller.product.", [
            "seller.product.basic", "seller.product.write", "seller.product.delete"
        ]),
    ],
)  # fmt: skip
def test_the_search_lists_what_the_catalog_search_finds(client, app, catalog, query, expected):
    catalog_page = client.get("/scopes/", {"q": query})

    response = client.get(page_url(app), {"q": query})

    assert response.status_code == 200
    assert listed_keys(response) == expected
    assert [scope.key for scope in catalog_page.context["scopes"]] == expected
    assert all(is_open for *_, is_open in sections(response))
    assert 'data-lists-every-scope="false"' in response.text
    assert "Only the scopes shown are changed" in response.text


def test_a_searched_group_still_counts_the_choices_it_does_not_list(client, app, catalog):
    choose(app, "seller.product.basic", required=True)
    choose(app, "seller.product.write", required=False)
    choose(app, "seller.order.info", required=True)

    response = client.get(page_url(app), {"q": "/product/202309/products/search"})

    assert sections(response) == [("Product", 2, 4, True)]
    assert listed_keys(response) == ["seller.product.basic"]
    assert 'data-group="Product" data-unlisted-selected="1" open>' in response.text
    assert "1 scope matching “/product/202309/products/search”" in response.text


def test_a_search_that_finds_nothing_says_so_and_keeps_the_form(client, app, catalog):
    response = client.get(page_url(app), {"q": "no scope has this"})

    assert response.context["sections"] == []
    assert "No scope matches" in response.text
    assert "data-no-match hidden" not in response.text


def test_group_and_status_filters_list_their_matches(client, app, catalog):
    response = client.get(page_url(app), {"group": "Customer Service", "status": "not_applied"})

    assert listed_keys(response) == [
        "seller.customer_service",
        "seller.customer_engagement.read",
        "seller.customer_engagement.write",
    ]
    assert sections(response) == [("Customer Service", 0, 3, True)]


def _queries_for(client, url: str, params: dict) -> int:
    """Queries of one request, once a first request has read what the process keeps per catalog
    version (the index that matches a pasted call)."""
    client.get(url, params)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, params).status_code == 200
    return len(queries)


@pytest.mark.parametrize("params", [{}, {"q": "seller"}, {"q": "GET /product/202309/products/1"}])
def test_the_page_makes_the_same_queries_for_one_scope_as_for_forty_one(client, app, params):
    def add_scope(index: int) -> None:
        scope = (factories.CustomScopeFactory if index % 2 else factories.ScopeFactory)(
            key=f"seller.test_{index}", group=f"Group {index % 5}"
        )
        factories.EndpointFactory(path=f"/product/202309/products/{{product_id}}/x{index}",
                                  scopes=[scope])  # fmt: skip
        if index % 2:
            factories.ApprovedAccessRequestFactory(app=app, scope=scope)
        factories.AppScopeFactory(app=app, scope=scope, is_required=bool(index % 3))

    add_scope(0)
    one_scope = _queries_for(client, page_url(app), params)
    for index in range(1, 41):
        add_scope(index)
    forty_one_scopes = _queries_for(client, page_url(app), params)

    assert forty_one_scopes == one_scope
