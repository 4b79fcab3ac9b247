"""Redirect URI rules for partner apps (RFC 9700 §2.1, §4.1.3; RFC 8252 §7.3 for loopback).

A redirect URI is where the authorization server sends a seller's authorization code, so a loose
rule is an account-takeover lever. We accept only absolute https URIs, or http on a loopback host
for local development; never wildcards, fragments or credentials; and DOT matches them exactly.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import parse_qsl, urlsplit

from django.core.exceptions import ValidationError

MAX_REDIRECT_URIS = 10
MAX_REDIRECT_URI_LENGTH = 2000
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})
# Parameters the authorization server itself appends to the redirect; a registered URI carrying
# them would let the response be confused with (or override) the real one.
RESERVED_QUERY_PARAMETERS = frozenset({"code", "state", "error", "iss"})


def parse_redirect_uris(text: str) -> list[str]:
    """Split one URI per line (or space), dropping blanks and repeats, keeping the order."""
    seen: dict[str, None] = {}
    for uri in text.split():
        seen.setdefault(uri, None)
    return list(seen)


def validate_redirect_uri(uri: str) -> None:
    """Raise ValidationError, with a message a partner can act on, unless `uri` is acceptable."""
    if len(uri) > MAX_REDIRECT_URI_LENGTH:
        raise ValidationError(
            f"“{uri[:60]}…” is longer than {MAX_REDIRECT_URI_LENGTH} characters.",
            code="too_long",
        )
    if any(ord(char) < 33 or ord(char) == 127 for char in uri):
        raise ValidationError(
            f"“{uri}” contains spaces or control characters.", code="invalid_characters"
        )
    if "*" in uri:
        raise ValidationError(
            f"“{uri}” contains a wildcard; register every redirect URI exactly.", code="wildcard"
        )
    if "#" in uri:
        raise ValidationError(
            f"“{uri}” has a fragment (#…); redirect URIs cannot have one.", code="fragment"
        )
    try:
        parts = urlsplit(uri)
        port = parts.port
    except ValueError:
        raise ValidationError(f"“{uri}” is not a valid URL.", code="invalid") from None
    if not parts.scheme or not parts.netloc or not parts.hostname:
        raise ValidationError(
            f"“{uri}” is not an absolute URL; write it in full, e.g. https://app.example.com/callback.",
            code="not_absolute",
        )
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise ValidationError(
            f"“{uri}” contains a user name or password; remove the part before “@”.",
            code="userinfo",
        )
    host = parts.hostname.lower()
    is_loopback = host in LOOPBACK_HOSTS
    scheme = parts.scheme.lower()
    if scheme == "http" and not is_loopback:
        raise ValidationError(
            f"“{uri}” uses http; use https (http is allowed only for 127.0.0.1, [::1] and "
            "localhost during development).",
            code="insecure_scheme",
        )
    if scheme not in ("https", "http"):
        raise ValidationError(f"“{uri}” must use https.", code="scheme")
    if not is_loopback and _is_ip_literal(host):
        raise ValidationError(
            f"“{uri}” points at an IP address; use a domain name you control.", code="ip_literal"
        )
    if port == 0:
        raise ValidationError(f"“{uri}” has an invalid port.", code="invalid")
    reserved = sorted(
        {name for name, _ in parse_qsl(parts.query, keep_blank_values=True)}
        & RESERVED_QUERY_PARAMETERS
    )
    if reserved:
        raise ValidationError(
            f"“{uri}” carries {', '.join(reserved)} in its query; the authorization server adds "
            "those itself.",
            code="reserved_parameter",
        )


def validate_redirect_uris(uris: list[str]) -> None:
    """Validate a whole list: at least one, at most MAX_REDIRECT_URIS, each acceptable."""
    if not uris:
        raise ValidationError("Add at least one redirect URI.", code="required")
    if len(uris) > MAX_REDIRECT_URIS:
        raise ValidationError(
            f"Register at most {MAX_REDIRECT_URIS} redirect URIs (you gave {len(uris)}).",
            code="too_many",
        )
    errors = []
    for uri in uris:
        try:
            validate_redirect_uri(uri)
        except ValidationError as error:
            errors.extend(error.error_list)
    if errors:
        raise ValidationError(errors)


def _is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True
