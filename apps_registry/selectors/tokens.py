"""Reads of DOT's tokens, which are stored as SHA-256 checksums of the raw values (RFC 9700)."""

from __future__ import annotations

import hashlib
from calendar import timegm
from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone
from oauth2_provider.models import get_access_token_model

from core.prepared import PreparedLookup


def token_checksum(raw: str) -> str:
    """What DOT stores and looks a token up by; the console keeps authorization codes so too."""
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


# Compiled once and prepared on PostgreSQL (core/prepared.py): the gateway asks for every call.
_introspection_lookup = PreparedLookup(
    "introspection_token_lookup",
    lambda checksum: (
        get_access_token_model()
        .objects.filter(token_checksum=checksum)
        .values_list(
            "expires",
            "scope",
            "resource",
            "application__client_id",
            f"user__{get_user_model().USERNAME_FIELD}",
            "user__is_active",
        )[:1]
    ),
)


def access_token_introspection(*, token: str) -> dict[str, Any]:
    """RFC 7662's answer about an access token, as DOT's introspection gives it (`{"active":
    false}` for an unknown or expired token), in one query for just the columns it shows: the
    gateway asks this for every API call. A deactivated seller's token is inactive too, as the
    bearer validation treats it (docs/security.md D6)."""
    found = _introspection_lookup.fetchone(token_checksum(token))
    if found is None:
        return {"active": False}
    expires, scope, resource, client_id, username, seller_is_active = found
    # None: a token without a seller; SQLite answers 0 or 1 for a boolean column.
    if timezone.now() >= expires or (seller_is_active is not None and not seller_is_active):
        return {"active": False}
    answer = {"active": True, "scope": scope, "exp": timegm(expires.utctimetuple())}
    if client_id is not None:
        answer["client_id"] = client_id
    if username is not None:
        answer["username"] = username
    if resource:
        answer["aud"] = resource  # RFC 8707
    return answer
