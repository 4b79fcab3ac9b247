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


register_converter(ScopeKeyConverter, "scope_key")
register_converter(IdConverter, "id")
