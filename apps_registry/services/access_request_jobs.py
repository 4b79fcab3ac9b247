"""What the platform does to access requests on its own: the daily expiry of ended approvals,
grace approvals when a scope becomes Custom, and the bookkeeping of sent reminders. No person is the
actor of these: the ReviewEvents they write have none."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from apps_registry import notifications
from apps_registry.events import review as review_events
from apps_registry.gate import versions as gate_versions
from apps_registry.models import AccessRequest, AppScope, PartnerApp, ShopAuthorization
from apps_registry.selectors.access_requests import (
    expiry_reminder_due,
    expiry_reminders_due,
    overdue_reminders_due,
)
from apps_registry.services._access_request_steps import (
    expire_approval,
    lock_access_request,
    notify_after_commit,
    tell_app_of_decision,
)
from scopes.models import Scope

logger = logging.getLogger(__name__)

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


# --- Review reminders (daily) ------------------------------------------------------------------
# Each reminder is recorded and its mail queued in one transaction, under a lock on the requests it
# is about: a run that overlaps another waits, then finds the reminder recorded and sends nothing,
# and the mail leaves from the worker once the record commits (apps_registry/mail.py). A mail that
# then fails to send is retried by its task, not by the next run: the reminder stays recorded. The
# records are bookkeeping, not status transitions: no version bump (a reviewer's open page stays
# current) and no ReviewEvent (the history is of decisions, not mail).


@dataclass(frozen=True)
class ReviewRemindersRun:
    """What one run of the review reminders did; `failed` counts reminders that could not be
    recorded and queued (rolled back, left for the next run)."""

    expired: int
    digest_listed: int
    reminded: int
    failed: int


def review_reminders_send(*, now: datetime | None = None) -> ReviewRemindersRun:
    """Expire approvals past their date, remind reviewers of overdue applications (at most once a
    day each) and partners of approvals ending within 30, 7 and 1 days (each reminder once)."""
    now = now or timezone.now()
    expired = access_requests_expire_due(now=now)
    digest_listed = _attempt(
        partial(access_requests_remind_overdue, now=now), about="the overdue digest"
    )
    reminded = [
        _attempt(
            partial(access_request_remind_expiry, request_id=access_request.pk, now=now),
            about=f"the expiry reminder of access request {access_request.pk}",
        )
        for access_request, _days_before in expiry_reminders_due(now=now)
    ]
    return ReviewRemindersRun(
        expired=expired,
        digest_listed=digest_listed or 0,
        reminded=sum(filter(None, reminded)),
        failed=[digest_listed, *reminded].count(None),
    )


@transaction.atomic
def access_requests_remind_overdue(*, now: datetime) -> int:
    """Queue the daily digest of applications past the review target whose reviewers were not
    reminded of them today, and record it. Returns how many the digest lists."""
    # The lock re-reads each row's reminder date: a run that waited on another's finds none due.
    overdue = list(overdue_reminders_due(now=now).select_for_update(of=("self",)))
    for access_request in overdue:
        access_request.overdue_reminded_at = now
        access_request.save(update_fields=["overdue_reminded_at"])
    notifications.notify_reviewers_of_overdue(access_requests=overdue)
    return len(overdue)


@transaction.atomic
def access_request_remind_expiry(*, request_id: int, now: datetime) -> int:
    """Queue the most urgent expiry reminder now due for this approval, if it was not sent yet,
    and record it. Returns 1 if one was queued, else 0."""
    access_request = lock_access_request(request_id)
    if access_request.status != Status.APPROVED:
        return 0
    days_before = expiry_reminder_due(access_request, now=now)
    if days_before is None:
        return 0
    access_request.expiry_reminder_days = days_before
    access_request.expiry_reminded_at = now
    access_request.save(update_fields=["expiry_reminder_days", "expiry_reminded_at"])
    notifications.notify_partner_of_expiring_approval(access_request=access_request)
    return 1


def _attempt(remind: Callable[[], int], *, about: str) -> int | None:
    """One reminder; a failure to record and queue it (a template or database error) rolls it
    back and is logged, not raised, so the other reminders still go, and None tells the run this
    one is left for the next."""
    try:
        return remind()
    except Exception:
        logger.exception("Review reminder failed: %s; the next run retries it", about)
        return None
