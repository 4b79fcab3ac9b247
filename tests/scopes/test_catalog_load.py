"""Loading the catalog file: idempotent, reports changes, never deletes scopes, all-or-nothing."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from scopes.errors import CatalogFileError
from scopes.models import Endpoint, Scope
from scopes.services.catalog_loading import catalog_load
from tests.factories import AppScopeFactory
from tests.scopes.catalog_data import ENDPOINT_COUNT, SCOPE_COUNT, real_catalog_data

pytestmark = pytest.mark.django_db

PRODUCT_MODIFY_DESCRIPTION = (
    "The Partner will be able to manage seller's product information, by having access to "
    "listing of products, to edit product attributes, to change product status and to sync "
    "product inventory, etc."
)
EMPTY_SCOPE_ENDPOINT = ("GET", "/affiliate_creator/202512/samples/deeplink")

# The 18 scopes of the seed document: (key, name, description); all of them are Public.
SEED_SCOPES = [
    ("seller.authorization.info", "Shop Authorized Information",
     "The Partner will have access to the seller's TikTok Shop shop ID(s)."),
    ("seller.product.basic", "Product Basic",
     "The Partner will be able to sync product information to seller's TikTok Shop(s)."),
    ("seller.product.write", "Product Modify", PRODUCT_MODIFY_DESCRIPTION),
    ("seller.product.delete", "Product Delete & Recover",
     "The partner will be able to manage seller's products, delete and recover from the "
     "showcase."),
    ("seller.order.info", "Order Information",
     "The Partner will be able to have access to all of seller's order data in real-time via "
     "API."),
    ("seller.fulfillment.basic", "Fulfillment Basic",
     "The Partner will be able to fulfil and manage orders on seller's behalf, and provide "
     "real-time updates on the status of seller's orders."),
    ("seller.fulfillment.package.write", "Package Split And Combine",
     "The Partner will be able to split and combine orders on seller's behalf."),
    ("seller.delivery.status.write", "Update Delivery Status",
     "The Partner will be able to push a package to delivered status for seller which has "
     "transport capacity (3PL shipping)."),
    ("seller.logistics", "Logistics Basic",
     "The Partner will be able to get seller's logistics and warehouse information."),
    ("seller.return_refund.basic", "Return & Refund Basic",
     "The Partner will be able to manage seller's return and refund requests."),
    ("seller.finance.info", "Finance Information",
     "The Partner will be able to have access to transaction and settlement amount information "
     "by order, and reconcile seller's settlements from TikTok Shop against the orders."),
    ("seller.promotion.info", "Promotion Information",
     "The Partner will be able to obtain seller's promotion list and promotion event details."),
    ("seller.promotion.write", "Promotion Modify",
     "The Partner will be able to create and manage seller's discounts and promotions on TikTok "
     "Shop."),
    ("seller.shop.info", "Global Shop Information",
     "The Partner will be able to access seller's global shop information."),
    ("seller.global_product.info", "Global Product Information",
     "The Partner will be able to access seller's global product information."),
    ("seller.global_product.write", "Global Product Modify",
     "The Partner will be able to manage seller's global product information, etc."),
    ("seller.global_product.delete", "Global Product Delete",
     "The Partner will be able to delete global products on seller's behalf."),
    ("seller.global_product.category.info", "Global Category Information",
     "The Partner will be able to access seller's global product category information."),
]  # fmt: skip


def _scope_entry(data: dict, key: str) -> dict:
    return next(entry for entry in data["scopes"] if entry["key"] == key)


def _link_count() -> int:
    return Endpoint.scopes.through.objects.count()


def test_first_load_creates_every_scope_endpoint_and_link():
    data = real_catalog_data()

    report = catalog_load(data=data)

    assert len(report.scopes_created) == SCOPE_COUNT
    assert len(report.endpoints_created) == ENDPOINT_COUNT
    assert report.scopes_updated == {}
    assert report.scopes_deactivated == []
    assert report.endpoints_removed == []
    assert Scope.objects.filter(is_active=True).count() == SCOPE_COUNT
    assert Endpoint.objects.count() == ENDPOINT_COUNT
    assert _link_count() == sum(len(entry["scopes"]) for entry in data["endpoints"])
    product_modify = Scope.objects.get(key="seller.product.write")
    assert product_modify.name == "Product Modify"
    assert product_modify.position == 40
    assert set(
        Endpoint.objects.get(
            method="POST", path="/product/202309/products/{product_id}/inventory/update"
        ).scopes.values_list("key", flat=True)
    ) == {"seller.product.write"}


def test_endpoint_without_scopes_is_kept_with_no_scope():
    catalog_load(data=real_catalog_data())

    endpoint = Endpoint.objects.get(method=EMPTY_SCOPE_ENDPOINT[0], path=EMPTY_SCOPE_ENDPOINT[1])

    assert endpoint.title == "Creator Get Sample Request Deeplink"
    assert list(endpoint.scopes.all()) == []


@pytest.mark.parametrize(("key", "name", "description"), SEED_SCOPES)
def test_seed_scopes_keep_their_public_type_and_description(key, name, description):
    catalog_load(data=real_catalog_data())

    scope = Scope.objects.get(key=key)

    assert (scope.name, scope.kind, scope.description) == (name, Scope.Kind.PUBLIC, description)


def test_second_load_reports_no_changes():
    catalog_load(data=real_catalog_data())

    report = catalog_load(data=real_catalog_data())

    assert report.has_changes is False
    assert len(report.scopes_unchanged) == SCOPE_COUNT
    assert len(report.endpoints_unchanged) == ENDPOINT_COUNT
    assert (report.scopes_created, report.endpoints_created) == ([], [])
    assert (report.scopes_updated, report.endpoints_updated) == ({}, {})
    assert Scope.objects.count() == SCOPE_COUNT
    assert Endpoint.objects.count() == ENDPOINT_COUNT


def test_changed_description_is_updated_and_reported():
    catalog_load(data=real_catalog_data())
    data = real_catalog_data()
    _scope_entry(data, "seller.product.write")["description"] = "Manage the seller's products."

    report = catalog_load(data=data)

    assert report.scopes_updated == {"seller.product.write": ["description"]}
    assert len(report.scopes_unchanged) == SCOPE_COUNT - 1
    assert Scope.objects.get(key="seller.product.write").description == (
        "Manage the seller's products."
    )


def test_scope_missing_from_file_is_deactivated_not_deleted_even_when_in_use():
    catalog_load(data=real_catalog_data())
    in_use = AppScopeFactory(scope=Scope.objects.get(key="seller.promotion.info"))
    data = real_catalog_data()
    data["scopes"] = [e for e in data["scopes"] if e["key"] != "seller.promotion.info"]
    for endpoint in data["endpoints"]:
        endpoint["scopes"] = [key for key in endpoint["scopes"] if key != "seller.promotion.info"]

    report = catalog_load(data=data)

    assert report.scopes_deactivated == ["seller.promotion.info"]
    scope = Scope.objects.get(key="seller.promotion.info")
    assert scope.is_active is False
    assert Scope.objects.count() == SCOPE_COUNT
    assert scope.endpoints.count() == 0
    in_use.refresh_from_db()
    assert in_use.scope_id == scope.pk


def test_scope_back_in_the_file_is_reactivated():
    catalog_load(data=real_catalog_data())
    Scope.objects.filter(key="seller.promotion.info").update(is_active=False)

    report = catalog_load(data=real_catalog_data())

    assert report.scopes_updated == {"seller.promotion.info": ["is_active"]}
    assert Scope.objects.get(key="seller.promotion.info").is_active is True


def test_endpoint_missing_from_file_is_removed_and_changed_links_are_reported():
    catalog_load(data=real_catalog_data())
    data = real_catalog_data()
    removed = data["endpoints"].pop(0)
    relinked = next(
        e for e in data["endpoints"] if e["path"] == "/product/202309/products/{product_id}"
    )
    relinked["scopes"] = ["seller.product.write"]

    report = catalog_load(data=data)

    assert report.endpoints_removed == [f"{removed['method']} {removed['path']}"]
    assert report.endpoints_updated == {
        f"{relinked['method']} /product/202309/products/{{product_id}}": ["scopes"]
    }
    assert Endpoint.objects.count() == ENDPOINT_COUNT - 1
    assert not Endpoint.objects.filter(method=removed["method"], path=removed["path"]).exists()
    assert list(
        Endpoint.objects.get(
            method=relinked["method"], path="/product/202309/products/{product_id}"
        ).scopes.values_list("key", flat=True)
    ) == ["seller.product.write"]


def _missing_name(data):
    del data["scopes"][0]["name"]


def _unknown_kind(data):
    data["scopes"][1]["kind"] = "secret"


def _unknown_token_type(data):
    data["scopes"][1]["token_type"] = "robot"


def _unknown_method(data):
    data["endpoints"][0]["method"] = "FETCH"


def _unknown_scope(data):
    data["endpoints"][0]["scopes"] = ["seller.nowhere.read"]


def _duplicate_scope_key(data):
    data["scopes"][1]["key"] = "seller.authorization.info"


def _duplicate_endpoint(data):
    data["endpoints"].append(dict(data["endpoints"][0]))


def _same_shape_endpoint(data):
    data["endpoints"].append(
        {**data["endpoints"][0], "path": "/product/202309/products/{id}", "method": "GET"}
    )


def _relative_path(data):
    data["endpoints"][0]["path"] = "product/202309/products"


def _misspelt_field(data):
    data["scopes"][0]["descripton"] = data["scopes"][0].pop("description")


def _scopes_not_a_list(data):
    data["scopes"] = {"seller.shop.info": {}}


MALFORMED = [
    (_missing_name, "scopes[0] (seller.authorization.info): missing field(s) name"),
    (
        _unknown_kind,
        "scopes[1] (seller.shop.info): unknown kind 'secret' (use one of public, custom)",
    ),
    (
        _unknown_token_type,
        "scopes[1] (seller.shop.info): unknown token_type 'robot' "
        "(use one of seller, creator, partner)",
    ),
    (
        _unknown_method,
        "endpoints[0] (FETCH /affiliate_creator/202405/open_collaborations/products/search): "
        "unknown method 'FETCH' (use one of GET, POST, PUT, PATCH, DELETE)",
    ),
    (
        _unknown_scope,
        "endpoints[0] (POST /affiliate_creator/202405/open_collaborations/products/search): "
        "unknown scope(s) seller.nowhere.read",
    ),
    (_duplicate_scope_key, "scopes[1]: duplicate key seller.authorization.info"),
    (
        _duplicate_endpoint,
        "endpoints[214]: POST /affiliate_creator/202405/open_collaborations/products/search "
        "duplicates POST /affiliate_creator/202405/open_collaborations/products/search",
    ),
    (
        _same_shape_endpoint,
        "endpoints[214]: GET /product/202309/products/{id} duplicates "
        "GET /product/202309/products/{product_id}",
    ),
    (
        _relative_path,
        "endpoints[0] (POST product/202309/products): path must start with '/' and name a resource",
    ),
    (
        _misspelt_field,
        "scopes[0] (seller.authorization.info): missing field(s) description",
    ),
    (_scopes_not_a_list, "'scopes' must be a list"),
]  # fmt: skip


@pytest.mark.parametrize(("break_data", "problem"), MALFORMED)
def test_malformed_catalog_is_rejected_with_its_problem_and_changes_nothing(break_data, problem):
    catalog_load(data=real_catalog_data())
    data = real_catalog_data()
    # A valid change in the same file must not be written either.
    _scope_entry(data, "seller.product.write")["description"] = "Changed."
    break_data(data)
    links_before = _link_count()

    with pytest.raises(CatalogFileError) as raised:
        catalog_load(data=data)

    assert problem in raised.value.problems
    assert f"  - {problem}" in str(raised.value)
    assert str(raised.value).startswith("The catalog file is invalid (")
    assert Scope.objects.count() == SCOPE_COUNT
    assert Endpoint.objects.count() == ENDPOINT_COUNT
    assert _link_count() == links_before
    assert Scope.objects.get(key="seller.product.write").description == PRODUCT_MODIFY_DESCRIPTION


def test_misspelt_field_also_names_the_unknown_field():
    data = real_catalog_data()
    _misspelt_field(data)

    with pytest.raises(CatalogFileError) as raised:
        catalog_load(data=data)

    assert raised.value.problems == [
        "scopes[0] (seller.authorization.info): missing field(s) description",
        "scopes[0] (seller.authorization.info): unknown field(s) descripton",
    ]
    assert Scope.objects.count() == 0


def test_command_loads_the_default_file_and_reports_counts():
    out = StringIO()

    call_command("load_scope_catalog", stdout=out)

    lines = out.getvalue().splitlines()
    assert lines[0] == (
        f"Scopes: {SCOPE_COUNT} created, 0 updated, 0 with changes proposed, 0 deactivated, "
        "0 unchanged."
    )
    assert lines[1] == f"Endpoints: {ENDPOINT_COUNT} created, 0 updated, 0 removed, 0 unchanged."
    assert "  created scope: seller.product.write" in lines
    assert not [line for line in lines if "endpoint:" in line]
    assert Scope.objects.count() == SCOPE_COUNT


def test_command_lists_each_endpoint_at_verbosity_two():
    out = StringIO()

    call_command("load_scope_catalog", verbosity=2, stdout=out)

    lines = out.getvalue().splitlines()
    assert "  created endpoint: GET /seller/202309/shops" in lines
    assert (
        len([line for line in lines if line.startswith("  created endpoint: ")]) == ENDPOINT_COUNT
    )


def test_command_second_run_says_up_to_date():
    call_command("load_scope_catalog", stdout=StringIO())
    out = StringIO()

    call_command("load_scope_catalog", stdout=out)

    assert out.getvalue().splitlines() == [
        f"Scopes: 0 created, 0 updated, 0 with changes proposed, 0 deactivated, "
        f"{SCOPE_COUNT} unchanged.",
        f"Endpoints: 0 created, 0 updated, 0 removed, {ENDPOINT_COUNT} unchanged.",
        "The catalog was already up to date.",
    ]


def test_command_reports_updated_scope_with_its_fields(tmp_path):
    call_command("load_scope_catalog", stdout=StringIO())
    data = real_catalog_data()
    _scope_entry(data, "seller.shop.info")["description"] = "Global shops."
    changed_file = tmp_path / "catalog.json"
    changed_file.write_text(json.dumps(data))
    out = StringIO()

    call_command("load_scope_catalog", str(changed_file), stdout=out)

    assert "  updated scope: seller.shop.info (description)" in out.getvalue().splitlines()


def test_command_says_which_changes_wait_for_a_catalog_manager_at_every_verbosity(tmp_path):
    call_command("load_scope_catalog", stdout=StringIO())
    data = real_catalog_data()
    _scope_entry(data, "seller.shop.info")["name"] = "Global Shops"
    _scope_entry(data, "seller.shop.info")["description"] = "Global shops."
    changed_file = tmp_path / "catalog.json"
    changed_file.write_text(json.dumps(data))
    out, quiet = StringIO(), StringIO()

    call_command("load_scope_catalog", str(changed_file), stdout=out)
    call_command("load_scope_catalog", str(changed_file), stdout=quiet, verbosity=0)

    assert out.getvalue().splitlines() == [
        f"Scopes: 0 created, 1 updated, 1 with changes proposed, 0 deactivated, "
        f"{SCOPE_COUNT - 1} unchanged.",
        f"Endpoints: 0 created, 0 updated, 0 removed, {ENDPOINT_COUNT} unchanged.",
        "  updated scope: seller.shop.info (description)",
        "  proposed scope change: seller.shop.info (name)",
        "1 change(s) wait for a catalog manager to confirm or cancel them "
        "(admin: Scope catalog › Scope changes):",
        "  pending: seller.shop.info: name",
        "Catalog loaded.",
    ]
    # Nothing new on the second run, but the change still waits and is said.
    assert quiet.getvalue().splitlines() == [
        f"Scopes: 0 created, 0 updated, 0 with changes proposed, 0 deactivated, "
        f"{SCOPE_COUNT} unchanged.",
        f"Endpoints: 0 created, 0 updated, 0 removed, {ENDPOINT_COUNT} unchanged.",
        "1 change(s) wait for a catalog manager to confirm or cancel them "
        "(admin: Scope catalog › Scope changes):",
        "  pending: seller.shop.info: name",
    ]


def test_command_rejects_invalid_json_and_changes_nothing(tmp_path):
    broken = tmp_path / "catalog.json"
    broken.write_text('{"scopes": [')

    with pytest.raises(CommandError) as raised:
        call_command("load_scope_catalog", str(broken), stdout=StringIO())

    assert str(raised.value) == (
        f"{broken} is not valid JSON: Expecting value at line 1, column 13. Nothing was changed."
    )
    assert Scope.objects.count() == 0


def test_command_rejects_malformed_catalog_naming_the_problem(tmp_path):
    data = real_catalog_data()
    _unknown_kind(data)
    bad = tmp_path / "catalog.json"
    bad.write_text(json.dumps(data))

    with pytest.raises(CommandError) as raised:
        call_command("load_scope_catalog", str(bad), stdout=StringIO())

    assert str(raised.value) == (
        f"{bad}: The catalog file is invalid (1 problem(s)); nothing was changed:\n"
        "  - scopes[1] (seller.shop.info): unknown kind 'secret' (use one of public, custom)"
    )
    assert (Scope.objects.count(), Endpoint.objects.count()) == (0, 0)


def test_command_names_a_missing_file(tmp_path):
    missing = tmp_path / "nope.json"

    with pytest.raises(CommandError) as raised:
        call_command("load_scope_catalog", str(missing), stdout=StringIO())

    assert str(raised.value) == f"Cannot read {missing}: No such file or directory"
