"""One scenario: its request, a single check with urllib that shows a wrong answer, and a wrk run
whose Lua script checks every response (expect_status.lua)."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

HERE = Path(__file__).resolve().parent
# One connection per thread: a thread's refresh chain is then one sequence of requests.
THREADS = CONNECTIONS = 8
TIMEOUT = "5s"
WRK = shutil.which("wrk") or "wrk"  # Debian's package


@dataclass(frozen=True)
class Scenario:
    name: str
    label: str
    method: str
    path: str
    headers: dict[str, str]
    body: str = ""
    expected_status: int = 200
    # Text every expected response body holds: a 200 that answers "inactive token" is a failure.
    expected_body: str = ""
    # Set for the refresh scenario: `body` ends where a refresh token goes, and every run takes
    # fresh tokens from here (one for the check, one per thread for each wrk run).
    refresh_tokens: Iterator[str] | None = field(default=None, compare=False)
    # Measured while the catalog holds the synthetic endpoints (seed.py grow-catalog).
    after_catalog_growth: bool = False


@dataclass(frozen=True)
class Measurement:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    unexpected: int  # responses with another status, or without the expected body text
    socket_errors: int
    first_unexpected: str

    @property
    def requests_per_second(self) -> float:
        return self.requests / self.seconds

    def faster_than(self, other: Measurement) -> bool:
        return self.requests_per_second > other.requests_per_second

    @property
    def clean(self) -> bool:
        return self.requests > 0 and self.unexpected == 0 and self.socket_errors == 0


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a redirect is an answer to check, not one to follow


_opener = urllib.request.build_opener(_NoRedirects)


def check_once(base_url: str, scenario: Scenario) -> str | None:
    """Send the scenario's request once; None when the answer is the expected one, else the
    answer in full, so a misconfigured scenario reads as what the server said."""
    body = scenario.body
    if scenario.refresh_tokens is not None:
        body += next(scenario.refresh_tokens)
    request = urllib.request.Request(  # noqa: S310 - our own server, on loopback
        base_url + scenario.path,
        data=body.encode() if body else None,
        headers=scenario.headers,
        method=scenario.method,
    )
    try:
        with _opener.open(request, timeout=30) as response:
            status, headers, text = response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        status, headers, text = error.code, error.headers, error.read()
    text = text.decode("utf-8", "replace")
    if status == scenario.expected_status and scenario.expected_body in text:
        return None
    return f"HTTP {status}\n{headers}\n{text[:3000]}"


def lua_string(text: str) -> str:
    """A Lua string literal for any text (ASCII escapes, bytes above 126 as decimal escapes)."""
    escaped = []
    for byte in text.encode():
        character = chr(byte)
        if character in '"\\' or not 32 <= byte < 127:
            escaped.append(f"\\{byte:03d}")
        else:
            escaped.append(character)
    return '"' + "".join(escaped) + '"'


def lua_script(scenario: Scenario, refresh_tokens: list[str]) -> str:
    headers = ", ".join(
        f"[{lua_string(name)}] = {lua_string(value)}" for name, value in scenario.headers.items()
    )
    lines = [
        "scenario = {",
        f"   method = {lua_string(scenario.method)},",
        f"   path = {lua_string(scenario.path)},",
        f"   headers = {{ {headers} }},",
        f"   body = {lua_string(scenario.body)},",
        f"   expected_status = {scenario.expected_status},",
        f"   expected_body = {lua_string(scenario.expected_body)},",
        f"   refresh_tokens = {{ {', '.join(map(lua_string, refresh_tokens))} }},",
        "}",
        (HERE / "expect_status.lua").read_text(encoding="utf-8"),
    ]
    if scenario.refresh_tokens is not None:
        lines.append((HERE / "refresh_chain.lua").read_text(encoding="utf-8"))
    return "\n".join(lines)


RESULT = re.compile(
    r"BENCH_RESULT requests=(\d+) duration_us=(\d+) p50_us=(\d+) p99_us=(\d+) "
    r"mismatches=(\d+) socket_errors=(\d+)"
)


def run_wrk(base_url: str, scenario: Scenario, seconds: float) -> Measurement:
    refresh_tokens = []
    if scenario.refresh_tokens is not None:
        refresh_tokens = list(islice(scenario.refresh_tokens, THREADS))
        if len(refresh_tokens) < THREADS:
            raise RuntimeError("the fixture ran out of refresh tokens; seed more")
    with tempfile.NamedTemporaryFile("w", suffix=".lua", encoding="utf-8") as script:
        script.write(lua_script(scenario, refresh_tokens))
        script.flush()
        completed = subprocess.run(  # noqa: S603 - fixed arguments
            [
                WRK,
                f"--threads={THREADS}",
                f"--connections={CONNECTIONS}",
                f"--duration={seconds:g}s",
                f"--timeout={TIMEOUT}",
                f"--script={script.name}",
                base_url + scenario.path,
            ],
            capture_output=True,
            text=True,
            check=False,
        )
    found = RESULT.search(completed.stdout)
    if completed.returncode != 0 or found is None:
        raise RuntimeError(
            f"wrk failed ({completed.returncode}):\n{completed.stdout}{completed.stderr}"
        )
    requests, duration_us, p50_us, p99_us, unexpected, socket_errors = map(int, found.groups())
    return Measurement(
        requests=requests,
        seconds=duration_us / 1e6,
        p50_ms=p50_us / 1e3,
        p99_ms=p99_us / 1e3,
        unexpected=unexpected,
        socket_errors=socket_errors,
        first_unexpected=completed.stdout.partition("BENCH_FIRST_MISMATCH\n")[2].strip(),
    )
