"""Why the gate allows or denies a call: stable codes that gateways, partners' code and the
console's explain page all rely on, each with its HTTP status and what to do about it."""

from __future__ import annotations

from enum import StrEnum

# ruff: noqa: S105 - "token_…" values are reason codes, not credentials.


class GateReason(StrEnum):
    ALLOWED = "allowed"
    # 401: the token itself.
    TOKEN_MISSING = "token_missing"
    TOKEN_INVALID = "token_invalid"
    TOKEN_EXPIRED = "token_expired"
    # 400: the gateway did not say which call it is asking about.
    INVALID_REQUEST = "invalid_request"
    # 403: the token is fine, the call is not allowed.
    APP_SUSPENDED = "app_suspended"
    UNKNOWN_ENDPOINT = "unknown_endpoint"
    SCOPE_NOT_AVAILABLE_TO_APP = "scope_not_available_to_app"
    APPROVAL_EXPIRED = "approval_expired"
    SCOPE_NOT_GRANTED_BY_SELLER = "scope_not_granted_by_seller"
    SHOP_REQUIRED = "shop_required"
    SHOP_NOT_AUTHORIZED = "shop_not_authorized"
    AUTHORIZATION_EXPIRED = "authorization_expired"

    @property
    def status(self) -> int:
        if self is GateReason.ALLOWED:
            return 200
        if self in _TOKEN_REASONS:
            return 401
        if self is GateReason.INVALID_REQUEST:
            return 400
        return 403


_TOKEN_REASONS = frozenset(
    {GateReason.TOKEN_MISSING, GateReason.TOKEN_INVALID, GateReason.TOKEN_EXPIRED}
)


class FixAction(StrEnum):
    """What the partner (or the gateway's operator) does next; the console links each to a page."""

    NONE = "none"
    SEND_TOKEN = "send_token"
    REFRESH_TOKEN = "refresh_token"
    REAUTHORIZE = "reauthorize"
    CONFIGURE_GATEWAY = "configure_gateway"
    CONTACT_SUPPORT = "contact_support"
    CHECK_ENDPOINT = "check_endpoint"
    APPLY = "apply"
    CHOOSE_SCOPE = "choose_scope"
    PASS_SHOP = "pass_shop"
    AUTHORIZE_SHOP = "authorize_shop"
