"""What the endpoints taking client credentials (token, revocation, introspection) do before DOT
reads a request: refuse a malformed one, and throttle failed client authentication per client
address (ADR 0009)."""

from __future__ import annotations

import base64
import hashlib
from urllib.parse import unquote_plus

from django.conf import settings
from django.core.cache import cache
from django.http import JsonResponse

from apps_registry.services.client_auth import client_auth_failure_record
from console.adapters import client_address
from console.views.oauth.responses import oauth_error


def _basic_credentials(request) -> tuple[str, str] | None:
    """The client_id and client_secret of an `Authorization: Basic` header, None without one.

    The throttle counts a failure against the client_id read here, so DOT must not read another:
    DOT's decoder skips characters outside the base64 alphabet, and would authenticate a client
    this function could not name. Anything but strict base64 of UTF-8 "client_id:client_secret"
    (each form-urlencoded, RFC 6749 §2.3.1) raises ValueError, and is refused before DOT runs.
    The scheme is case-insensitive (RFC 9110 §11.1); DOT reads only "Basic" and ignores a
    "basic" header, whose client_id is then counted here without DOT trying it: over, not under."""
    scheme, _, encoded = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    if scheme.lower() != "basic" or not encoded:
        return None
    try:
        decoded = base64.b64decode(encoded, validate=True).decode("utf-8")
    except ValueError as error:  # binascii.Error, UnicodeDecodeError, a non-ASCII header
        raise ValueError("not base64 of UTF-8 text") from error
    client_id, colon, client_secret = decoded.partition(":")
    if not colon:
        raise ValueError("no colon between the client_id and the client_secret")
    return unquote_plus(client_id), unquote_plus(client_secret)


def _claimed_client_ids(request) -> set[str]:
    """Every client_id a request claims. DOT falls back to the body client_id when Basic auth
    fails, so a failure counts against the Basic and the body client_id alike. Only for requests
    RefuseMalformedRequestMixin let through: their Basic credentials are well-formed."""
    basic_client_id, _ = _basic_credentials(request) or ("", "")
    return {request.POST.get("client_id", ""), basic_client_id} - {""}


def _failure_key(*parts: str) -> str:
    digest = hashlib.sha256("\0".join(parts).encode()).hexdigest()
    return f"oauth:client-auth-failures:{digest}"


def _count_failure(key: str, window: int) -> None:
    """Atomic in the shared cache (Redis INCR): concurrent guesses cannot lose a count."""
    cache.add(key, 0, timeout=window)
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window)


def _malformed_request(request) -> str | None:
    """Why the request is malformed (RFC 6749 §5.2, invalid_request), or None."""
    try:
        basic = _basic_credentials(request)
    except ValueError:
        return (
            "The Authorization header is not valid Basic credentials. Send “Basic ” followed by "
            "the base64 of client_id:client_secret, each form-urlencoded."
        )
    values = [value for _, values in request.POST.lists() for value in values]
    if any("\x00" in value for value in [*values, *(basic or ())]):
        # PostgreSQL refuses NUL in a query: such a client_id, code or token would be a 500.
        return "A parameter contains a NUL character; remove it."
    if basic is not None and "client_secret" in request.POST:
        # RFC 6749 §2.3: one authentication method per request. DOT tries Basic and, when it
        # fails, silently authenticates the body's client instead: a guessed secret for one
        # client beside another client's real credentials would never be a counted failure,
        # and DOT answers differently when the guess is right.
        return (
            "The request carries client credentials both in the Authorization header and in "
            "the body. Authenticate one way only: HTTP Basic (preferred) or client_id and "
            "client_secret in the body."
        )
    return None


class RefuseMalformedRequestMixin:
    """Refuse a malformed request with 400 invalid_request before it counts as a failed client
    authentication and before DOT reads it: Basic credentials that are not strictly what RFC
    6749 §2.3.1 says, a NUL in a parameter or in the Basic credentials, or client credentials
    sent two ways at once (ADR 0009)."""

    def dispatch(self, request, *args, **kwargs):
        problem = _malformed_request(request)
        if problem is not None:
            return oauth_error(400, "invalid_request", problem)
        return super().dispatch(request, *args, **kwargs)


class ClientAuthThrottleMixin:
    """Throttle failed client authentications (RFC 6749 §2.3.1: protect against brute force)
    by where they come from, never by client_id alone: per (client_id, client address), and per
    address whatever the client_id. A throttled address gets 429 with Retry-After; the app with
    its right secret keeps working from every other address (ADR 0009). Each failure is also
    counted for the app's owner to see on the app page."""

    def dispatch(self, request, *args, **kwargs):
        address = client_address(request)
        client_ids = _claimed_client_ids(request)
        address_key = _failure_key("address", address)
        pair_keys = [_failure_key("client", client_id, address) for client_id in client_ids]
        window = settings.OAUTH_CLIENT_AUTH_FAILURE_WINDOW_SECONDS
        counts = cache.get_many([address_key, *pair_keys])
        if counts.get(address_key, 0) >= settings.OAUTH_CLIENT_AUTH_FAILURE_ADDRESS_LIMIT or any(
            counts.get(key, 0) >= settings.OAUTH_CLIENT_AUTH_FAILURE_LIMIT for key in pair_keys
        ):
            return _too_many_failures(window)
        response = super().dispatch(request, *args, **kwargs)
        if response.status_code == 401:
            for key in (address_key, *pair_keys):
                _count_failure(key, window)
            client_auth_failure_record(client_ids=client_ids, address=address)
        return response


def _too_many_failures(window: int) -> JsonResponse:
    response = oauth_error(
        429,
        "invalid_client",
        "Too many failed client authentications from your address. "
        f"Check the client credentials, then try again in {window} seconds.",
    )
    response["Retry-After"] = str(window)
    return response
