"""Two instances behind nginx, one PostgreSQL, one Redis, the workers apart (deploy/cluster.py):
whatever one instance records, the other honours at once, and a worker killed mid-delivery loses
no webhook. Each test names the instance it talks to; every answer says which one served it
(X-Console-Instance), and the tests check it did."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from datetime import UTC, datetime
from types import SimpleNamespace

import psycopg
import pytest
import requests
from psycopg import sql

from apps_registry.models import WebhookDelivery
from apps_registry.webhooks.delivery import SWEEP_GRACE
from deploy.cluster import is_running
from deploy.environment import INSTANCE_HEADER, PROXY_HEADERS
from tests.cluster.browser import Browser
from tests.cluster.world import PRODUCT_CALL
from tests.oauth.flow import Flow, query_of
from tests.webhook_receiver import Reply

pytestmark = [pytest.mark.postgres, pytest.mark.cluster]

# Addresses nginx would report (X-Forwarded-For) for callers the tests play.
GUESSER = "203.0.113.7"
APP_SERVER = "198.51.100.2"
# Production's OAUTH_CLIENT_AUTH_FAILURE_LIMIT: failures of one client_id from one address.
CLIENT_AUTH_FAILURE_LIMIT = 10
# enqueue_due_webhook_deliveries runs every minute (apps_registry/tasks.py).
SWEEP_PERIOD_SECONDS = 60


def eventually[T](check: Callable[[], T], *, seconds: float, what: str) -> T:
    """`check()`'s first truthy answer, polled until `seconds` have passed."""
    deadline = time.monotonic() + seconds
    while not (answer := check()):
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not within {seconds} s")
        time.sleep(0.1)
    return answer


def served_by(response: requests.Response, instance: str) -> requests.Response:
    assert response.headers[INSTANCE_HEADER] == instance, response.headers
    return response


def token_request(cluster, instance: str, data: dict, *, auth: tuple, address: str):
    return served_by(
        requests.post(
            cluster.instance_url(instance) + "/oauth/token/",
            data=data,
            auth=auth,
            headers=PROXY_HEADERS | {"X-Forwarded-For": address},
            timeout=10,
        ),
        instance,
    )


def gate_check(cluster, instance: str, *, token: str, uri: str) -> requests.Response:
    """The question nginx's auth_request asks the gate (tests/gateway/test_nginx.py)."""
    headers = {"Authorization": f"Bearer {token}", "X-Original-Method": "GET",
               "X-Original-URI": uri}  # fmt: skip
    response = requests.get(
        cluster.instance_url(instance) + "/gateway/check",
        headers=PROXY_HEADERS | headers,
        timeout=10,
    )
    return served_by(response, instance)


def signed_in_seller(cluster, world, instance: str) -> Browser:
    seller = Browser(cluster.instance_url(instance))
    response = served_by(seller.log_in(world["seller_email"], world["password"]), instance)
    assert response.status_code == 302, response.text[:2000]
    return seller


def authorize_on_a_exchange_on_b(cluster, world) -> dict:
    """The seller signs in and authorizes the app on both shops on instance A; the app exchanges
    the code, with its PKCE verifier, on instance B. Returns the token response."""
    app = world["app"]
    seller = signed_in_seller(cluster, world, "a")
    flow = Flow.start(SimpleNamespace(client_id=app["client_id"]))

    consent = seller.submit(
        flow.authorize_url(),
        marker="code_challenge",
        shops=[str(shop["id"]) for shop in world["shops"]],
        allow="true",
    )

    assert served_by(consent, "a").status_code == 302, consent.text[:2000]
    code = query_of(consent.headers["Location"])["code"]
    exchanged = token_request(
        cluster,
        "b",
        {"grant_type": "authorization_code", "code": code, "redirect_uri": flow.redirect_uri,
         "code_verifier": flow.verifier},
        auth=(app["client_id"], app["client_secret"]),
        address=APP_SERVER,
    )  # fmt: skip
    assert exchanged.status_code == 200, exchanged.text
    return exchanged.json()


def shop_call(world, shop_index: int) -> str:
    return f"{PRODUCT_CALL}?shop_cipher={world['shops'][shop_index]['cipher']}"


def test_nginx_sends_requests_to_both_instances_in_turn(cluster):
    served = [
        requests.get(cluster.url + "/readyz", timeout=10).headers[INSTANCE_HEADER] for _ in range(4)
    ]

    assert sorted(served) == ["a", "a", "b", "b"]
    assert served[0] != served[1]


def test_a_session_made_on_instance_a_works_on_instance_b(cluster, world):
    seller = signed_in_seller(cluster, world, "a")

    page = served_by(seller.at(cluster.instance_url("b")).get("/seller/shops/"), "b")

    assert page.status_code == 200
    assert "North Shop" in page.text
    stranger = served_by(Browser(cluster.instance_url("b")).get("/seller/shops/"), "b")
    assert stranger.status_code == 302
    assert stranger.headers["Location"].startswith("/accounts/login/")


