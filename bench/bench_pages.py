"""The pages the Scale issue names stay fast at 100 times the data (ADR 0016): each page's time on
a database of the issue's full size over its time on one a hundredth of it, in one run.

Two databases, bench_scale_1x and bench_scale_100x, written by bench/scale_data
(`python -m bench.scale_data generate --factor F FIXTURE --reuse`: the 100x one, minutes to
write, is kept between runs while its generator version, factor and migrations match). Two
gunicorns with production settings (bench/http_load/server.py), one per database, one sync
worker each. On each, three people sign in as a browser does (allauth's form with its CSRF
token; the reviewer's TOTP step with a code computed from the fixture's secret): the partner's
owner, a reviewer, a seller. Every page is checked on every response (its status and a text its
body must hold): one wrong answer fails that page's ratio. Each page is warmed up, then fetched
on the two servers in turn, request by request, for BENCH_PAGE_ROUNDS rounds (20); the median
of each side counts, so a burst of other work on the machine moves both alike.

Prints a table (page, median ms at 1x and at 100x, ratio), then the ratios, each at most 1.5.
Environment: BENCH_PAGE_ROUNDS; BENCH_PAGES (comma-separated page-name prefixes, default all);
BENCH_SCALE_DATABASE, the databases' name with {factor} in it (default bench_scale_{factor}x);
BENCH_EXPLAIN=1 also prints, per page, EXPLAIN (ANALYZE, BUFFERS) of its slowest queries on the
100x database (bench/explain_pages.py).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import statistics
import tempfile
import time
from collections import Counter
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

from bench.http_load import server
from bench.http_load.browser import Browser, Response
from bench.ratios import Ratio
from bench.scale_data.launch import SECRET_KEY

FACTORS = (1, 100)
# The databases' names (the generator refuses one that does not start with "bench"): another
# pattern keeps a run apart from whoever else writes the shared ones.
DATABASE_NAME = os.environ.get("BENCH_SCALE_DATABASE", "bench_scale_{factor}x")
DATABASE_URLS = {
    factor: f"postgres://postgres@127.0.0.1:5432/{DATABASE_NAME.format(factor=factor)}"
    for factor in FACTORS
}
REDIS_URLS = {1: "redis://127.0.0.1:6379/12", 100: "redis://127.0.0.1:6379/13"}
ROUNDS = int(os.environ.get("BENCH_PAGE_ROUNDS", "20"))
# The API lists are read a page of 20 at a time, as the console's pages show them: the bench
# partner's apps (bench/scale_data/sizes.py FULL_PAGE) fill it at 1x as at 100x.
API_PAGE = 20
WARMUP_REQUESTS = 3
TARGET = 1.5
WORKERS = 1
SERVER_LOG_TAIL = 4000  # characters of each server's log shown when a page answered wrong
QUEUE_PATH = "/admin/apps_registry/accessrequest/"
# A filter offering more choices than this lists rows (one per partner, say): its pages are
# measured at the fixture's own row, not at every row.
MAX_FILTER_CHOICES = 20
PARTNER, REVIEWER, SELLER = "partner owner", "reviewer", "seller"
JSON_LIST = '"results":[{'  # a non-empty page of a partner API list


@dataclass(frozen=True)
class Page:
    name: str
    person: str
    path: str
    expected_text: str


def consent_path(fixture: dict) -> str:
    """The authorization request the fixture's client sends, with PKCE (S256) as it must."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    query = {
        "response_type": "code",
        "client_id": fixture["client_id"],
        "redirect_uri": fixture["redirect_uri"],
        "scope": fixture["consent_scope"],
        "state": secrets.token_urlsafe(16),
        "code_challenge": challenge.decode().rstrip("="),
        "code_challenge_method": "S256",
    }
    return f"/oauth/authorize/?{urlencode(query)}"


def named_pages(fixture: dict) -> list[Page]:
    """Every page the issue names but the queue's filters, at this database's own rows."""
    app, request = fixture["app_id"], fixture["access_request_id"]
    return [
        Page("admin queue", REVIEWER, QUEUE_PATH, 'id="changelist"'),
        Page("admin decision page", REVIEWER, f"{QUEUE_PATH}{request}/approve/", "<h1>Approve:"),
        Page("admin partners", REVIEWER, "/admin/apps_registry/partner/", 'id="changelist"'),
        Page("admin apps", REVIEWER, "/admin/apps_registry/partnerapp/", 'id="changelist"'),
        Page("partner dashboard", PARTNER, "/console/", 'id="requests-heading"'),
        Page("manage API", PARTNER, f"/console/apps/{app}/api/", 'data-testid="scope-status"'),
        Page("applications", PARTNER, "/console/requests/", 'data-testid="application-row"'),
        Page("application", PARTNER, f"/console/requests/{request}/",
             'data-testid="request-status"'),
        Page("installs", PARTNER, f"/console/apps/{app}/installs/",
             'data-testid="installed-shops"'),
        Page("webhook deliveries", PARTNER, f"/console/apps/{app}/webhooks/",
             'data-testid="webhook-delivery"'),
        Page("consent", SELLER, consent_path(fixture), 'id="consent-title"'),
        Page("seller connected apps", SELLER, "/seller/apps/", 'class="card seller-app"'),
        Page("API apps", PARTNER, f"/api/v1/apps/?limit={API_PAGE}", JSON_LIST),
        Page("API requests", PARTNER, f"/api/v1/requests/?limit={API_PAGE}", JSON_LIST),
        Page("API webhook deliveries", PARTNER, f"/api/v1/apps/{app}/webhook/deliveries/",
             JSON_LIST),
    ]  # fmt: skip


