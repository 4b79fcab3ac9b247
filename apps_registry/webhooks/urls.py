"""Which receiver URLs a partner may set: public https addresses (server-side request forgery).

The console posts to whatever a partner types, from inside our network, so a URL whose host is, or
resolves to, any address that is not public (`is_public_address`) is refused when it is set, and
again before each delivery, since DNS can change in between. A refusal never says what the host
resolved to, nor whether it resolved at all: a partner must not learn our internal DNS answers.
Development may allow http and https on loopback (WEBHOOK_ALLOW_LOOPBACK), for a receiver on the
developer's own machine.
"""

from __future__ import annotations

import ipaddress
import socket
import unicodedata
from urllib.parse import urlsplit

from django.conf import settings
from requests_hardened.ip_filter import EXTRA_BLOCKED_NET_RANGES

from apps_registry.error_codes import WebhookErrorCode
from core.errors import InvalidInputError

MAX_URL_LENGTH = 2048
# The one refusal for a host that resolves to a non-public address or does not resolve: telling
# the two apart would let a partner probe the console's internal names.
NOT_PUBLIC_MESSAGE = "The host must resolve only to public internet addresses"
# Control characters (C0, DEL, C1: tab, line breaks, NUL…) and spaces of any kind.
FORBIDDEN_CHARACTER_CATEGORIES = frozenset({"Cc", "Zs", "Zl", "Zp"})

type IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def resolve_host(host: str) -> list[IPAddress]:
    """Every address `host` resolves to (an IP literal, in any form the resolver takes, to itself).
    Raises OSError when it does not resolve."""
    return [
        ipaddress.ip_address(info[4][0].split("%", 1)[0])
        for info in socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    ]


def is_public_address(address: IPAddress, *, allow_loopback: bool) -> bool:
    """Whether the console may post to `address`: the one rule, when a URL is set and before each
    delivery. Loopback only where development allows it."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped  # ::ffff:10.0.0.1 reaches 10.0.0.1
    if address.is_loopback:
        return allow_loopback
    # Python calls some non-public ranges global: site-local fec0::/10 and IPv4-compatible ::/96
    # (::10.0.0.1, within the reserved ::/8). requests-hardened's ranges add 6to4 (2002::/16) and
    # NAT64 (64:ff9b::/96), refused whole whatever IPv4 address they embed, and CG-NAT.
    return (
        address.is_global
        and not address.is_multicast
        and not address.is_reserved
        and not (isinstance(address, ipaddress.IPv6Address) and address.is_site_local)
        and not any(address in network for network in EXTRA_BLOCKED_NET_RANGES)
    )


def public_addresses(host: str, *, allow_loopback: bool) -> list[IPAddress] | None:
    """The addresses `host` resolves to if there are some and every one is public; else None."""
    try:
        addresses = resolve_host(host)
    except (OSError, UnicodeError, ValueError):
        return None
    if addresses and all(
        is_public_address(address, allow_loopback=allow_loopback) for address in addresses
    ):
        return addresses
    return None


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
    if any(unicodedata.category(character) in FORBIDDEN_CHARACTER_CATEGORIES for character in url):
        raise _invalid(
            "Remove the spaces, tabs, line breaks and other invisible characters from the URL "
            "(write a space in a path as %20)."
        )
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
    addresses = public_addresses(host, allow_loopback=allow_loopback)
    if addresses is None:
        message = (
            f"{NOT_PUBLIC_MESSAGE}: check the spelling of “{host}” and its DNS records, and use "
            "your receiver's public https URL."
        )
        raise InvalidInputError(
            message, code=WebhookErrorCode.URL_NOT_PUBLIC, fields={"url": [message]}
        )
    if scheme == "http" and not (allow_loopback and all(a.is_loopback for a in addresses)):
        raise _invalid(
            "Use https: deliveries carry your app's events, so they are sent encrypted only."
        )
    return url
