"""The console's token paths under load, beside what a Django team would use instead (ADR 0016).

One run, one server: gunicorn with 2 sync workers and production settings (no DJANGO_DEBUG, no
DJANGO_TESTING; persistent database connections, Redis cache, HTTPS settings with requests marked
`X-Forwarded-Proto: https` as a TLS-terminating proxy marks them) on PostgreSQL, serving the
console's URLs plus bench/urls.py's stock views. bench/http_load/seed.py prepares a fresh database
with 100,000 access tokens. Each scenario is checked once with urllib (a wrong answer is shown in
full) and warmed up, then loaded by wrk at 8 connections in two rounds through all scenarios, the
faster round counting; the Lua script checks every response's status, and one unexpected
response fails the scenario. Prints requests/s and p50/p99 latency per scenario, then the ratios
with their targets.

Environment: BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/bench_console; it is
dropped and re-created, so its name must start with "bench"), BENCH_REDIS_URL (default
redis://127.0.0.1:6379/5; emptied), BENCH_SECONDS (12 per scenario) and BENCH_WARMUP_SECONDS (2),
BENCH_SCENARIOS (comma-separated names or name prefixes, e.g. `trivial,gate`; default all).
"""

from __future__ import annotations

import base64
import json
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench.http_load import server
from bench.http_load.server import PROXY
from bench.http_load.wrk import Measurement, Scenario, check_once, run_wrk
from bench.ratios import Ratio

DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench_console"
)
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/5")
SECONDS = float(os.environ.get("BENCH_SECONDS", "12"))
WARMUP_SECONDS = float(os.environ.get("BENCH_WARMUP_SECONDS", "2"))
# SECONDS are split over rounds through every scenario (see measure_all).
ROUNDS = 2
WORKERS = 2
SYNTHETIC_ENDPOINTS = 20_000
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
# Gate calls: one the token's Public scope unlocks on the authorized shop, one it does not.
GATE_ALLOWED_CALL = ("GET", "/product/202309/products/123")
GATE_DENIED_CALL = ("GET", "/order/202407/orders/123/price_detail")


@dataclass(frozen=True)
class Target:
    name: str
    measured: str
    reference: str
    at_least: float


TARGETS = [
    Target("console introspection / DOT's IntrospectTokenView", "console_introspect",
           "dot_introspect", 2.0),
    Target("shops API / DOT TokenHasScope view", "shops", "token_has_scope", 1.0),
    Target("refresh with rotation / trivial view", "refresh", "trivial", 0.1),
    Target("gate allow / trivial view (aim 0.8)", "gate_allow", "trivial", 0.5),
    Target("gate allow / DOT TokenHasScope view", "gate_allow", "token_has_scope", 3.0),
    Target("gate deny / gate allow", "gate_deny", "gate_allow", 0.9),
    Target(f"gate with {SYNTHETIC_ENDPOINTS:,} more endpoints / gate allow", "gate_allow_grown",
           "gate_allow", 0.9),
    Target("catalog page /scopes/ / trivial view", "catalog_page", "trivial", 0.3),
]  # fmt: skip


def client_headers(client_id: str, client_secret: str) -> dict[str, str]:
    """A confidential client's form POST, authenticated with HTTP Basic."""
    credentials = base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()
    return PROXY | FORM | {"Authorization": f"Basic {credentials}"}


