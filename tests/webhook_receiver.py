"""A real HTTP receiver for webhook tests: a server on 127.0.0.1 (an ephemeral port) in a thread,
recording every request and answering each with the next scripted reply.

    def test_something(webhook_receiver, loopback_webhooks):
        webhook_receiver.answer(500, Reply(delay=5), 200)
        secret = subscribe(app, url=webhook_receiver.url)

`loopback_webhooks` lets the engine post to it (WEBHOOK_ALLOW_LOOPBACK, timeouts of a second).
Import the fixtures into a conftest.py to use them.
"""

from __future__ import annotations

import ssl
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import timezone

from apps_registry.models import PartnerApp, WebhookEndpoint, WebhookTopic
from apps_registry.webhooks import secrets


@dataclass(frozen=True)
class Reply:
    """One scripted answer: wait `delay` seconds first, then answer `status` with `body`; with
    `drip_seconds`, send the body one byte at a time, that long apart (a slow-drip answer), or
    with `drip_headers` too, a header line that never ends (the answer never even starts)."""

    status: int = 200
    body: str = "ok"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    drip_seconds: float = 0.0
    drip_headers: bool = False


@dataclass(frozen=True)
class ReceivedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    received_at: float  # time.monotonic()


class WebhookReceiver:
    """The server; `requests` is what it received, in order. Replies beyond the script are 200."""

    def __init__(self, *, tls: ssl.SSLContext | None = None) -> None:
        self.requests: list[ReceivedRequest] = []
        self._replies: list[Reply] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self.request_arrived = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        if tls is not None:
            self._server.socket = tls.wrap_socket(self._server.socket, server_side=True)
        self._scheme = "https" if tls else "http"
        self._server.daemon_threads = True
        self._server.block_on_close = False
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )
        self._thread.start()

    @property
    def url(self) -> str:
        return f"{self._scheme}://127.0.0.1:{self._server.server_port}/webhooks"

    @property
    def port(self) -> int:
        return self._server.server_port

    def answer(self, *replies: Reply | int) -> None:
        """Script the next answers: a status, or a Reply for anything more."""
        with self._lock:
            self._replies.extend(
                reply if isinstance(reply, Reply) else Reply(status=reply) for reply in replies
            )

    def stop(self) -> None:
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()

    def _record_and_choose(self, request: ReceivedRequest) -> Reply:
        with self._lock:
            self.requests.append(request)
            self.request_arrived.set()
            return self._replies.pop(0) if self._replies else Reply()

    def _wait(self, seconds: float) -> None:
        self._stopping.wait(seconds)


def _handler_for(receiver: WebhookReceiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self._receive()

        def do_GET(self) -> None:
            self._receive()

        def _receive(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            reply = receiver._record_and_choose(
                ReceivedRequest(
                    method=self.command,
                    path=self.path,
                    headers=dict(self.headers.items()),
                    body=self.rfile.read(length),
                    received_at=time.monotonic(),
                )
            )
            receiver._wait(reply.delay)
            body = reply.body.encode()
            try:
                if reply.drip_headers:
                    self.wfile.write(b"HTTP/1.1 200 OK\r\nX-Slow: ")
                    while not receiver._stopping.is_set():
                        self.wfile.write(b"z")
                        self.wfile.flush()
                        receiver._wait(reply.drip_seconds)
                    return
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if reply.drip_seconds:
                    for byte in body:
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                        receiver._wait(reply.drip_seconds)
                else:
                    self.wfile.write(body)
            except OSError:
                pass  # The client gave up (its timeout), as the test meant it to.

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


@pytest.fixture
def make_webhook_receiver():
    """Start as many receivers as a test needs (https with `tls`); all stop after it."""
    receivers: list[WebhookReceiver] = []

    def make(*, tls: ssl.SSLContext | None = None) -> WebhookReceiver:
        receivers.append(WebhookReceiver(tls=tls))
        return receivers[-1]

    yield make
    for receiver in receivers:
        receiver.stop()


@pytest.fixture
def webhook_receiver(make_webhook_receiver) -> WebhookReceiver:
    return make_webhook_receiver()


@pytest.fixture
def loopback_webhooks(settings):
    """The engine may post to http on 127.0.0.1, with timeouts short enough for tests."""
    settings.WEBHOOK_ALLOW_LOOPBACK = True
    settings.WEBHOOK_CONNECT_TIMEOUT_SECONDS = 1.0
    settings.WEBHOOK_TIMEOUT_SECONDS = 1.0
    return settings


def subscribe(
    app: PartnerApp, *, url: str, topics: list[str] | None = None, secret: str | None = None
) -> str:
    """Give `app` an endpoint at `url` for `topics` (default: all) and return its secret."""
    secret = secret or secrets.new_secret()
    now = timezone.now()
    WebhookEndpoint.objects.create(
        app=app,
        url=url,
        topics=list(WebhookTopic.values) if topics is None else topics,
        secret_ciphertext=secrets.encrypt(secret),
        secret_hint=secrets.secret_hint(secret),
        secret_created_at=now,
        created_at=now,
        updated_at=now,
    )
    return secret
