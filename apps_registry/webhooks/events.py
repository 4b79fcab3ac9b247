"""What each webhook topic tells a partner app: one builder per topic turning a domain change (the
typed history events of ADR 0014 where there is one) into the event's `data`; the outbox adds the
id, type, time and app.

Sellers and shops are named as the gate names them to apps (`X-Gate-Seller-Id`, `X-Gate-Shop-Id`,
`X-Gate-Shop-Cipher`), so a receiver can join an event to the calls it made. Builders read no
token, token hash, client secret or webhook secret, and write only what the partner may see.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any, Literal

from apps_registry.events import audit as audit_events
from apps_registry.events.review import partner_timeline_entry
from apps_registry.models import (
    AccessRequest,
    PartnerAuditEvent,
    ReviewEvent,
    ShopAuthorization,
)

RevocationReason = Literal[
    "seller_disconnected_app",
    "seller_disconnected_shop",
    "seller_withdrew_scope",
    "approval_revoked",
    "approval_expired",
]

# The review actions that answer an application, each a step of the partner's timeline. A first of
# two approvals is not among them: the application is still in review.
DECISION_ACTIONS = (
    ReviewEvent.Action.APPROVE,
    ReviewEvent.Action.REJECT,
    ReviewEvent.Action.REQUEST_CHANGES,
    ReviewEvent.Action.REVOKE,
    ReviewEvent.Action.EXPIRE,
)

ScopeChange = Literal["updated", "became_custom", "became_public", "deactivated", "reactivated"]


def shop_fields(authorization: ShopAuthorization) -> dict[str, Any]:
    """The seller and shop of an authorization, as the gate's headers name them."""
    shop = authorization.shop
    return {
        "seller_id": shop.owner_id,
        "shop_id": shop.pk,
        "shop_cipher": shop.cipher,
        "shop_name": shop.name,
    }


def authorization_revoked(
    authorization: ShopAuthorization,
    *,
    revoked_scopes: Iterable[str],
    remaining_scopes: Iterable[str],
    reason: RevocationReason,
    revoked_at: datetime,
) -> dict[str, Any]:
    """Scopes taken from one shop's authorization; `authorization_ended` when none is left."""
    remaining = sorted(remaining_scopes)
    return {
        **shop_fields(authorization),
        "revoked_scopes": sorted(revoked_scopes),
        "remaining_scopes": remaining,
        "authorization_ended": authorization.revoked_at is not None,
        "reason": reason,
        "revoked_at": revoked_at.isoformat(),
    }


def authorization_expiring(
    authorization: ShopAuthorization, *, scope_keys: Iterable[str], now: datetime
) -> dict[str, Any]:
    """A live authorization that ends soon; `days_left` counts a started day as a whole one."""
    return {
        **shop_fields(authorization),
        "scopes": sorted(scope_keys),
        "expires_at": authorization.expires_at.isoformat(),
        "days_left": math.ceil((authorization.expires_at - now) / timedelta(days=1)),
    }


def authorization_expired(
    authorization: ShopAuthorization, *, scope_keys: Iterable[str]
) -> dict[str, Any]:
    """An authorization that reached its end unrenewed."""
    return {
        **shop_fields(authorization),
        "scopes": sorted(scope_keys),
        "expires_at": authorization.expires_at.isoformat(),
    }


def access_request_decided(access_request: AccessRequest, event: ReviewEvent) -> dict[str, Any]:
    """The review team's (or the platform's) answer to an application, in the words of the
    partner's timeline: never an internal note or who reviewed it."""
    entry = partner_timeline_entry(event)
    data = {
        "access_request_id": access_request.pk,
        "scope": access_request.scope.key,
        "decision": event.to_status,
        "reason": entry.event.comment,
        "decided_at": event.created_at.isoformat(),
        "approval_expires_at": (
            access_request.approval_expires_at.isoformat()
            if access_request.approval_expires_at
            else None
        ),
    }
    if event.action == ReviewEvent.Action.REQUEST_CHANGES:
        data["field_comments"] = entry.field_comments
    return data


def app_suspended(event: PartnerAuditEvent) -> dict[str, Any]:
    """The platform suspended the app (the audit event of the suspension)."""
    details = audit_events.AppSuspended.from_stored(event.details)
    return {
        "reason": details.reason,
        "suspended_at": event.created_at.isoformat(),
        "tokens_revoked": details.tokens_revoked,
    }


def scope_changed(
    *,
    scope_key: str,
    change: ScopeChange,
    changed_fields: Iterable[str],
    changed_at: datetime,
    approval: AccessRequest | None = None,
) -> dict[str, Any]:
    """A catalog change to a scope the app uses. A scope that became Custom names the app's
    approval of it (the platform's grace approval, or one the app already held)."""
    data: dict[str, Any] = {
        "scope": scope_key,
        "change": change,
        "changed_fields": sorted(changed_fields),
        "changed_at": changed_at.isoformat(),
    }
    if change == "became_custom":
        data["access_request_id"] = approval.pk if approval else None
        data["approval_expires_at"] = approval.approval_expires_at.isoformat() if approval else None
    return data
