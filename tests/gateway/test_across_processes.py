"""Revocation across processes: two gunicorn processes each keep their own view of an app and its
seller, on the test database and one Redis. A revocation made in a third process (this test)
denies the very next check on both, with the reason the fresh view gives."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from urllib.parse import urlsplit, urlunsplit

import pytest
import requests
from django.db import connection

from apps_registry.models import AccessRequest
from apps_registry.services.authorizations import authorization_revoke_shop
from apps_registry.services.reviews import access_request_revoke
from tests import factories
from tests.apps_registry.review_helpers import make_reviewer
from tests.conftest import ROOT, subprocess_environment
from tests.gateway.conftest import PRODUCT_PATH, free_port, wait_until_listening
from tests.oauth.flow import app_with_scopes, issue_tokens

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

PROCESSES = 2
STOP_SECONDS = 10
PRODUCT = PRODUCT_PATH.format(product_id=42)


def database_url_of_this_run() -> str:
    """DATABASE_URL pointing at the database pytest-django created for this run."""
    return urlunsplit(
        urlsplit(os.environ["DATABASE_URL"])._replace(path="/" + connection.settings_dict["NAME"])
    )


@pytest.fixture
def gate_servers(transactional_db, tmp_path) -> list[str]:
    """The base URLs of two gunicorn processes serving the console, one worker each."""
    redis_url = os.environ.get("REDIS_URL")
    if not redis_url:
        pytest.fail(
            "Set REDIS_URL (e.g. redis://127.0.0.1:6379/0): the processes learn of a revocation "
            "through the gate's versions in the cache they share with this test."
        )
    env = subprocess_environment(
        DJANGO_TESTING="1", DATABASE_URL=database_url_of_this_run(), REDIS_URL=redis_url
    )
    started = []
    try:
        for number in range(PROCESSES):
            port, log = free_port(), tmp_path / f"gunicorn-{number}.log"
            with log.open("w") as output:
                process = subprocess.Popen(  # noqa: S603 - the test's own arguments, no shell
                    [sys.executable, "-m", "gunicorn", "console.wsgi", "-w", "1",
                     "-b", f"127.0.0.1:{port}"],
                    cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT,
                    start_new_session=True,  # master and worker in a group, killed together
                )  # fmt: skip
            started.append((process, port, log))
        for process, port, log in started:
            wait_until_listening(process, port, log)
        yield [f"http://127.0.0.1:{port}" for _, port, _ in started]
    finally:
        for process, _, _ in started:
            process.terminate()
        for process, _, _ in started:
            try:
                process.wait(timeout=STOP_SECONDS)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def check(server: str, token: str, uri: str) -> requests.Response:
    return requests.get(
        server + "/gateway/check",
        headers={
            "Authorization": f"Bearer {token}",
            "X-Original-Method": "GET",
            "X-Original-URI": uri,
        },
        timeout=10,
    )


def warm(servers: list[str], token: str, uri: str) -> None:
    """Two allowed checks on each process: the second is served from what the first cached."""
    statuses = [check(server, token, uri).status_code for server in servers for _ in range(2)]
    assert statuses == [200] * 2 * PROCESSES


def reasons(servers: list[str], token: str, uri: str) -> list[tuple[int, str]]:
    return [
        (response.status_code, response.headers.get("X-Gate-Reason", ""))
        for response in (check(server, token, uri) for server in servers)
    ]


def test_a_shop_the_seller_disconnects_is_refused_by_every_process_on_the_next_call(
    gate_servers, client, app, seller, shop, endpoints
):
    """The seller keeps a second shop, so the token keeps its scopes: only each process's own
    view of the consent can refuse the call."""
    second = factories.ShopFactory(owner=seller)
    token = issue_tokens(client, app, seller, [shop, second])["access_token"]
    disconnected = f"{PRODUCT}?shop_cipher={shop.cipher}"
    kept = f"{PRODUCT}?shop_cipher={second.cipher}"
    warm(gate_servers, token, disconnected)

    authorization_revoke_shop(seller=seller, app=app, shop=shop)

    assert reasons(gate_servers, token, disconnected) == [(403, "shop_not_authorized")] * 2
    assert [check(server, token, kept).status_code for server in gate_servers] == [200, 200]


def test_a_revoked_approval_is_refused_by_every_process_on_the_next_call(
    gate_servers, client, seller, shop, endpoints, product_scope, custom_scope
):
    """The revocation also takes the scope from the token; a process still holding the approval
    would blame the seller (scope_not_granted_by_seller), the fresh view blames the approval."""
    app = app_with_scopes(required=[product_scope], optional=[custom_scope])
    token = issue_tokens(client, app, seller, [shop])["access_token"]
    conversations = f"/customer_service/202309/conversations?shop_cipher={shop.cipher}"
    warm(gate_servers, token, conversations)
    approval = AccessRequest.objects.get(app=app, scope=custom_scope)

    access_request_revoke(request_id=approval.pk, reviewer=make_reviewer(), reason="Data misuse.")

    assert reasons(gate_servers, token, conversations) == [(403, "scope_not_available_to_app")] * 2
    product = f"{PRODUCT}?shop_cipher={shop.cipher}"
    assert [check(server, token, product).status_code for server in gate_servers] == [200, 200]
