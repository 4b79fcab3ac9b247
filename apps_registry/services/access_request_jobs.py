"""What the platform does to access requests on its own: the daily expiry of ended approvals,
grace approvals when a scope becomes Custom, and the bookkeeping of sent reminders. No person is the
actor of these: the ReviewEvents they write have none."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from apps_registry import notifications
from apps_registry.events import review as review_events
from apps_registry.gate import versions as gate_versions
from apps_registry.models import AccessRequest, AppScope, PartnerApp, ShopAuthorization
from apps_registry.services._access_request_steps import (
    expire_approval,
    lock_access_request,
    notify_after_commit,
    tell_app_of_decision,
)
from scopes.models import Scope

Status = AccessRequest.Status


def access_requests_expire_due(*, now: datetime | None = None) -> int:
    """approved → expired for every approval past `approval_expires_at`, one transaction each,
    stripping the scope like a revocation. Returns how many expired."""
    now = now or timezone.now()
    due_ids = AccessRequest.objects.filter(
        status=Status.APPROVED, approval_expires_at__lte=now
    ).values_list("pk", flat=True)
    return sum(expire_approval(request_id=request_id, now=now) for request_id in list(due_ids))


GRACE_JUSTIFICATION = "Granted by the platform: the scope became Custom while the app used it."


@transaction.atomic
def access_requests_grant_grace(*, scope: Scope, tightened_by: AbstractBaseUser) -> list[int]:
    """The scope just became Custom: every app that uses it (selected on its Manage API page or
    in a live seller authorization) and holds no application for it gets an approval that ends
    after CATALOG_TIGHTENING_GRACE_DAYS, recorded as the platform's; its partner is mailed and
    its app told. Returns the new requests' ids."""
    now = timezone.now()
    expires_at = now + timedelta(days=settings.CATALOG_TIGHTENING_GRACE_DAYS)
    app_ids = set(AppScope.objects.filter(scope=scope).values_list("app_id", flat=True))
    app_ids |= set(
        ShopAuthorization.objects.filter(
            scopes=scope, revoked_at__isnull=True, expires_at__gt=now
        ).values_list("app_id", flat=True)
    )
    app_ids -= set(
        AccessRequest.objects.filter(
            scope=scope, app_id__in=app_ids, status__in=AccessRequest.ACTIVE_STATUSES
        ).values_list("app_id", flat=True)
    )
    reason = (
        f"{scope.key} now needs an approval. Your app already used it, so it keeps access until "
        f"{expires_at:%d %B %Y}; apply for the scope before then to keep it."
    )
    granted = []
    for app in PartnerApp.objects.select_for_update().filter(pk__in=app_ids).order_by("pk"):
        access_request = AccessRequest.objects.create(
            app=app,
            scope=scope,
            status=Status.APPROVED,
            justification=GRACE_JUSTIFICATION,
            requires_dual_approval=scope.requires_dual_approval,
            # The platform's, not the catalog manager's: the partner sees who submitted.
            submitted_by=None,
            submitted_at=now,
            decided_at=now,
            decision_reason=reason,
            approval_expires_at=expires_at,
            updated_at=now,
        )
        approval = review_events.record_review_event(
            access_request,
            review_events.Approved(
                expires_at=expires_at.isoformat(),
                grace_after_tightening=True,
                tightened_by=tightened_by.pk,
            ),
            actor=None,
            now=now,
            comment=reason,
        )
        tell_app_of_decision(access_request, approval)
        gate_versions.app_changed(app.pk)
        notify_after_commit(notifications.notify_partner_of_grace_approval, access_request.pk)
        granted.append(access_request.pk)
    return granted


# --- Reminder bookkeeping -----------------------------------------------------------------------
# send_review_reminders records here which reminders went out, after each mail was sent, so a rerun
# sends none twice. These are bookkeeping fields, not status transitions: no version bump (a
# reviewer's open page stays current) and no ReviewEvent (the history is of decisions, not mail).


@transaction.atomic
def access_request_record_expiry_reminder(
    *, request_id: int, days_before: int, now: datetime
) -> bool:
    """Record that the partner got the reminder sent `days_before` days ahead of the approval's
    end. One no more urgent than what is recorded changes nothing (returns False)."""
    access_request = lock_access_request(request_id)
    already_sent = access_request.expiry_reminder_days
    if already_sent is not None and already_sent <= days_before:
        return False
    access_request.expiry_reminder_days = days_before
    access_request.expiry_reminded_at = now
    access_request.save(update_fields=["expiry_reminder_days", "expiry_reminded_at"])
    return True


@transaction.atomic
def access_requests_record_overdue_reminder(*, request_ids: list[int], now: datetime) -> int:
    """Record that reviewers got a digest listing these applications. Returns how many."""
    access_requests = AccessRequest.objects.select_for_update().filter(pk__in=request_ids)
    recorded = 0
    for access_request in access_requests.order_by("pk"):
        access_request.overdue_reminded_at = now
        access_request.save(update_fields=["overdue_reminded_at"])
        recorded += 1
    return recorded
