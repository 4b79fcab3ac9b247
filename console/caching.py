"""Responses that carry a credential shown once (a client secret) must not be kept by any cache."""

from __future__ import annotations

from django.http import HttpResponseBase
from django.utils.cache import patch_cache_control


def forbid_storing(response: HttpResponseBase) -> HttpResponseBase:
    """`Cache-Control: no-store`, plus `Pragma: no-cache` for HTTP/1.0 caches, as OAuth 2.0 asks
    of every response that carries a credential (RFC 6749, section 5.1)."""
    patch_cache_control(response, no_store=True)
    response["Pragma"] = "no-cache"
    return response
