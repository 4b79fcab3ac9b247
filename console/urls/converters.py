"""Path converters shared by the URL modules; importing this module registers them."""

from django.urls import register_converter
from django.urls.converters import IntConverter, StringConverter

# The largest primary key a row can have (DEFAULT_AUTO_FIELD is a 64-bit BigAutoField).
MAX_ID = 2**63 - 1


class ScopeKeyConverter(StringConverter):
    """A scope key in a path: anything but "/" and NUL. PostgreSQL refuses NUL in a query, and
    no key holds one, so such a path is simply not found (a 404, not a 500)."""

    regex = r"[^/\x00]+"


class IdConverter(IntConverter):
    """A row's id in a path. A number past MAX_ID names no row, so the path is not found (a 404),
    instead of reaching the database driver, which overflows on it (SQLite's OverflowError)."""

    def to_python(self, value: str) -> int:
        number = int(value)
        if number > MAX_ID:
            raise ValueError(f"{value} is larger than any id")
        return number


class ClientIdConverter(StringConverter):
    """An OAuth client ID in a path: DOT generates letters and digits; ours may hold . _ ~ -."""

    regex = r"[A-Za-z0-9._~-]{1,100}"


class Sha256Converter(StringConverter):
    """A SHA-256 in lower-case hex: what names an uploaded icon."""

    regex = r"[0-9a-f]{64}"


class WebhookEventIdConverter(StringConverter):
    """A webhook event's id (`evt_` and hex): anything else names no delivery, so is a 404."""

    regex = r"[A-Za-z0-9_]{1,40}"


register_converter(ScopeKeyConverter, "scope_key")
register_converter(ClientIdConverter, "client_id")
register_converter(Sha256Converter, "sha256")
register_converter(IdConverter, "id")
register_converter(WebhookEventIdConverter, "event_id")
