"""A real nginx in front of the gate, configured by docs/gateway/nginx.conf (the file the README
shows): an allowed call reaches the API with who is calling and without the token; a denial
reaches the client with the gate's status, one challenge and its JSON body, and never the API;
a revocation counts on the very next call."""

from __future__ import annotations

import json
import subprocess
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from apps_registry.services.authorizations import authorization_revoke_shop
from deploy.nginx import NGINX, nginx_problem
from tests import factories
from tests.conftest import ROOT
from tests.gateway.conftest import PRODUCT_PATH, SHOPS_PATH, free_port, wait_until_listening
from tests.oauth.flow import CLIENT_SECRET, issue_tokens

CONFIG = ROOT / "docs" / "gateway" / "nginx.conf"
# Everything nginx would otherwise write under /var or /run, kept in the test's directory.
MAIN_CONFIG = """
pid {dir}/nginx.pid;
error_log {dir}/error.log;
events {{}}
http {{
    access_log off;
    client_body_temp_path {dir}/client_body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    include {dir}/gate.conf;
}}
"""

PRODUCT = PRODUCT_PATH.format(product_id=42)
PRODUCT_OF_THE_SHOP = PRODUCT + "?shop_cipher={cipher}"
INVALID_TOKEN_CHALLENGE = (
    'Bearer realm="api", error="invalid_token", '
    'error_description="The access token is invalid or was revoked."'
)


def rendered_config(*, port: int, console: str, api: str) -> str:
    """docs/gateway/nginx.conf with its example addresses replaced by the test's."""
    text = CONFIG.read_text()
    for example, actual in {
        "listen 8080;": f"listen 127.0.0.1:{port};",
        "http://console.internal:8000": f"http://{console}",
        "Host console.example.com;": "Host 127.0.0.1;",
        "http://api.internal:9000": f"http://{api}",
    }.items():
        assert text.count(example) == 1, f"{CONFIG} no longer names {example!r} once"
        text = text.replace(example, actual)
    return text


def nginx_binary() -> Path:
    """Debian's nginx with the auth_request module; fail, never skip, without it."""
    if problem := nginx_problem():
        pytest.fail(problem)
    return NGINX


class EchoHandler(BaseHTTPRequestHandler):
    """The API behind nginx: answers a call with its method, path and headers, and keeps it."""

    def do_GET(self) -> None:
        call = {
            "method": self.command,
            "path": self.path,
            "headers": {name.lower(): value for name, value in self.headers.items()},
        }
        self.server.calls.append(call)
        body = json.dumps(call).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args) -> None:
        """Quiet: the test reads the calls it keeps."""


@pytest.fixture
def api():
    server = ThreadingHTTPServer(("127.0.0.1", 0), EchoHandler)
    server.calls = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@dataclass
class Edge:
    """nginx as the API's edge, the console it asks, and what reached the API."""

    url: str
    console_url: str
    api_calls: list[dict]

    def call(self, uri: str, *, token: str = "", headers: dict | None = None):
        return requests.get(
            self.url + uri, headers={**bearer(token), **(headers or {})}, timeout=10
        )

    def ask_gate(self, uri: str, *, token: str = ""):
        """The question nginx's subrequest asks, put to the console directly."""
        headers = {**bearer(token), "X-Original-Method": "GET", "X-Original-URI": uri}
        return requests.get(self.console_url + "/gateway/check", headers=headers, timeout=10)


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"} if token else {}