@dataclass(frozen=True)
class FilterChoice:
    title: str  # the filter's, e.g. "status"
    label: str  # the choice's, e.g. "In review"
    query: str  # e.g. "?status__exact=in_review"

    @property
    def values(self) -> set[str]:
        return {value for _, value in parse_qsl(urlsplit(self.query).query)}


class FilterSidebar(HTMLParser):
    """The choices of the admin changelist's filters (admin/filter.html: a <details
    data-filter-title> per filter, an <a href="?…"> per choice), but each filter's "All"."""

    def __init__(self) -> None:
        super().__init__()
        self.choices: list[FilterChoice] = []
        self._title: str | None = None
        self._href: str | None = None
        self._label: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "details" and "data-filter-title" in attributes:
            self._title = attributes["data-filter-title"]
        elif tag == "a" and self._title is not None:
            self._href, self._label = attributes.get("href") or "", []

    def handle_data(self, data):
        if self._href is not None:
            self._label.append(data)

    def handle_endtag(self, tag):
        if tag == "details":
            self._title = None
        elif tag == "a" and self._href is not None:
            if urlsplit(self._href).query:  # "All" is the changelist with no filter
                label = " ".join("".join(self._label).split())
                self.choices.append(FilterChoice(self._title or "", label, self._href))
            self._href = None


def filter_choices(queue: Response) -> list[FilterChoice]:
    sidebar = FilterSidebar()
    sidebar.feed(queue.body)
    return sidebar.choices


def queue_filter_pages(sides: list[Side]) -> tuple[list[list[Page]], list[str]]:
    """A queue page per filter choice that every side offers (matched by filter and label), each
    side at its own query; a filter with more than MAX_FILTER_CHOICES choices (one per row) only
    at the fixture's partner or app. Returns each side's pages, and per filter how many of its
    choices only one side offers (the partners of the larger data, say)."""
    offered = [
        {
            (choice.title, choice.label): choice
            for choice in filter_choices(side.browsers[REVIEWER].get(QUEUE_PATH))
        }
        for side in sides
    ]
    common = [key for key in offered[0] if all(key in other for other in offered[1:])]
    sizes = Counter(title for title, _ in common)
    pages: list[list[Page]] = [[] for _ in sides]
    for title, label in common:
        choices = [choice_of[title, label] for choice_of in offered]
        if sizes[title] > MAX_FILTER_CHOICES and not all(
            side.fixture_rows & choice.values for side, choice in zip(sides, choices, strict=True)
        ):
            continue
        for side_pages, choice in zip(pages, choices, strict=True):
            name = f"admin queue by {title}: {label}"
            side_pages.append(
                Page(name, REVIEWER, QUEUE_PATH + choice.query, 'id="changelist-filter"')
            )
    lacking = Counter(
        title for choice_of in offered for title, label in choice_of if (title, label) not in common
    )
    return pages, [f"{title} ({count:,})" for title, count in sorted(lacking.items())]


@dataclass
class Side:
    """One database, its server and the people signed in on it."""

    factor: int
    base_url: str
    fixture: dict
    browsers: dict[str, Browser] = field(default_factory=dict)
    pages: dict[str, Page] = field(default_factory=dict)
    times_ms: dict[str, list[float]] = field(default_factory=dict)

    @property
    def fixture_rows(self) -> set[str]:
        return {str(self.fixture["partner_id"]), str(self.fixture["app_id"])}

    def sign_in(self) -> None:
        fixture = self.fixture
        people = {
            PARTNER: (fixture["partner_email"], None),
            REVIEWER: (fixture["reviewer_email"], fixture["reviewer_totp_secret"]),
            SELLER: (fixture["seller_email"], None),
        }
        for person, (email, totp_secret) in people.items():
            browser = Browser(self.base_url)
            browser.sign_in(email, fixture["password"], totp_secret)
            self.browsers[person] = browser

    def fetch(self, name: str) -> tuple[float, str | None]:
        """The page's time in ms, and None or, when the answer is wrong, what it was."""
        page = self.pages[name]
        started = time.perf_counter()
        answer = self.browsers[page.person].get(page.path)
        elapsed_ms = (time.perf_counter() - started) * 1000
        if answer.status == 200 and page.expected_text in answer.body:
            return elapsed_ms, None
        return elapsed_ms, f"{self.factor}x GET {page.path}: {answer.summary()}"


