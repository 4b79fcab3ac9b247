"""Which receiver URLs a partner may set: public https addresses (server-side request forgery).

The console posts to whatever a partner types, from inside our network, so a URL whose host is, or
resolves to, a private, loopback, link-local, multicast, reserved or unspecified address is refused
when it is set. DNS can change after that, so delivery checks the address it connects to again.
Development may allow http and https on loopback (WEBHOOK_ALLOW_LOOPBACK), for a receiver on the
developer's own machine.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings

from apps_registry.error_codes import WebhookErrorCode
from core.errors import InvalidInputError

MAX_URL_LENGTH = 2048

type IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def resolve_host(host: str) -> list[IPAddress]:
    """Every address `host` resolves to (an IP literal, in any form the resolver takes, to itself).
    Raises OSError when it does not resolve."""
    return [
        ipaddress.ip_address(info[4][0].split("%", 1)[0])
        for info in socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    ]


def forbidden_address_reason(address: IPAddress, *, allow_loopback: bool) -> str | None:
    """Why the console must not post to `address`, in words; None when it is public."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped  # ::ffff:10.0.0.1 reaches 10.0.0.1
    if address.is_loopback:
        return None if allow_loopback else "a loopback address"
    for kind, is_kind in (
        ("an unspecified address", address.is_unspecified),
        ("a link-local address", address.is_link_local),
        ("a multicast address", address.is_multicast),
        ("a reserved address", address.is_reserved),
        ("a private address", address.is_private),
    ):
        if is_kind:
            return kind
    # Shared address space (100.64.0.0/10) and the like: not private, yet not reachable publicly.
    return None if address.is_global else "a non-public address"


def _invalid(message: str) -> InvalidInputError:
    return InvalidInputError(message, code=WebhookErrorCode.URL_INVALID, fields={"url": [message]})


def validated_webhook_url(raw: str) -> str:
    """The receiver URL, stripped, if the console may post to it; else InvalidInputError naming
    what to fix."""
    url = raw.strip()
    allow_loopback = settings.WEBHOOK_ALLOW_LOOPBACK
    schemes = "https (or http on this machine)" if allow_loopback else "https"
    if not url:
        raise _invalid("Enter the URL your receiver listens on.")
    if len(url) > MAX_URL_LENGTH:
        raise _invalid(f"The URL can be at most {MAX_URL_LENGTH} characters.")
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number in range
    except ValueError:
        raise _invalid(
            f"“{url}” is not a valid URL: use a full {schemes} address such as "
            "https://example.com/webhooks."
        ) from None
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http") or not host:
        raise _invalid(
            f"Use a full {schemes} address with a host name, such as https://example.com/webhooks."
        )
    if parts.username is not None or parts.password is not None:
        raise _invalid(
            "Remove the user name and password from the URL: deliveries are signed instead, so "
            "verify the Webhook-Signature header."
        )
    if parts.fragment or url.endswith("#"):
        raise _invalid("Remove the #fragment from the URL: it is never sent to a server.")
    try:
        addresses = resolve_host(host)
    except (OSError, UnicodeError, ValueError):
        message = (
            f"The host “{host}” does not resolve to an address. Check its spelling and its DNS "
            "records, then save again."
        )
        raise InvalidInputError(
            message, code=WebhookErrorCode.URL_UNRESOLVABLE, fields={"url": [message]}
        ) from None
    for address in addresses:
        reason = forbidden_address_reason(address, allow_loopback=allow_loopback)
        if reason is not None:
            message = (
                f"The host “{host}” is or resolves to {reason} ({address}): webhooks are sent "
                "only to public addresses. Use your receiver's public https URL."
            )
            raise InvalidInputError(
                message, code=WebhookErrorCode.URL_NOT_PUBLIC, fields={"url": [message]}
            )
    if scheme == "http" and not (allow_loopback and all(a.is_loopback for a in addresses)):
        raise _invalid(
            "Use https: deliveries carry your app's events, so they are sent encrypted only."
        )
    return url
