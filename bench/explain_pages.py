"""`python -m bench.explain_pages PAGES.json`: each page's queries on the database its settings
name, and EXPLAIN (ANALYZE, BUFFERS) of the slowest, to choose indexes from plans, not guesses.

bench/bench_pages.py runs this with BENCH_EXPLAIN=1, in the 100x server's environment (production
settings, that database), with the pages it measured and the fixture that names their people
(PAGES.json: {"fixture": {...}, "pages": [{"name", "person", "path", "expected_text"}, ...]}).
In-process with Django's test client, signed in as on the server (the reviewer's TOTP step
included), every query captured. BENCH_EXPLAIN_TOP (3) queries a page are explained.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import django

django.setup()

from django.db import connection  # noqa: E402 - Django is set up first
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from bench.bench_pages import PARTNER, REVIEWER, SELLER  # noqa: E402
from bench.http_load.browser import LOGIN_PATH, MFA_PATH, totp_codes  # noqa: E402
from bench.http_load.server import ALLOWED_HOST  # noqa: E402

TOP = int(os.environ.get("BENCH_EXPLAIN_TOP", "3"))
EXPLAINABLE = ("SELECT", "WITH")
SHOWN_SQL = 1500  # characters of a query shown above its plan (a prefetch's IN list runs long)


def signed_in(fixture: dict) -> dict[str, Client]:
    people = {
        PARTNER: (fixture["partner_email"], None),
        REVIEWER: (fixture["reviewer_email"], fixture["reviewer_totp_secret"]),
        SELLER: (fixture["seller_email"], None),
    }
    clients = {}
    for person, (email, totp_secret) in people.items():
        client = Client(HTTP_HOST=ALLOWED_HOST)
        answer = client.post(
            LOGIN_PATH, {"login": email, "password": fixture["password"]}, secure=True
        )
        if totp_secret is not None:
            for code in totp_codes(totp_secret):
                answer = client.post(MFA_PATH, {"code": code}, secure=True)
                if answer.status_code == 302:
                    break
        if answer.status_code != 302:
            raise SystemExit(f"{email} could not sign in: {answer.status_code}")
        clients[person] = client
    return clients


def explain(sql: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
        return "\n".join(row[0] for row in cursor.fetchall())


def main(pages_path: Path) -> None:
    described = json.loads(pages_path.read_text(encoding="utf-8"))
    clients = signed_in(described["fixture"])
    for page in described["pages"]:
        with CaptureQueriesContext(connection) as captured:
            answer = clients[page["person"]].get(page["path"], secure=True)
        queries = sorted(captured.captured_queries, key=lambda query: -float(query["time"]))
        total_ms = sum(float(query["time"]) for query in queries) * 1000
        print(f"\n=== {page['name']}: GET {page['path']} → {answer.status_code}, "
              f"{len(queries)} queries, {total_ms:.1f} ms in the database")  # fmt: skip
        slowest = [query for query in queries if query["sql"].lstrip().startswith(EXPLAINABLE)]
        for query in slowest[:TOP]:
            shown = query["sql"][:SHOWN_SQL] + ("…" if len(query["sql"]) > SHOWN_SQL else "")
            print(f"\n--- {float(query['time']) * 1000:.1f} ms: {shown}\n")
            print(explain(query["sql"]))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    main(Path(sys.argv[1]))