def selected(names: list[str]) -> list[str]:
    wanted = [name.strip() for name in os.environ.get("BENCH_PAGES", "").split(",") if name]
    return [name for name in names if not wanted or any(name.startswith(w) for w in wanted)]


def generate(factor: int, directory: Path) -> tuple[dict[str, str], dict]:
    environment = server.server_environment(
        database_url=DATABASE_URLS[factor], redis_url=REDIS_URLS[factor], secret_key=SECRET_KEY
    )
    fixture_path = directory / f"fixture-{factor}x.json"
    started = time.monotonic()
    server.run_module(
        environment, directory / f"generate-{factor}x.log", "bench.scale_data", "generate",
        "--factor", str(factor), str(fixture_path), "--reuse",
    )  # fmt: skip
    fixture = json.loads(fixture_path.read_text(encoding="utf-8"))
    counts = ", ".join(f"{table} {rows:,}" for table, rows in fixture.get("counts", {}).items())
    print(f"pages: {factor}x ready in {time.monotonic() - started:.0f} s ({counts})")
    return environment, fixture


def measure(sides: list[Side], names: list[str]) -> dict[str, str]:
    """Warm each page up, then fetch it on each side in turn, ROUNDS times. Returns the first
    wrong answer of each page that gave one (it is then measured no further)."""
    wrong: dict[str, str] = {}

    def fetch_all(name: str, record: bool) -> None:
        for side in sides:
            if name in wrong:
                return
            elapsed_ms, problem = side.fetch(name)
            if problem is not None:
                wrong[name] = problem
            elif record:
                side.times_ms.setdefault(name, []).append(elapsed_ms)

    for name in names:
        for _ in range(WARMUP_REQUESTS):
            fetch_all(name, record=False)
    for _ in range(ROUNDS):
        for name in names:
            fetch_all(name, record=True)
    return wrong


def report(sides: list[Side], names: list[str], wrong: dict[str, str]) -> list[Ratio]:
    for name, problem in wrong.items():
        expected = sides[0].pages[name].expected_text
        print(f"FAIL  {name}: not a 200 holding {expected!r}:\n{problem}\n")
    width = max(len(name) for name in names)
    print(f"{'page':{width}} {'1x ms':>9} {'100x ms':>9} {'ratio':>7}")
    found = []
    for name in names:
        medians = [
            statistics.median(side.times_ms[name])
            if name not in wrong and side.times_ms.get(name)
            else None
            for side in sides
        ]
        ratio = medians[1] / medians[0] if None not in medians else None
        figures = " ".join(
            f"{value:9.1f}" if value is not None else f"{'—':>9}" for value in medians
        )
        shown = f"{ratio:7.2f}" if ratio is not None else f"{'FAILED':>7}"
        print(f"{name:{width}} {figures} {shown}")
        found.append(Ratio.at_most(f"page {name}: 100x / 1x", ratio, TARGET))
    return found


def explain(environment: dict[str, str], side: Side, names: list[str], directory: Path) -> None:
    """bench/explain_pages.py on this side's database, for the pages measured."""
    pages_path = directory / "explain-pages.json"
    pages = [asdict(side.pages[name]) for name in names]
    pages_path.write_text(json.dumps({"fixture": side.fixture, "pages": pages}), encoding="utf-8")
    server.run_module(environment, None, "bench.explain_pages", str(pages_path))


def run() -> list[Ratio]:
    with tempfile.TemporaryDirectory(prefix="bench-pages-") as temporary, ExitStack() as servers:
        directory = Path(temporary)
        prepared = {factor: generate(factor, directory) for factor in FACTORS}
        sides = []
        for factor, (environment, fixture) in prepared.items():
            log = directory / f"server-{factor}x.log"
            base_url = servers.enter_context(
                server.running_server(environment, log, workers=WORKERS)
            )
            sides.append(Side(factor, base_url, fixture))
        for side in sides:
            side.sign_in()
            side.pages = {page.name: page for page in named_pages(side.fixture)}
        filter_pages, unmatched = queue_filter_pages(sides)
        for side, pages in zip(sides, filter_pages, strict=True):
            side.pages |= {page.name: page for page in pages}
        if unmatched:
            print(f"pages: queue filter choices offered at one size only: {', '.join(unmatched)}")
        names = selected(list(sides[0].pages))
        wrong = measure(sides, names)
        if wrong:  # a 500's traceback is only in the server's log
            for factor in FACTORS:
                log = (directory / f"server-{factor}x.log").read_text(errors="replace")
                print(f"pages: the end of the {factor}x server's log:\n{log[-SERVER_LOG_TAIL:]}")
        if os.environ.get("BENCH_EXPLAIN") == "1":
            explain(prepared[FACTORS[-1]][0], sides[-1], names, directory)
    return report(sides, names, wrong)
