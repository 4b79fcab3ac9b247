"""Two catalog loads at once run one after the other (PostgreSQL row locks, real threads)."""

from __future__ import annotations

import pytest

from scopes.models import Endpoint, ScopeChange
from scopes.services.catalog_loading import catalog_load
from tests.concurrency import race
from tests.scopes.catalog_data import ENDPOINT_COUNT, real_catalog_data


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_loads_of_the_same_change_apply_it_once():
    catalog_load(data=real_catalog_data())
    data = real_catalog_data()
    entry = next(s for s in data["scopes"] if s["key"] == "seller.shop.info")
    entry["description"] = "Global shops."
    entry["name"] = "Global Shops"  # a weakening change: proposed, once
    data["endpoints"].append(
        {**data["endpoints"][0], "path": "/product/202601/brand_new", "scopes": []}
    )

    def load():
        return catalog_load(data=data)

    reports = race(load, load)

    assert sorted(len(report.scopes_updated) for report in reports) == [0, 1]
    assert sorted(len(report.endpoints_created) for report in reports) == [0, 1]
    assert Endpoint.objects.count() == ENDPOINT_COUNT + 1
    assert list(ScopeChange.objects.values_list("field", "new_value")) == [("name", "Global Shops")]
