"""Path converters shared by the URL modules; importing this module registers them."""

from django.urls import register_converter
from django.urls.converters import StringConverter


class ScopeKeyConverter(StringConverter):
    """A scope key in a path: anything but "/" and NUL. PostgreSQL refuses NUL in a query, and
    no key holds one, so such a path is simply not found (a 404, not a 500)."""

    regex = r"[^/\x00]+"


register_converter(ScopeKeyConverter, "scope_key")
