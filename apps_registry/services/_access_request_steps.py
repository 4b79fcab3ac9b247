"""Steps every access-request service takes, on the partner's side, the reviewer's and the
platform's: lock the row, check the status, move it on with its ReviewEvent, strip an ended
approval's scope, and send the e-mails after commit. Private to services/: views and the admin call
the services in access_requests.py, reviews.py and access_request_jobs.py."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from append_only.event_details import EventDetails
from apps_registry import notifications
from apps_registry.error_codes import AccessRequestErrorCode
from apps_registry.errors import AccessRequestNotFoundError, StaleAccessRequestError
from apps_registry.events import review as review_events
from apps_registry.events.authorization import ApprovalEnding
from apps_registry.gate import versions as gate_versions
from apps_registry.models import AccessRequest, AppScope, ReviewEvent, WebhookTopic
from apps_registry.services.authorizations import (
    authorization_withdraw_scope_for_platform,
    lock_app_for_consent,
)
from apps_registry.webhooks import events as webhook_events
from apps_registry.webhooks.outbox import record_event
from core.errors import InvalidTransitionError

Status = AccessRequest.Status

# How an approval ended (its new status) → the review event that records it.
APPROVAL_ENDING_DETAILS: dict[ApprovalEnding, type[review_events.ScopeStripped]] = {
    "revoked": review_events.Revoked,
    "expired": review_events.Expired,
}


def lock_access_request(request_id: int, *, expected_version: int | None = None) -> AccessRequest:
    """The request, locked for a change; refused if there is none, or if its version is no
    longer `expected_version` (the one the reviewer saw)."""
    # The app's row before the request's, in every transition and as access_request_submit takes
    # them: revoking or expiring an approval rewrites the app's consent, which serializes there.
    app_id = AccessRequest.objects.filter(pk=request_id).values_list("app_id", flat=True).first()
    if app_id is None:
        raise AccessRequestNotFoundError(
            "No such application.", code=AccessRequestErrorCode.NOT_FOUND
        )
    lock_app_for_consent(app_id=app_id)
    access_request = (
        AccessRequest.objects.select_for_update(of=("self",))
        .select_related("app", "scope")
        .get(pk=request_id)
    )
    if expected_version is not None and access_request.version != expected_version:
        raise StaleAccessRequestError(
            "This application changed since you opened it (it is now "
            f"“{access_request.get_status_display()}”). Reload it and check before acting.",
            code=AccessRequestErrorCode.STALE_VERSION,
        )
    return access_request


def transition(
    access_request: AccessRequest,
    *,
    to_status: str,
    event: EventDetails,
    actor: AbstractBaseUser | None,
    comment: str = "",
    fields: list[str] | tuple[str, ...] = (),
    now: datetime | None = None,
) -> ReviewEvent:
    """Move the request to `to_status`, bump its version and record the move as the ReviewEvent
    of `event`'s action; a decision is also told to the app."""
    now = now or timezone.now()
    from_status = access_request.status
    access_request.status = to_status
    access_request.version += 1
    access_request.updated_at = now
    access_request.save(update_fields=["status", "version", "updated_at", *fields])
    # An approval that starts or ends changes which scopes the gate lets the app use.
    gate_versions.app_changed(access_request.app_id)
    review_event = review_events.record_review_event(
        access_request, event, actor=actor, now=now, from_status=from_status, comment=comment
    )
    if review_event.action in webhook_events.DECISION_ACTIONS:
        tell_app_of_decision(access_request, review_event)
    return review_event


def tell_app_of_decision(access_request: AccessRequest, review_event: ReviewEvent) -> None:
    """The access_request.decided event of `review_event`, in this transaction's outbox."""
    record_event(
        app_id=access_request.app_id,
        event_type=WebhookTopic.ACCESS_REQUEST_DECIDED,
        data=webhook_events.access_request_decided(access_request, review_event),
        now=review_event.created_at,
    )


def notify_after_commit(notify, request_id: int) -> None:
    # Robust: a mail server failure is logged; it must not turn a committed decision into an error
    # page, nor stop a bulk action or the daily expiry halfway.
    transaction.on_commit(lambda: notify(request_id=request_id), robust=True)


def status_refusal(access_request: AccessRequest, *allowed: str, action: str):
    """Why the request's status does not allow `action` (a verb), or None."""
    if access_request.status in allowed:
        return None
    return InvalidTransitionError(
        f"You cannot {action} an application that is “{access_request.get_status_display()}”.",
        code=AccessRequestErrorCode.INVALID_STATUS,
    )


def require_status(access_request: AccessRequest, *allowed: str, action: str) -> None:
    refusal = status_refusal(access_request, *allowed, action=action)
    if refusal is not None:
        raise refusal


def end_approval(
    access_request: AccessRequest,
    *,
    ending: ApprovalEnding,
    actor: AbstractBaseUser | None,
    comment: str = "",
    fields: list[str] | tuple[str, ...] = (),
    now: datetime | None = None,
) -> None:
    """approved → revoked or expired (`ending`, the status it moves to): the scope leaves the app,
    the move is recorded with what that stripped, and the partner is e-mailed."""
    stripped = withdraw_scope_from_app(access_request, approval=ending)
    transition(
        access_request,
        to_status=Status(ending),
        event=APPROVAL_ENDING_DETAILS[ending](**stripped),
        actor=actor,
        comment=comment,
        fields=fields,
        now=now,
    )
    notify_after_commit(notifications.notify_partner_of_decision, access_request.pk)


def withdraw_scope_from_app(
    access_request: AccessRequest, *, approval: ApprovalEnding
) -> dict[str, int]:
    """The scope leaves the app's selection; the consent services take it from its sellers'
    authorizations and its tokens, recording that the platform did it."""
    app, scope = access_request.app, access_request.scope
    app_scopes_removed, _ = AppScope.objects.filter(app=app, scope=scope).delete()
    withdrawal = authorization_withdraw_scope_for_platform(
        app=app, scope=scope, access_request_id=access_request.pk, approval=approval
    )
    return {"app_scopes_removed": app_scopes_removed, **asdict(withdrawal)}


@transaction.atomic
def expire_approval(*, request_id: int, now: datetime) -> bool:
    """approved → expired once past its end, stripping the scope like a revocation. False when
    the approval was revoked or extended after the caller found it due."""
    access_request = lock_access_request(request_id)
    if access_request.status != Status.APPROVED or access_request.is_live_approval(now=now):
        return False  # revoked or extended since the sweep listed it
    end_approval(access_request, ending="expired", actor=None, now=now)
    return True
