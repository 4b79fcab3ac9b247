"""One POST to a receiver, hardened against server-side request forgery, and what came back in
words a partner can act on.

Before posting, every address the host resolves to must pass the rule the URL passed when it was
set (urls.is_public_address). requests-hardened then resolves the host again, refuses a non-public
address and connects to the very address it checked, so a DNS answer cannot change between the
check and the connection. Redirects are never followed: a receiver could point one at an internal
address.
"""

from __future__ import annotations

import contextlib
import ipaddress
import signal
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http import HTTPStatus
from urllib.parse import urlsplit

import requests
import urllib3
from django.conf import settings
from requests_hardened import Config, HTTPSession
from requests_hardened.ip_filter import InvalidIPAddress

from apps_registry.mail import site_url
from apps_registry.webhooks.urls import NOT_PUBLIC_MESSAGE, public_addresses

EXCERPT_CHARACTERS = 500
# Enough bytes for EXCERPT_CHARACTERS characters of UTF-8; the rest of the answer is never read.
EXCERPT_BYTES = EXCERPT_CHARACTERS * 4
ERROR_CHARACTERS = 300


@dataclass(frozen=True)
class PostResult:
    """What one POST got: the receiver's status (None when none came), why it failed ("" when it
    succeeded), the start of the answer and how long it took."""

    response_status: int | None
    error: str
    excerpt: str
    duration_ms: int

    @property
    def succeeded(self) -> bool:
        return not self.error


def post(url: str, *, body: str, headers: dict[str, str]) -> PostResult:
    """POST `body` to `url` within the configured timeouts; never raises for the receiver's
    faults."""
    started = time.monotonic()
    refusal = url_refusal(url)
    if refusal:
        return PostResult(None, refusal, "", 0)
    host = urlsplit(url).hostname or ""
    if public_addresses(host, allow_loopback=settings.WEBHOOK_ALLOW_LOOPBACK) is None:
        return PostResult(None, NOT_PUBLIC_MESSAGE, "", _ms_since(started))
    connect_timeout, read_timeout = _timeouts()
    total = connect_timeout + read_timeout
    try:
        with _session() as session:
            # The status line and headers must come within the deadline...
            with _overall_deadline(total):
                response = session.post(url, data=body.encode(), headers=headers, stream=True)
            with response:
                status = response.status_code
                # ...and however slowly the body drips in, reading it stops there too.
                excerpt = _excerpt(response, deadline=started + total)
    except requests.RequestException as error:
        return PostResult(None, _explain(error, url)[:ERROR_CHARACTERS], "", _ms_since(started))
    except DeadlineExceededError:
        return PostResult(None, f"No complete answer within {total:g} s", "", _ms_since(started))
    return PostResult(status, _status_error(status), excerpt, _ms_since(started))


class DeadlineExceededError(Exception):
    """The attempt's overall time ran out."""


@contextlib.contextmanager
def _overall_deadline(seconds: float) -> Iterator[None]:
    """Interrupt whatever the attempt is doing after `seconds`, in the worker's main thread.

    The timeouts of requests apply to each read. A receiver that sends its status line one byte at a
    time, each within the read timeout, would hold the worker for as long as it liked. A worker runs
    its tasks in the main thread, so a real-time alarm can cut the attempt; elsewhere (a test
    calling from a thread) only the per-read timeouts apply.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: object) -> None:
        raise DeadlineExceededError

    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def url_refusal(url: str) -> str | None:
    """Why a receiver's URL may not be posted to before any address is checked, or None: https
    only, and plain http only to a loopback address where development allows it."""
    parts = urlsplit(url)
    if parts.scheme == "https":
        return None
    if not settings.WEBHOOK_ALLOW_LOOPBACK:
        return "The URL must start with https://"
    if parts.scheme == "http" and _is_loopback_host(parts.hostname or ""):
        return None
    return "The URL must start with https:// (http:// only to this machine, in development)"


def _session() -> HTTPSession:
    session = HTTPSession(
        Config(
            ip_filter_enable=True,
            ip_filter_allow_loopback_ips=settings.WEBHOOK_ALLOW_LOOPBACK,
            never_redirect=True,
            default_timeout=_timeouts(),
            user_agent_override=f"Partner Console webhooks (+{site_url()})",
        )
    )
    # A proxy from the environment would connect to addresses the filter refuses.
    session.trust_env = False
    return session


def _timeouts() -> tuple[float, float]:
    return settings.WEBHOOK_CONNECT_TIMEOUT_SECONDS, settings.WEBHOOK_TIMEOUT_SECONDS


def _excerpt(response: requests.Response, *, deadline: float) -> str:
    received = bytearray()
    try:
        while len(received) < EXCERPT_BYTES and time.monotonic() < deadline:
            # read1 returns what has arrived instead of waiting for the whole amount.
            chunk = response.raw.read1(EXCERPT_BYTES - len(received), decode_content=True)
            if not chunk:
                break
            received += chunk
    except (urllib3.exceptions.HTTPError, OSError):
        pass  # The status has come; a broken or slow body only shortens the excerpt.
    text = received.decode("utf-8", errors="replace")
    # PostgreSQL text cannot hold NUL.
    return text.replace("\x00", "\ufffd")[:EXCERPT_CHARACTERS]


def _status_error(status: int) -> str:
    if 200 <= status < 300:
        return ""
    if 300 <= status < 400:
        return f"The receiver answered {status}, a redirect: redirects are not followed"
    try:
        return f"The receiver answered {status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"The receiver answered {status}"


def _explain(error: requests.RequestException, url: str) -> str:
    host = urlsplit(url).hostname or url
    connect_timeout, read_timeout = _timeouts()
    causes = list(_causes(error))
    # The host's DNS answer changed since the check before the post. Said as that check says it,
    # whether the host now resolves to a non-public address or not at all, so a partner cannot
    # probe internal names through a CNAME.
    if isinstance(error, InvalidIPAddress) or any(
        isinstance(cause, socket.gaierror) for cause in causes
    ):
        return NOT_PUBLIC_MESSAGE
    if isinstance(error, requests.ConnectTimeout):
        return f"Could not connect within {connect_timeout:g} s"
    if isinstance(error, requests.ReadTimeout):
        return f"Timed out after {read_timeout:g} s"
    if isinstance(error, requests.exceptions.SSLError):
        if any(isinstance(cause, ssl.SSLCertVerificationError) for cause in causes):
            return f"TLS certificate not valid for {host}"
        return f"TLS handshake with {host} failed"
    if any(isinstance(cause, ConnectionRefusedError) for cause in causes):
        return "Connection refused"
    if isinstance(error, requests.ConnectionError):
        return f"The connection to {host} failed or was closed before an answer"
    return f"The URL could not be posted to: {error}"


def _causes(error: BaseException) -> Iterator[BaseException]:
    """The error, then what caused it (urllib3 keeps its cause in `reason`)."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = getattr(current, "reason", None) or current.__cause__ or current.__context__
        if not isinstance(current, BaseException):
            current = None


def _is_loopback_host(hostname: str) -> bool:
    try:
        addresses = socket.getaddrinfo(hostname, None, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        return False
    return bool(addresses) and all(
        ipaddress.ip_address(address[4][0]).is_loopback for address in addresses
    )


def _ms_since(started: float) -> int:
    return round((time.monotonic() - started) * 1000)
