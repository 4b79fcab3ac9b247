"""An app with a Public and an optional scope, a Custom scope, endpoints for each, and a seller
who authorized the app on one shop through the real OAuth flow."""

from __future__ import annotations

import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from apps_registry.gate.usage import flush
from tests import factories
from tests.oauth.flow import issue_tokens

PRODUCT_PATH = "/product/202309/products/{product_id}"
ORDER_PATH = "/order/202309/orders"
CONVERSATIONS_PATH = "/customer_service/202309/conversations"
SHOPS_PATH = "/authorization/202309/shops"


@pytest.fixture
def endpoints(product_scope, order_scope, custom_scope):
    return {
        "product": factories.EndpointFactory(path=PRODUCT_PATH, scopes=[product_scope]),
        "order": factories.EndpointFactory(path=ORDER_PATH, scopes=[order_scope]),
        "conversations": factories.EndpointFactory(path=CONVERSATIONS_PATH, scopes=[custom_scope]),
        "shops": factories.EndpointFactory(
            path=SHOPS_PATH, needs_shop=False, scopes=[product_scope]
        ),
    }


@dataclass
class Gate:
    """Asks /gateway/check as nginx does, with the seller's token unless told otherwise."""

    client: object
    token: str
    shop_cipher: str

    @classmethod
    def authorized(cls, client, app, seller, shops, **authorize) -> Gate:
        """The seller authorizes `app` on `shops` through the OAuth flow; calls name the first."""
        tokens = issue_tokens(client, app, seller, shops, **authorize)
        client.logout()
        return cls(client=client, token=tokens["access_token"], shop_cipher=shops[0].cipher)

    def check(self, method="GET", uri=None, *, token=None, **headers):
        uri = (
            uri
            if uri is not None
            else f"/product/202309/products/42?shop_cipher={self.shop_cipher}"
        )
        token = self.token if token is None else token
        if token:
            headers.setdefault("HTTP_AUTHORIZATION", f"Bearer {token}")
        return self.client.get(
            "/gateway/check", HTTP_X_ORIGINAL_METHOD=method, HTTP_X_ORIGINAL_URI=uri, **headers
        )


@pytest.fixture
def gate(client, app, seller, shop, endpoints) -> Gate:
    return Gate.authorized(client, app, seller, [shop])


@pytest.fixture
def flushed():
    """Write what the gate buffered, as the next request past the interval would."""
    return lambda: flush(force=True)


def free_port() -> int:
    """A loopback port nothing listens on now, for a server the test starts."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_listening(process: subprocess.Popen, port: int, log: Path, *, seconds=15) -> None:
    """Return once `process` accepts connections on `port`; fail with its log if it exits or
    takes longer than `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"{process.args[0]} exited with {process.returncode}:\n{log.read_text()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    pytest.fail(
        f"{process.args[0]} did not listen on {port} within {seconds} s:\n{log.read_text()}"
    )
