"""The soak's mixed workload (bench/soak/run.py starts locust on it): the people and programs of
bench/soak/world.py, each a locust user, talking to the cluster through nginx.

- GateCaller: an API gateway asking the gate about calls of a token whose consent never changes:
  every answer must allow.
- AppServer: a partner's server refreshing its token, then calling with the new one.
- ChurnSeller: a seller who authorizes an app (consent page, code exchange with PKCE), sees the
  token work, then disconnects the shop or withdraws the Custom scope, and sees the gate refuse.
- PartnerBrowser: a partner reading the console's pages.
- Reviewer: a reviewer deciding applications in the admin (assign, then approve, reject or ask for
  changes) and now and then revoking an approval that sellers' tokens carry.

Every request is checked for the answer it must get (status and content); anything else is a
failure in locust's statistics. What the consistency checks need to know of the run (each decision
and revocation the console confirmed) goes to the journal (SOAK_JOURNAL), a JSON object a line.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import os
import random
import secrets
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

from locust import User, between, events, task
from locust.exception import RescheduleTask

from bench.http_load.browser import Browser, FormFields, Response, totp_codes

WORLD = json.loads(Path(os.environ["SOAK_WORLD"]).read_text(encoding="utf-8"))
JOURNAL = Path(os.environ["SOAK_JOURNAL"])
SUMMARY = Path(os.environ["SOAK_SUMMARY"])
ADMIN_REQUESTS = "/admin/apps_registry/accessrequest"
# allauth asks again for the second factor before a sensitive decision once the last sign-in is
# ACCOUNT_REAUTHENTICATION_TIMEOUT (300 s) old: a reviewer re-authenticates a little before.
REAUTHENTICATE_AFTER_SECONDS = 240
# What a reviewer decides, drawn at random: half the applications approved, the rest rejected or
# sent back, as the decision pages name them (apps_registry/admin/decision_pages.py).
DECISIONS = ("approve", "approve", "reject", "request-changes")


class UnexpectedAnswer(Exception):  # noqa: N818 - what locust's statistics print
    pass


def journal(**entry) -> None:
    with JOURNAL.open("a", encoding="utf-8") as lines:
        lines.write(json.dumps(entry) + "\n")


def shares(items: list) -> Callable[[], object]:
    """Hands out `items` one at a time, each to one user (locust's users are greenlets of one
    process: no lock needed)."""
    handed = iter(items)
    return lambda: next(handed)


next_steady_seller = shares(WORLD["steady_sellers"])
next_churn_seller = shares(WORLD["churn_sellers"])
next_partner = shares(WORLD["partners"])
next_reviewer_number = shares(list(range(len(WORLD["reviewers"]))))
hooked_apps = itertools.cycle(WORLD["hooked_apps"])


@events.quitting.add_listener
def write_summary(environment, **_) -> None:
    """Each request type's count, failures and percentiles once every user has stopped (locust's
    CSV files are written on a timer, and may miss the last requests)."""
    entries = sorted(environment.stats.entries.values(), key=lambda entry: entry.name)
    summary = {
        "requests": [
            {
                "name": entry.name,
                "count": entry.num_requests,
                "errors": entry.num_failures,
                "p50_ms": entry.get_response_time_percentile(0.5),
                "p99_ms": entry.get_response_time_percentile(0.99),
            }
            for entry in [*entries, environment.stats.total]
        ],
        "failures": [
            {"name": error.name, "error": str(error.error), "occurrences": error.occurrences}
            for error in environment.stats.errors.values()
        ],
    }
    SUMMARY.write_text(json.dumps(summary), encoding="utf-8")


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).decode().rstrip("=")


def json_of(response: Response) -> dict:
    try:
        return json.loads(response.body)
    except ValueError:
        return {}


def status_is(*statuses: int) -> Callable[[Response], str | None]:
    def check(response: Response) -> str | None:
        return None if response.status in statuses else f"expected {statuses}"

    return check


def redirects_to(path_prefix: str) -> Callable[[Response], str | None]:
    def check(response: Response) -> str | None:
        if response.status == 302 and urlsplit(response.location).path.startswith(path_prefix):
            return None
        return f"expected a redirect to {path_prefix}"

    return check


class SoakUser(User):
    """A user whose every request is timed and checked here, and reported to locust."""

    abstract = True

    def __init__(self, environment) -> None:
        super().__init__(environment)
        # One client per user: its own cookies, as one person's browser.
        self.browser = Browser(self.host)

    def timed(
        self, name: str, call: Callable[[], Response], check: Callable[[Response], str | None]
    ) -> Response:
        """`call()`, timed under `name`; an answer `check` finds wrong is a failure, and ends the
        task (its next steps depend on this one)."""
        started = time.perf_counter()
        response, error = None, None
        try:
            response = call()
            if problem := check(response):
                error = UnexpectedAnswer(f"{problem}, got {response.summary(300)}")
        except Exception as failure:  # a broken connection, a missing form: the failure
            error = failure
        events.request.fire(
            request_type="HTTP",
            name=name,
            response_time=(time.perf_counter() - started) * 1000,
            response_length=len(response.body) if response else 0,
            exception=error,
            context={},
        )
        if error is not None:
            raise RescheduleTask from error
        return response

    def sign_in(self, email: str, totp_secret: str | None = None) -> None:
        def sign_in() -> Response:
            self.browser.sign_in(email, WORLD["password"], totp_secret)
            return Response(302, "", "")

        self.timed("sign in", sign_in, status_is(302))

    # --- The app's side of OAuth ----------------------------------------------------------------

    def token_request(self, name: str, app: dict, fields: dict) -> dict:
        credentials = f"{app['client_id']}:{app['client_secret']}".encode()
        headers = {
            "Authorization": "Basic " + base64.b64encode(credentials).decode(),
            "Content-Type": "application/x-www-form-urlencoded",
        }

        def has_tokens(response: Response) -> str | None:
            issued = json_of(response)
            if response.status == 200 and issued.get("access_token") and issued.get("scope"):
                return None
            return "expected 200 with tokens"

        answer = self.timed(
            name,
            lambda: self.browser.send(
                "POST", "/oauth/token/", body=urlencode(fields), headers=headers
            ),
            has_tokens,
        )
        return json_of(answer)

    def gate_check(self, name: str, token: str, call: str, shop_cipher: str, *, allowed: bool):
        headers = {
            "Authorization": f"Bearer {token}",
            "X-Original-Method": "GET",
            "X-Original-URI": f"{call}?shop_cipher={shop_cipher}",
        }

        def decided(response: Response) -> str | None:
            if allowed:
                return None if response.status == 200 else "expected the call allowed (200)"
            if response.status in (401, 403) and json_of(response).get("code"):
                return None
            return "expected the call refused (401 or 403, with a code)"

        self.timed(
            name, lambda: self.browser.send("GET", "/gateway/check", headers=headers), decided
        )

    def authorize(self, app: dict, shop_id: int) -> dict:
        """The seller (signed in) consents on the consent page; the app exchanges the code."""
        verifier, challenge = pkce_pair()
        query = urlencode(
            {
                "response_type": "code",
                "client_id": app["client_id"],
                "redirect_uri": WORLD["redirect_uri"],
                "scope": WORLD["scope"],
                "state": secrets.token_urlsafe(8),
                "code_challenge": challenge,
                "code_challenge_method": "S256",
            }
        )
        consent = self.timed(
            "consent",
            lambda: self.browser.submit(
                f"/oauth/authorize/?{query}",
                marker="code_challenge",
                shops=str(shop_id),
                allow="true",
            ),
            redirects_to(urlsplit(WORLD["redirect_uri"]).path),
        )
        code = parse_qs(urlsplit(consent.location).query)["code"][0]
        return self.token_request(
            "code exchange",
            app,
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": WORLD["redirect_uri"],
                "code_verifier": verifier,
            },
        )


class SteadyConsent(SoakUser):
    """A seller's steady consent to a hooked app, given at the start: the token it yields must be
    allowed by every check."""

    abstract = True

    def on_start(self) -> None:
        self.seller = next_steady_seller()
        self.app = next(hooked_apps)
        self.sign_in(self.seller["email"])
        self.tokens = self.authorize(self.app, self.seller["shop_id"])

    def check_calls(self, name: str) -> None:
        for call in (WORLD["public_call"], WORLD["custom_call"]):
            self.gate_check(
                name, self.tokens["access_token"], call, self.seller["shop_cipher"], allowed=True
            )


class GateCaller(SteadyConsent):
    fixed_count = 8
    wait_time = between(0.05, 0.3)

    @task
    def call(self) -> None:
        self.check_calls("gate check")


class AppServer(SteadyConsent):
    fixed_count = 8
    wait_time = between(2, 4)

    @task
    def refresh(self) -> None:
        refreshed = self.token_request(
            "token refresh",
            self.app,
            {"grant_type": "refresh_token", "refresh_token": self.tokens["refresh_token"]},
        )
        self.tokens = refreshed
        self.check_calls("gate check after refresh")


class ChurnSeller(SoakUser):
    fixed_count = 6
    wait_time = between(1, 3)

    def on_start(self) -> None:
        self.seller = next_churn_seller()
        self.app = WORLD["hooked_apps"][0]
        self.cycles = itertools.count()
        self.sign_in(self.seller["email"])

    @task
    def authorize_then_withdraw(self) -> None:
        """Authorize, see the Custom scope's call allowed; then, turn about, withdraw that scope
        (its call refused, the Public one still allowed) or disconnect the shop (both refused)."""
        token = self.authorize(self.app, self.seller["shop_id"])["access_token"]
        cipher = self.seller["shop_cipher"]
        self.gate_check("gate check", token, WORLD["custom_call"], cipher, allowed=True)
        app_id, shop_id = self.app["id"], self.seller["shop_id"]
        if next(self.cycles) % 2:
            scope = WORLD["scope"].split()[1]
            name, path, action = "seller withdraws a scope", f"scopes/{scope}", "revoke_scope"
        else:
            name, path, action = "seller disconnects a shop", f"shops/{shop_id}", "revoke_shop"
        self.timed(
            name,
            lambda: self.browser.submit(f"/seller/apps/{app_id}/{path}/revoke/"),
            redirects_to("/seller/"),
        )
        journal(kind="revocation", action=action, app=app_id, shop=shop_id)
        public_allowed = action == "revoke_scope"
        self.gate_check("gate check", token, WORLD["public_call"], cipher, allowed=public_allowed)
        self.gate_check("gate check", token, WORLD["custom_call"], cipher, allowed=False)


class PartnerBrowser(SoakUser):
    fixed_count = 3
    wait_time = between(1, 3)

    def on_start(self) -> None:
        self.partner = next_partner()
        self.app_id = WORLD["hooked_apps"][WORLD["partners"].index(self.partner)]["id"]
        self.sign_in(self.partner["email"])

    @task
    def read_pages(self) -> None:
        for name, path in (
            ("partner: dashboard", "/console/"),
            ("partner: apps", "/console/apps/"),
            ("partner: app", f"/console/apps/{self.app_id}/"),
            ("partner: manage API", f"/console/apps/{self.app_id}/api/"),
            ("partner: installs", f"/console/apps/{self.app_id}/installs/"),
            ("partner: webhooks", f"/console/apps/{self.app_id}/webhooks/"),
            ("partner: applications", "/console/requests/"),
        ):
            self.timed(name, lambda path=path: self.browser.get(path), status_is(200))


class Reviewer(SoakUser):
    fixed_count = 2
    wait_time = between(1, 2)

    def on_start(self) -> None:
        number = next_reviewer_number()
        self.reviewer = WORLD["reviewers"][number]
        count = len(WORLD["reviewers"])
        # Each reviewer works its own share of the queue and of the approvals to revoke.
        self.pending: Iterator[int] = iter(WORLD["pending_applications"][number::count])
        self.revocable: Iterator[int] = iter(WORLD["revocable_applications"][number::count])
        self.decisions = itertools.count(1)
        self.sign_in(self.reviewer["email"], self.reviewer["totp_secret"])
        self.signed_in_at = time.monotonic()

    def reauthenticate_when_due(self) -> None:
        if time.monotonic() - self.signed_in_at < REAUTHENTICATE_AFTER_SECONDS:
            return

        def reauthenticate() -> Response:
            for code in totp_codes(self.reviewer["totp_secret"]):
                answer = self.browser.submit(
                    "/accounts/2fa/reauthenticate/", marker="code", code=code
                )
                if answer.status == 302:
                    break
            return answer

        self.timed("reviewer re-authenticates", reauthenticate, status_is(302))
        self.signed_in_at = time.monotonic()

    @task
    def decide(self) -> None:
        self.reauthenticate_when_due()
        if next(self.decisions) % 10 == 0 and (revoking := next(self.revocable, None)):
            self.timed(
                "review: revoke an approval",
                lambda: self.browser.submit(
                    f"{ADMIN_REQUESTS}/{revoking}/revoke/",
                    marker="version",
                    reason="Soak: the data is no longer needed.",
                ),
                redirects_to(f"{ADMIN_REQUESTS}/{revoking}/change/"),
            )
            journal(kind="decision", request=revoking, action="revoke")
            return
        request_id = next(self.pending, None)
        if request_id is None:
            return
        change = f"{ADMIN_REQUESTS}/{request_id}/change/"

        def assign() -> Response:
            page = self.browser.get(change)
            fields = FormFields("version").fields(page.body)
            return self.browser.post(f"{ADMIN_REQUESTS}/{request_id}/assign/", fields)

        self.timed("review: assign", assign, redirects_to(change))
        decision = random.choice(DECISIONS)
        words = {
            "approve": {},
            "reject": {"reason": "Soak: the use case does not need this scope."},
            "request-changes": {"comment": "Soak: say which endpoints you call."},
        }[decision]
        self.timed(
            f"review: {decision}",
            lambda: self.browser.submit(
                f"{ADMIN_REQUESTS}/{request_id}/{decision}/", marker="version", **words
            ),
            redirects_to(change),
        )
        journal(kind="decision", request=request_id, action=decision.replace("-", "_"))