def scenarios(fixture: dict) -> list[Scenario]:
    bearer = PROXY | {"Authorization": f"Bearer {fixture['access_token']}"}
    # The resource server introspects; the partner app refreshes.
    gateway = client_headers(fixture["gateway_client_id"], fixture["gateway_client_secret"])
    client = client_headers(fixture["client_id"], fixture["client_secret"])
    introspect = f"token={fixture['access_token']}"
    shop = f"?shop_cipher={fixture['shop_cipher']}"

    def gate(call: tuple[str, str]) -> dict[str, str]:
        method, path = call
        return bearer | {"X-Original-Method": method, "X-Original-URI": path + shop}

    return [
        Scenario("healthz", "/healthz (reference)", "GET", "/healthz", PROXY),
        Scenario("trivial", "trivial JSON view", "GET", "/bench/trivial", PROXY),
        Scenario("token_has_scope", "DOT OAuth2Authentication + TokenHasScope", "GET",
                 "/bench/token-has-scope", bearer),
        Scenario("dot_introspect", "DOT IntrospectTokenView", "POST", "/bench/dot-introspect/",
                 gateway, introspect, expected_body='"active": true'),
        Scenario("console_introspect", "console /oauth/introspect/", "POST",
                 "/oauth/introspect/", gateway, introspect, expected_body='"active": true'),
        Scenario("shops", "console /api/v1/authorization/shops", "GET",
                 "/api/v1/authorization/shops", bearer, expected_body=fixture["shop_cipher"]),
        Scenario("refresh", "console /oauth/token/ refresh + rotation", "POST", "/oauth/token/",
                 client, "grant_type=refresh_token&refresh_token=",
                 expected_body='"refresh_token"', refresh_tokens=iter(fixture["refresh_tokens"])),
        Scenario("catalog_page", "console /scopes/", "GET", "/scopes/", PROXY),
        Scenario("gate_allow", "gate allow", "GET", "/gateway/check", gate(GATE_ALLOWED_CALL)),
        Scenario("gate_deny", "gate deny", "GET", "/gateway/check", gate(GATE_DENIED_CALL),
                 expected_status=403),
        Scenario("gate_allow_grown", f"gate allow, +{SYNTHETIC_ENDPOINTS:,} endpoints", "GET",
                 "/gateway/check", gate(GATE_ALLOWED_CALL), after_catalog_growth=True),
    ]  # fmt: skip


def selected(all_scenarios: list[Scenario]) -> list[Scenario]:
    wanted = [name.strip() for name in os.environ.get("BENCH_SCENARIOS", "").split(",") if name]
    if not wanted:
        return all_scenarios
    return [s for s in all_scenarios if any(s.name.startswith(prefix) for prefix in wanted)]


def server_environment() -> dict[str, str]:
    """This benchmark's server: production settings on its own database and cache."""
    return server.server_environment(database_url=DATABASE_URL, redis_url=REDIS_URL)


def seed(environment: dict[str, str], log: Path, *arguments: str) -> None:
    server.run_module(environment, log, "bench.http_load", *arguments)


def checked(base_url: str, scenario: Scenario) -> bool:
    """Send the scenario's request once; say loudly, with the answer, when it is not expected."""
    wrong = check_once(base_url, scenario)
    if wrong is not None:
        wanted = f"{scenario.expected_status}" + (
            f" with {scenario.expected_body!r}" if scenario.expected_body else ""
        )
        print(f"FAIL  {scenario.name}: {scenario.method} {scenario.path} did not answer {wanted}:")
        print(wrong, end="\n\n")
    return wrong is None


def load(base_url: str, scenario: Scenario, seconds: float) -> Measurement | None:
    """One wrk run; None, said loudly, when any answer was not the expected one."""
    measurement = run_wrk(base_url, scenario, seconds)
    if measurement.clean:
        return measurement
    print(
        f"FAIL  {scenario.name}: {measurement.unexpected} of {measurement.requests} responses "
        f"were not the expected {scenario.expected_status}, {measurement.socket_errors} socket "
        "errors; the first unexpected one:"
    )
    print(measurement.first_unexpected, end="\n\n")
    return None


def failed(scenario: Scenario, results: dict[str, Measurement | None]) -> bool:
    return scenario.name in results and results[scenario.name] is None


def measure_round(
    base_url: str, batch: list[Scenario], results: dict[str, Measurement | None]
) -> None:
    """One wrk run of each scenario that has not failed; a faster run replaces a slower one."""
    for scenario in batch:
        if failed(scenario, results):
            continue  # said already
        measurement = load(base_url, scenario, SECONDS / ROUNDS)
        best = results.get(scenario.name)
        if measurement is None or best is None or measurement.faster_than(best):
            results[scenario.name] = measurement