@pytest.fixture
def edge(tmp_path, live_server, api) -> Edge:
    binary = nginx_binary()
    port = free_port()
    console = urlsplit(live_server.url)
    (tmp_path / "gate.conf").write_text(
        rendered_config(
            port=port, console=f"127.0.0.1:{console.port}", api=f"127.0.0.1:{api.server_port}"
        )
    )
    (tmp_path / "nginx.conf").write_text(MAIN_CONFIG.format(dir=tmp_path))
    error_log = tmp_path / "error.log"
    process = subprocess.Popen(  # noqa: S603 - the test's own arguments, no shell
        [binary, "-p", tmp_path, "-c", tmp_path / "nginx.conf", "-e", error_log,
         "-g", "daemon off; master_process off;"],
        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        wait_until_listening(process, port, error_log)
        yield Edge(url=f"http://127.0.0.1:{port}", console_url=live_server.url, api_calls=api.calls)
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def gate_headers_seen_by_the_api(call: dict) -> dict:
    """The identity headers and any token that reached the API."""
    return {
        name: value
        for name, value in call["headers"].items()
        if name.startswith("x-gate-") or name in ("authorization", "x-tts-access-token")
    }


def denial(response) -> tuple[int, list[str], dict]:
    """What a client learns from a denial: the status, every challenge, the JSON body."""
    assert response.headers["Content-Type"] == "application/json"
    return response.status_code, response.raw.headers.getlist("WWW-Authenticate"), response.json()


def test_the_readme_shows_the_configuration_these_tests_run():
    section = (ROOT / "README.md").read_text().split("\n## Put the gate in front of the API\n")[1]
    shown = section.split("```nginx\n", 1)[1].split("```", 1)[0]

    assert shown == CONFIG.read_text()


def test_an_allowed_call_reaches_the_api_with_who_is_calling_and_no_token(
    edge, gate, app, seller, shop
):
    uri = f"{PRODUCT}?shop_cipher={shop.cipher}"
    spoofed = {"X-Gate-Client-Id": "someone-else", "X-Gate-Scopes": "seller.finance.info"}

    response = edge.call(uri, token=gate.token, headers=spoofed)

    assert response.status_code == 200, response.text
    call = response.json()
    assert (call["method"], call["path"]) == ("GET", uri)
    assert gate_headers_seen_by_the_api(call) == {
        "x-gate-client-id": app.client_id,
        "x-gate-seller-id": str(seller.pk),
        "x-gate-shop-cipher": shop.cipher,
        "x-gate-shop-id": str(shop.pk),
        "x-gate-scopes": "seller.order.info seller.product.basic",
        "x-gate-endpoint": "GET /product/202309/products/{product_id}",
    }
    assert edge.api_calls == [call]


def test_the_tiktok_token_header_works_through_nginx_and_stops_there(edge, gate, app, shop):
    response = edge.call(
        f"{PRODUCT}?shop_cipher={shop.cipher}", headers={"x-tts-access-token": gate.token}
    )

    assert response.status_code == 200, response.text
    seen = gate_headers_seen_by_the_api(response.json())
    assert seen["x-gate-client-id"] == app.client_id
    assert "x-tts-access-token" not in seen


def test_an_endpoint_without_a_shop_passes_no_shop_even_when_the_client_names_one(edge, gate):
    response = edge.call(SHOPS_PATH, token=gate.token, headers={"X-Gate-Shop-Cipher": "spoofed"})

    assert response.status_code == 200, response.text
    seen = gate_headers_seen_by_the_api(response.json())
    assert "x-gate-shop-cipher" not in seen
    assert seen["x-gate-endpoint"] == f"GET {SHOPS_PATH}"


@pytest.mark.parametrize(
    ("token", "uri", "status", "code", "challenge"),
    [
        pytest.param(
            "", PRODUCT_OF_THE_SHOP, 401, "token_missing", 'Bearer realm="api"',
            id="token_missing",
        ),
        pytest.param(
            "not-a-token", PRODUCT_OF_THE_SHOP, 401, "token_invalid", INVALID_TOKEN_CHALLENGE,
            id="token_invalid",
        ),
        pytest.param(
            None, "/customer_service/202309/conversations?shop_cipher={cipher}", 403,
            "scope_not_available_to_app",
            'Bearer realm="api", error="insufficient_scope", scope="seller.customer_service"',
            id="scope_not_available_to_app",
        ),
        pytest.param(
            None, PRODUCT + "?shop_cipher=not-the-sellers", 403, "shop_not_authorized",
            'Bearer realm="api", error="insufficient_scope", scope="seller.product.basic"',
            id="shop_not_authorized",
        ),
    ],
)  # fmt: skip
def test_a_denial_reaches_the_client_as_the_gate_said_it_and_never_the_api(
    edge, gate, token, uri, status, code, challenge
):
    """`None` is the seller's own token."""
    token = gate.token if token is None else token
    uri = uri.format(cipher=gate.shop_cipher)

    response = edge.call(uri, token=token)

    assert denial(response)[:2] == (status, [challenge])
    assert response.json()["code"] == code
    assert response.headers["Cache-Control"] == "no-store"
    assert denial(response) == denial(edge.ask_gate(uri, token=token))
    assert edge.api_calls == []


def test_a_scope_the_seller_did_not_grant_is_denied_with_the_scope_to_ask_for(
    edge, client, app, seller, shop, endpoints
):
    token = issue_tokens(client, app, seller, [shop], optional=[])["access_token"]
    uri = f"/order/202309/orders?shop_cipher={shop.cipher}"

    response = edge.call(uri, token=token)

    assert denial(response) == (
        403,
        ['Bearer realm="api", error="insufficient_scope", scope="seller.order.info"'],
        edge.ask_gate(uri, token=token).json(),
    )
    assert response.json()["code"] == "scope_not_granted_by_seller"
    assert edge.api_calls == []


def test_a_client_cannot_name_another_call_to_the_gate(edge, gate):
    """nginx sets X-Original-URI itself: the client's own one never reaches the gate."""
    allowed = f"{PRODUCT}?shop_cipher={gate.shop_cipher}"

    response = edge.call(
        f"/customer_service/202309/conversations?shop_cipher={gate.shop_cipher}",
        token=gate.token,
        headers={"X-Original-Method": "GET", "X-Original-URI": allowed},
    )

    assert response.status_code == 403
    assert response.json()["code"] == "scope_not_available_to_app"
    assert edge.api_calls == []


def test_a_seller_disconnecting_a_shop_denies_the_very_next_call(
    edge, client, app, seller, shop, endpoints
):
    """The seller keeps a second shop, so the token keeps its scopes: only the gate's view of the
    consent can refuse, and it must not serve what it cached from the two allowed calls."""
    second = factories.ShopFactory(owner=seller)
    token = issue_tokens(client, app, seller, [shop, second])["access_token"]
    uri = f"{PRODUCT}?shop_cipher={shop.cipher}"
    assert [edge.call(uri, token=token).status_code for _ in range(2)] == [200, 200]

    authorization_revoke_shop(seller=seller, app=app, shop=shop)

    response = edge.call(uri, token=token)
    assert (response.status_code, response.json()["code"]) == (403, "shop_not_authorized")
    assert edge.call(f"{PRODUCT}?shop_cipher={second.cipher}", token=token).status_code == 200
    assert len(edge.api_calls) == 3


def test_an_app_revoking_its_token_denies_the_very_next_call(edge, gate, app):
    uri = f"{PRODUCT}?shop_cipher={gate.shop_cipher}"
    assert [edge.call(uri, token=gate.token).status_code for _ in range(2)] == [200, 200]

    revoked = requests.post(
        edge.console_url + "/oauth/revoke/",
        data={"token": gate.token},
        auth=(app.client_id, CLIENT_SECRET),
        timeout=10,
    )
    assert revoked.status_code == 200, revoked.text

    response = edge.call(uri, token=gate.token)
    assert denial(response)[:2] == (401, [INVALID_TOKEN_CHALLENGE])
    assert response.json()["code"] == "token_invalid"
    assert len(edge.api_calls) == 2
