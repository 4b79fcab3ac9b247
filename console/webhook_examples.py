"""The example events on an app's webhook page. Each `data` comes from the builder that makes the
real one (apps_registry/webhooks/events.py), fed unsaved rows, so an example cannot drift from
what is sent; nothing here touches the database."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from apps_registry.events import audit as audit_events
from apps_registry.events import review as review_events
from apps_registry.models import (
    AccessRequest,
    PartnerApp,
    PartnerAuditEvent,
    ReviewEvent,
    Shop,
    ShopAuthorization,
    WebhookTopic,
)
from apps_registry.webhooks import events as webhook_events
from scopes.models import Scope

EXAMPLE_TIME = datetime(2026, 11, 26, 9, 15, 2, tzinfo=UTC)


def _authorization(*, expires_at: datetime) -> ShopAuthorization:
    shop = Shop(
        pk=1207,
        owner_id=4821,
        name="Maple Home Goods",
        region="GB",
        cipher="GCP_XF90igAAAABh00qsWgtvOiGFNqyubMt3",
    )
    return ShopAuthorization(shop=shop, expires_at=expires_at)


def example_data() -> dict[str, dict[str, Any]]:
    """An example `data` of each topic, by topic."""
    approval_expires_at = EXAMPLE_TIME + timedelta(days=365)
    approved = AccessRequest(
        pk=311,
        scope=Scope(key="seller.customer_service"),
        status=AccessRequest.Status.APPROVED,
        approval_expires_at=approval_expires_at,
    )
    approval = ReviewEvent(
        action=ReviewEvent.Action.APPROVE,
        to_status=AccessRequest.Status.APPROVED,
        comment="The use you describe fits the scope.",
        details=review_events.Approved(expires_at=approval_expires_at.isoformat()).stored(),
        created_at=EXAMPLE_TIME,
    )
    suspension = PartnerAuditEvent(
        action=PartnerAuditEvent.Action.APP_SUSPENDED,
        details=audit_events.AppSuspended(
            from_status=PartnerApp.Status.LIVE,
            to_status=PartnerApp.Status.SUSPENDED,
            reason="Repeated calls outside the scopes sellers granted.",
            tokens_revoked=12,
        ).stored(),
        created_at=EXAMPLE_TIME,
    )
    return {
        WebhookTopic.AUTHORIZATION_REVOKED: webhook_events.authorization_revoked(
            _authorization(expires_at=EXAMPLE_TIME + timedelta(days=200)),
            revoked_scopes=["seller.order.read"],
            remaining_scopes=["seller.product.basic"],
            reason="seller_withdrew_scope",
            revoked_at=EXAMPLE_TIME,
        ),
        WebhookTopic.AUTHORIZATION_EXPIRING: webhook_events.authorization_expiring(
            _authorization(expires_at=EXAMPLE_TIME + timedelta(days=30)),
            scope_keys=["seller.product.basic", "seller.order.read"],
            now=EXAMPLE_TIME,
        ),
        WebhookTopic.AUTHORIZATION_EXPIRED: webhook_events.authorization_expired(
            _authorization(expires_at=EXAMPLE_TIME),
            scope_keys=["seller.product.basic", "seller.order.read"],
        ),
        WebhookTopic.ACCESS_REQUEST_DECIDED: webhook_events.access_request_decided(
            approved, approval
        ),
        WebhookTopic.APP_SUSPENDED: webhook_events.app_suspended(suspension),
        WebhookTopic.SCOPE_CHANGED: webhook_events.scope_changed(
            scope_key="seller.order.read",
            change="deactivated",
            changed_fields=["is_active"],
            changed_at=EXAMPLE_TIME,
        ),
    }


def example_event(event_type: str, data: dict[str, Any]) -> str:
    """The whole body of an example event, as JSON the page shows."""
    return json.dumps(
        {
            "id": "evt_6f1c2a9e0b7d4c55a3e18f2d9b0c7e41",
            "type": event_type,
            "created_at": EXAMPLE_TIME.isoformat(),
            "app_id": "your-app-client-id",
            "data": data,
        },
        indent=2,
    )
