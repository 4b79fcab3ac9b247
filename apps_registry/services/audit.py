"""The partner audit trail: one row per change to an organisation, its team or its apps.

Services call `record_partner_event` inside their own transaction, so the change and its row
commit (or roll back) together. Details say what changed and never hold a secret or a token.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser

from apps_registry.models import Partner, PartnerApp, PartnerAuditEvent


def record_partner_event(
    *,
    action: PartnerAuditEvent.Action,
    actor: AbstractBaseUser | None,
    partner: Partner | None = None,
    app: PartnerApp | None = None,
    details: dict[str, Any] | None = None,
) -> PartnerAuditEvent:
    """Append one event; the partner defaults to the app's (None for platform-owned clients)."""
    return PartnerAuditEvent.objects.create(
        action=action,
        actor=actor,
        partner_id=partner.pk if partner is not None else getattr(app, "partner_id", None),
        app=app,
        details=details or {},
    )
