"""Endpoint matching must not slow down as the catalog grows.

Builds the production index (scopes.matching.EndpointIndex) from the 214 real endpoints and from
the same endpoints plus 20,000 synthetic ones shaped like the real API (modules, dated versions,
resources, path parameters, actions), then times the same mix of real calls against both.
Runs alternate between the two indexes and the fastest run of each counts, so noise from the
machine hits both alike. Target: large / small ≤ 1.2.
"""

from __future__ import annotations

import gc
import json
import random
import re
import time
from pathlib import Path

from bench.ratios import Ratio
from scopes.matching import EndpointIndex, EndpointRow

CATALOG = Path(__file__).resolve().parent.parent / "scopes" / "catalog" / "catalog.json"
SYNTHETIC_ENDPOINTS = 20_000
TARGET_RATIO = 1.2
LOOKUPS_PER_RUN = 10_000
RUNS = 40

MODULES = [
    "product", "order", "fulfillment", "logistics", "finance", "promotion", "return_refund",
    "customer_service", "analytics", "affiliate_seller", "affiliate_creator", "affiliate_partner",
    "seller", "authorization", "event", "fbt", "supply_chain", "customer_engagement",
]  # fmt: skip
RESOURCES = [
    "products", "orders", "packages", "shipments", "warehouses", "statements", "activities",
    "coupons", "returns", "cancellations", "conversations", "campaigns", "creators", "samples",
    "videos", "lives", "skus", "categories", "brands", "attributes", "images", "files",
    "invoices", "payments", "withdrawals", "webhooks", "reviews", "bundles", "combos", "tasks",
]  # fmt: skip
ACTIONS = ["search", "update", "cancel", "ship", "recover", "activate", "deactivate", "detail",
           "partial_edit", "list", "sync", "upload", "translate", "audit", "export"]  # fmt: skip
METHODS = ["GET", "POST", "PUT", "DELETE"]


def real_rows() -> list[EndpointRow]:
    data = json.loads(CATALOG.read_text(encoding="utf-8"))
    return [
        EndpointRow(
            endpoint_id=number,
            method=entry["method"],
            path=entry["path"],
            title=entry["title"],
            needs_shop=entry.get("needs_shop", True),
            scope_keys=frozenset(entry["scopes"]),
        )
        for number, entry in enumerate(data["endpoints"], start=1)
    ]


def template_shape(method: str, path: str) -> tuple[str, str]:
    """Two templates with the same shape match the same calls: the catalog refuses the pair."""
    return method, re.sub(r"\{[^}]+\}", "{}", path)


def synthetic_rows(
    count: int, taken: set[tuple[str, str]], rng: random.Random
) -> list[EndpointRow]:
    """Endpoints like `/order/202411/packages/{package_id}/invoices/{invoice_id}/sync`."""
    rows: list[EndpointRow] = []
    while len(rows) < count:
        module = rng.choice(MODULES)
        version = f"20{rng.randint(20, 30)}{rng.randint(1, 12):02d}"
        segments = [module, version]
        for _ in range(rng.randint(1, 3)):
            resource = rng.choice(RESOURCES)
            segments.append(resource)
            if rng.random() < 0.6:
                segments.append("{" + resource.rstrip("s") + "_id}")
        if rng.random() < 0.5:
            segments.append(rng.choice(ACTIONS))
        method = rng.choice(METHODS)
        path = "/" + "/".join(segments)
        shape = template_shape(method, path)
        if shape in taken:
            continue
        taken.add(shape)
        rows.append(
            EndpointRow(
                endpoint_id=100_000 + len(rows),
                method=method,
                path=path,
                title=f"Synthetic {len(rows)}",
                needs_shop=True,
                scope_keys=frozenset({f"seller.synthetic_{len(rows) % 50}"}),
            )
        )
    return rows


def concrete_call(row: EndpointRow, rng: random.Random) -> tuple[str, str]:
    """A call a partner app would make: parameters filled in, sometimes a query string."""
    path = re.sub(r"\{[^}]+\}", lambda _: str(rng.randint(10**17, 10**19)), row.path)
    if rng.random() < 0.3:
        path += "?shop_cipher=ROW_abc123&version=202309"
    return row.method.lower() if rng.random() < 0.1 else row.method, path


def time_lookups(index: EndpointIndex, calls: list[tuple[str, str]]) -> float:
    match = index.match
    # A collection in the middle of one run but not the other would be noise, not matching.
    gc.disable()
    try:
        started = time.perf_counter()
        for method, path in calls:
            match(method, path)
        return time.perf_counter() - started
    finally:
        gc.enable()


def run() -> list[Ratio]:
    rng = random.Random(20240601)
    real = real_rows()
    taken = {template_shape(row.method, row.path) for row in real}
    small = EndpointIndex(real)
    large = EndpointIndex(real + synthetic_rows(SYNTHETIC_ENDPOINTS, taken, rng))
    calls = [concrete_call(rng.choice(real), rng) for _ in range(LOOKUPS_PER_RUN)]
    # A few misses: unknown paths and wrong methods are part of the gateway's traffic too.
    calls += [("GET", "/product/202309/unknown/1"), ("DELETE", "/order/202309/orders")] * 200
    rng.shuffle(calls)

    # Both indexes must answer every call identically before their speed means anything.
    for method, path in calls[:2000]:
        assert small.match(method, path) == large.match(method, path), (method, path)

    best_small = best_large = float("inf")
    for _ in range(RUNS):
        best_small = min(best_small, time_lookups(small, calls))
        best_large = min(best_large, time_lookups(large, calls))
    per_lookup_us = best_small / len(calls) * 1e6
    print(
        f"matching: {small.size} endpoints {per_lookup_us:.2f} µs/lookup, "
        f"{large.size} endpoints {best_large / len(calls) * 1e6:.2f} µs/lookup"
    )
    name = f"matching large/small ({large.size} vs {small.size} endpoints)"
    return [Ratio.at_most(name, best_large / best_small, TARGET_RATIO)]
