"""Platform staff's actions on apps and partners (from the admin): suspend and reinstate an app,
verify a partner organisation. Partners' own changes live in apps.py and partners.py; publishing
there moves the app's status with the same step as here (move_app_status).

Every action writes a PartnerAuditEvent in its transaction; suspensions are logged on logger
`apps_registry.audit` as well, for security monitoring."""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction

from apps_registry.error_codes import AppErrorCode, PartnerErrorCode
from apps_registry.events import audit as audit_events
from apps_registry.events.audit import record_partner_event
from apps_registry.gate import versions as gate_versions
from apps_registry.models import Partner, PartnerApp, PartnerAuditEvent, WebhookTopic
from apps_registry.tokens import revoke_tokens
from apps_registry.webhooks import events as webhook_events
from apps_registry.webhooks.outbox import record_event
from core.errors import InvalidInputError, InvalidTransitionError, PermissionRefusedError

audit_log = logging.getLogger("apps_registry.audit")


@transaction.atomic
def app_suspend(*, app_id: int, acting_user: AbstractBaseUser, reason: str) -> PartnerApp:
    """draft/live → suspended with a written reason; every token of the app is revoked in the same
    transaction, so it stops working on the very next request (`is_usable()` is false too), and
    the app is told (app.suspended)."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInputError(
            "Please write why the app is suspended.", code=AppErrorCode.SUSPENSION_REASON_REQUIRED
        )
    app = _lock_app(app_id=app_id, acting_user=acting_user)
    if app.status == PartnerApp.Status.SUSPENDED:
        raise InvalidTransitionError(
            "This app is already suspended.", code=AppErrorCode.ALREADY_SUSPENDED
        )
    revoked = revoke_tokens(app=app)
    suspension = move_app_status(
        app,
        audit_events.AppSuspended,
        to_status=PartnerApp.Status.SUSPENDED,
        acting_user=acting_user,
        reason=reason,
        tokens_revoked=revoked,
    )
    record_event(
        app_id=app.pk,
        event_type=WebhookTopic.APP_SUSPENDED,
        data=webhook_events.app_suspended(suspension),
        now=suspension.created_at,
    )
    audit_log.info(
        "app %s suspended by user %s (%s tokens revoked): %s",
        app.pk,
        acting_user.pk,
        revoked,
        reason,
    )
    return app


@transaction.atomic
def app_unsuspend(*, app_id: int, acting_user: AbstractBaseUser) -> PartnerApp:
    """suspended → draft: the partner checks the app and publishes it again. Revoked tokens stay
    revoked; sellers authorize anew."""
    app = _lock_app(app_id=app_id, acting_user=acting_user)
    if app.status != PartnerApp.Status.SUSPENDED:
        raise InvalidTransitionError(
            "Only a suspended app can be reinstated.", code=AppErrorCode.NOT_SUSPENDED
        )
    move_app_status(
        app, audit_events.AppUnsuspended, to_status=PartnerApp.Status.DRAFT, acting_user=acting_user
    )
    return app


@transaction.atomic
def partner_set_verified(
    *, partner_id: int, acting_user: AbstractBaseUser, verified: bool
) -> Partner:
    """Mark a partner organisation's identity as checked (or no longer checked), by staff."""
    _require_staff(acting_user, "apps_registry.change_partner")
    partner = Partner.objects.select_for_update().get(pk=partner_id)
    if partner.is_verified == verified:
        state = "verified" if verified else "unverified"
        raise InvalidTransitionError(
            f"{partner.name} is already {state}.", code=PartnerErrorCode.VERIFICATION_UNCHANGED
        )
    partner.is_verified = verified
    partner.save(update_fields=["is_verified"])
    record_partner_event(
        details=audit_events.PartnerVerified() if verified else audit_events.PartnerUnverified(),
        actor=acting_user,
        partner=partner,
    )
    return partner


def move_app_status(
    app: PartnerApp,
    details_class: type[audit_events.StatusChange],
    *,
    to_status: str,
    acting_user: AbstractBaseUser,
    **details: Any,
) -> PartnerAuditEvent:
    """Move the locked `app` to `to_status` and audit the move as `details_class`, with the
    action's own `details`: the one step of publishing, suspending and reinstating an app.
    Returns the audit event."""
    from_status = app.status
    app.status = to_status
    app.save(update_fields=["status", "updated"])
    gate_versions.app_changed(app.pk)
    return record_partner_event(
        details=details_class(from_status=from_status, to_status=to_status, **details),
        actor=acting_user,
        app=app,
    )


def _lock_app(*, app_id: int, acting_user: AbstractBaseUser) -> PartnerApp:
    _require_staff(acting_user, "apps_registry.change_partnerapp")
    return PartnerApp.objects.select_for_update().get(pk=app_id)


def _require_staff(user: AbstractBaseUser, permission: str) -> None:
    if not (user.is_active and user.is_staff and user.has_perm(permission)):
        raise PermissionRefusedError(
            "Only platform staff with the right permission can do this.",
            code=AppErrorCode.STAFF_PERMISSION_REQUIRED,
        )