def warm_up(base_url: str, batch: list[Scenario], results: dict[str, Measurement | None]) -> None:
    for scenario in batch:
        if failed(scenario, results):
            continue  # said already
        if not (checked(base_url, scenario) and load(base_url, scenario, WARMUP_SECONDS)):
            results[scenario.name] = None


def measure_all(
    environment: dict[str, str], log: Path, chosen: list[Scenario]
) -> dict[str, Measurement | None]:
    """Check and warm up each scenario, then measure all of them in ROUNDS rounds, the fastest
    run of each counting, so a burst of other work on the machine hits one round, not a ratio.
    Each round grows the catalog for the scenarios that need it and shrinks it back after them."""
    stock = [s for s in chosen if not s.after_catalog_growth]
    grown = [s for s in chosen if s.after_catalog_growth]
    results: dict[str, Measurement | None] = {}
    with server.running_server(environment, log, workers=WORKERS) as base_url:
        warm_up(base_url, stock, results)
        for _ in range(ROUNDS):
            measure_round(base_url, stock, results)
            if grown:
                seed(environment, log, "grow-catalog", str(SYNTHETIC_ENDPOINTS))
                warm_up(base_url, grown, results)  # each worker rebuilds its index here
                measure_round(base_url, grown, results)
                seed(environment, log, "shrink-catalog")
    return results


def print_table(chosen: list[Scenario], results: dict[str, Measurement | None]) -> None:
    print(f"{'scenario':48} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8}  expected")
    for scenario in chosen:
        measured = results[scenario.name]
        figures = (
            f"{measured.requests_per_second:8,.0f} {measured.p50_ms:8.2f} {measured.p99_ms:8.2f}"
            if measured
            else f"{'FAILED':>26}"
        )
        print(f"{scenario.label:48} {figures}  {scenario.expected_status}")
    allow, trivial = results.get("gate_allow"), results.get("trivial")
    if allow and trivial:
        print(f"gate allow p99 {allow.p99_ms:.2f} ms, trivial view p99 {trivial.p99_ms:.2f} ms")


def ratios(chosen: list[Scenario], results: dict[str, Measurement | None]) -> list[Ratio]:
    """Per scenario, the share of expected answers (all of them, or the scenario failed); then
    each target whose two scenarios ran."""
    found = []
    for scenario in chosen:
        measured = results[scenario.name]
        share = (measured.requests - measured.unexpected) / measured.requests if measured else None
        name = f"{scenario.name}: answers {scenario.expected_status} as expected"
        found.append(Ratio.at_least(name, share, 1.0))
    for target in TARGETS:
        if target.measured in results and target.reference in results:
            measured, reference = results[target.measured], results[target.reference]
            value = (
                measured.requests_per_second / reference.requests_per_second
                if measured and reference
                else None
            )
            found.append(Ratio.at_least(target.name, value, target.at_least))
    return found


def warn_if_busy() -> None:
    """Other processes on the machine slow every scenario, unevenly: say so beside the figures."""
    load, cpus = os.getloadavg()[0], os.cpu_count() or 1
    if load > cpus / 2:
        print(
            f"http: WARNING the machine is busy before the run (load {load:.1f} on {cpus} CPUs): "
            "figures are low and ratios noisy; measure again on a quiet machine"
        )


def run() -> list[Ratio]:
    warn_if_busy()
    environment = server_environment()
    with tempfile.TemporaryDirectory(prefix="bench-http-") as directory:
        log = Path(directory) / "server.log"
        fixture_path = Path(directory) / "fixture.json"
        started = time.monotonic()
        seed(environment, log, "prepare", str(fixture_path))
        print(f"http: {DATABASE_URL} prepared in {time.monotonic() - started:.0f} s")
        chosen = selected(scenarios(json.loads(fixture_path.read_text(encoding="utf-8"))))
        results = measure_all(environment, log, chosen)
    print_table(chosen, results)
    return ratios(chosen, results)