def test_failed_client_authentications_counted_on_a_throttle_on_b(cluster, world):
    app = world["app"]
    guess = {"grant_type": "refresh_token", "refresh_token": "nope"}
    wrong = (app["client_id"], "wrong-secret")

    failures_on_a = [
        token_request(cluster, "a", guess, auth=wrong, address=GUESSER).status_code
        for _ in range(CLIENT_AUTH_FAILURE_LIMIT)
    ]
    on_b = token_request(cluster, "b", guess, auth=wrong, address=GUESSER)

    assert failures_on_a == [401] * CLIENT_AUTH_FAILURE_LIMIT
    assert on_b.status_code == 429
    assert on_b.json()["error"] == "invalid_client"
    # Only the guesser's address: the app's own server, with its secret, is not refused on B.
    right = (app["client_id"], app["client_secret"])
    from_the_app = token_request(cluster, "b", guess, auth=right, address=APP_SERVER)
    assert (from_the_app.status_code, from_the_app.json()["error"]) == (400, "invalid_grant")


def test_consent_given_on_a_is_exchanged_for_tokens_on_b_with_pkce(cluster, world):
    tokens = authorize_on_a_exchange_on_b(cluster, world)

    assert tokens["token_type"] == "Bearer"
    assert tokens["scope"] == "seller.product.basic"
    allowed = gate_check(cluster, "a", token=tokens["access_token"], uri=shop_call(world, 0))
    assert allowed.status_code == 200, allowed.text


def test_a_shop_revoked_through_a_is_refused_by_the_next_gate_check_on_b(cluster, world):
    """Both shops are authorized, so the token keeps its scope: only the gate's view of the
    consent can refuse, and B must not serve what it cached from its two allowed checks."""
    token = authorize_on_a_exchange_on_b(cluster, world)["access_token"]
    first_shop = shop_call(world, 0)
    checks = [gate_check(cluster, "b", token=token, uri=first_shop) for _ in range(2)]
    assert [check.status_code for check in checks] == [200, 200]
    seller = signed_in_seller(cluster, world, "a")
    app_id, shop_id = world["app"]["id"], world["shops"][0]["id"]

    revoked = seller.submit(f"/seller/apps/{app_id}/shops/{shop_id}/revoke/")

    assert served_by(revoked, "a").status_code == 302, revoked.text[:2000]
    refused = gate_check(cluster, "b", token=token, uri=first_shop)
    assert (refused.status_code, refused.json()["code"]) == (403, "shop_not_authorized")
    assert gate_check(cluster, "b", token=token, uri=shop_call(world, 1)).status_code == 200


def delivery_of(cluster, app_id: int) -> dict | None:
    """The hooked app's one webhook delivery, as the cluster's database has it now."""
    columns = ["event_id", "status", "attempt_count", "locked_until"]
    query = sql.SQL("SELECT {} FROM {} WHERE app_id = %s").format(
        sql.SQL(", ").join(map(sql.Identifier, columns)),
        sql.Identifier(WebhookDelivery._meta.db_table),
    )
    with psycopg.connect(cluster.database_url) as connection:
        row = connection.execute(query, [app_id]).fetchone()
    return dict(zip(columns, row, strict=True)) if row else None


def backdate_due_time(cluster, event_id: str) -> None:
    """Move the delivery's due time back past the sweep's grace, as if the event were that old:
    the sweep leaves younger deliveries to the tasks already queued for them, so without this the
    test would wait SWEEP_GRACE for nothing. The worker's hold (locked_until) stays as it was."""
    query = sql.SQL("UPDATE {} SET next_attempt_at = next_attempt_at - %s WHERE event_id = %s")
    with psycopg.connect(cluster.database_url) as connection:
        connection.execute(
            query.format(sql.Identifier(WebhookDelivery._meta.db_table)), [SWEEP_GRACE, event_id]
        )


def test_a_webhook_worker_killed_mid_delivery_loses_nothing(cluster, world, receiver):
    """The receiver holds the first POST; the worker posting it is killed (SIGKILL) and a new
    one started. Once the dead worker's hold ends, the scheduler's sweep (every minute) hands the
    delivery to the new worker, which delivers it: exactly one POST more, the same event."""
    receiver.answer(Reply(delay=120))
    hooked = world["hooked_app"]["id"]
    seller = signed_in_seller(cluster, world, "a")
    assert seller.submit(f"/seller/apps/{hooked}/revoke/").status_code == 302
    eventually(lambda: receiver.requests, seconds=15, what="the first POST")
    held = eventually(lambda: delivery_of(cluster, hooked), seconds=5, what="the delivery")
    assert (held["status"], held["attempt_count"]) == ("pending", 0)
    assert held["locked_until"] > datetime.now(UTC)

    dead = cluster.running_pid("webhooks")
    os.kill(dead, signal.SIGKILL)
    eventually(lambda: not is_running(dead), seconds=5, what="the worker's death")
    assert cluster.start(["webhooks"]) == ["webhooks"]
    backdate_due_time(cluster, held["event_id"])

    def delivered() -> dict | None:
        delivery = delivery_of(cluster, hooked)
        return delivery if delivery["status"] == "delivered" else None

    hold_left = (held["locked_until"] - datetime.now(UTC)).total_seconds()
    delivery = eventually(
        delivered, seconds=hold_left + SWEEP_PERIOD_SECONDS + 15, what="the redelivery"
    )
    assert len(receiver.requests) == 2
    first, second = receiver.requests
    assert first.headers["Webhook-Id"] == second.headers["Webhook-Id"] == held["event_id"]
    assert first.body == second.body
    assert delivery["attempt_count"] == 1  # the killed worker's attempt was never recorded
    arrived = time.time() - (time.monotonic() - second.received_at)
    assert arrived >= held["locked_until"].timestamp()
