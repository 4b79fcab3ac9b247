"""A person's browser, as far as the pages benchmark needs one: cookies, forms with their CSRF
token, allauth's sign-in with its TOTP step, and requests marked as coming through the
TLS-terminating proxy.

The server runs production's HTTPS settings, so its cookies are Secure; the standard library's
cookie jar would never send them over the loopback's plain HTTP, so this keeps its own. A POST
carries the Origin and Referer a browser sends, which Django's CSRF check demands on HTTPS.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import struct
import time
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from http.cookies import SimpleCookie
from urllib.parse import urlencode, urlsplit

from bench.http_load.server import PROXY

LOGIN_PATH = "/accounts/login/"
MFA_PATH = "/accounts/2fa/authenticate/"
# allauth's TOTP (MFA_TOTP_PERIOD and MFA_TOTP_DIGITS at their defaults): RFC 6238 with SHA-1.
TOTP_PERIOD = 30
TOTP_DIGITS = 6
TIMEOUT_SECONDS = 120


def totp(base32_secret: str, at: float | None = None) -> str:
    """The code an authenticator app shows for this secret now (RFC 6238, RFC 4226)."""
    counter = int(time.time() if at is None else at) // TOTP_PERIOD
    key = base64.b32decode(base32_secret, casefold=True)
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 10**TOTP_DIGITS:0{TOTP_DIGITS}}"


def totp_codes(base32_secret: str) -> Iterator[str]:
    """The code now, then, should it be refused, the next period's: allauth takes each code once
    per account (its cache remembers the used ones), so a second sign-in in the same 30 seconds
    waits for a fresh code, as a person would."""
    yield totp(base32_secret)
    time.sleep(TOTP_PERIOD - time.time() % TOTP_PERIOD + 1)
    yield totp(base32_secret)


@dataclass(frozen=True)
class Response:
    status: int
    location: str
    body: str

    def summary(self, limit: int = 3000) -> str:
        """What a wrong answer was, to print in full enough to see why."""
        where = f" → {self.location}" if self.location else ""
        return f"{self.status}{where}\n{self.body[:limit]}"


class SignInError(RuntimeError):
    pass


class NoSuchFormError(LookupError):
    pass


class FormFields(HTMLParser):
    """The fields the first POST form holding `marker` (a field name) submits as rendered: text
    and hidden inputs, ticked checkboxes and radios."""

    def __init__(self, marker: str) -> None:
        super().__init__()
        self.marker = marker
        self.forms: list[list[tuple[str, str]]] = []
        self._current: list[tuple[str, str]] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "form" and (attributes.get("method") or "").lower() == "post":
            self._current = []
        elif tag == "input" and self._current is not None and attributes.get("name"):
            kind = attributes.get("type", "text")
            if kind in ("checkbox", "radio") and "checked" not in attributes:
                return
            if kind not in ("submit", "button"):
                self._current.append((attributes["name"], attributes.get("value") or ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self._current is not None:
            self.forms.append(self._current)
            self._current = None

    def fields(self, html: str) -> list[tuple[str, str]]:
        self.feed(html)
        for form in self.forms:
            if any(name == self.marker for name, _ in form):
                return form
        raise NoSuchFormError(f"no POST form with a {self.marker!r} field in:\n{html[:3000]}")


class Browser:
    """One person's session on one server. Each request opens its own connection, as gunicorn's
    sync workers close every connection after the response anyway."""

    def __init__(self, base_url: str) -> None:
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname or "", parts.port or 80
        # The origin the server believes it is on: HTTPS, through the proxy.
        self.origin = f"https://{parts.netloc}"
        self.cookies: dict[str, str] = {}

    def get(self, path: str) -> Response:
        return self.send("GET", path)

    def submit(
        self, path: str, *, marker: str = "csrfmiddlewaretoken", **changes: str | list[str]
    ) -> Response:
        """GET the page at `path` and POST back the form holding a `marker` field, as rendered
        (its CSRF token, hidden fields, ticked boxes), with `changes` replacing the value of each
        field they name (a list for a field sent several times)."""
        page = self.get(path)
        if page.status != 200:
            raise NoSuchFormError(f"no page at {path}:\n{page.summary()}")
        fields = [(n, v) for n, v in FormFields(marker).fields(page.body) if n not in changes]
        for name, value in changes.items():
            fields += [(name, item) for item in (value if isinstance(value, list) else [value])]
        return self.post(path, fields)

    def post(self, path: str, fields: list[tuple[str, str]]) -> Response:
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Origin": self.origin,
            "Referer": self.origin + path,
        }
        return self.send("POST", path, body=urlencode(fields), headers=headers)

    def sign_in(self, email: str, password: str, totp_secret: str | None = None) -> None:
        """allauth's login form, then its two-factor step when the account has TOTP set up."""
        answer = self.submit(LOGIN_PATH, marker="login", login=email, password=password)
        if answer.status == 302 and urlsplit(answer.location).path == MFA_PATH:
            if totp_secret is None:
                raise SignInError(f"{email} is asked for a TOTP code, and has no secret")
            for code in totp_codes(totp_secret):
                answer = self.submit(MFA_PATH, marker="code", code=code)
                if answer.status == 302:
                    break
        if answer.status != 302 or urlsplit(answer.location).path in (LOGIN_PATH, MFA_PATH):
            raise SignInError(f"{email} could not sign in:\n{answer.summary()}")

    def send(
        self, method: str, path: str, *, body: str | None = None, headers: dict | None = None
    ) -> Response:
        connection = http.client.HTTPConnection(self.host, self.port, timeout=TIMEOUT_SECONDS)
        try:
            cookie = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
            sent = PROXY | ({"Cookie": cookie} if cookie else {}) | (headers or {})
            connection.request(method, path, body=body, headers=sent)
            response = connection.getresponse()
            text = response.read().decode("utf-8", errors="replace")
            for header in response.headers.get_all("Set-Cookie") or []:
                self._keep(header)
            return Response(response.status, response.getheader("Location") or "", text)
        finally:
            connection.close()

    def _keep(self, set_cookie: str) -> None:
        for name, morsel in SimpleCookie(set_cookie).items():
            if morsel["max-age"] == "0" or not morsel.value:
                self.cookies.pop(name, None)  # the server deleted it
            else:
                self.cookies[name] = morsel.value
