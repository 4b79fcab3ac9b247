"""The reviewers' side of the Custom-scope review workflow (ADR 0006): assign, approve, reject,
request changes and revoke. What a reviewer may do now, separation of duties included, is
review_rules.py; every action here raises its refusal."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from append_only.event_details import EventDetails
from apps_registry import notifications
from apps_registry.error_codes import AccessRequestErrorCode
from apps_registry.errors import SeparationOfDutiesError
from apps_registry.events import review as review_events
from apps_registry.models import (
    AccessRequest,
    PartnerApp,
    ReviewEvent,
)
from apps_registry.services._access_request_steps import (
    end_approval,
    lock_access_request,
    notify_after_commit,
    transition,
)
from apps_registry.services.review_rules import (
    assign_refusal,
    conflict_of_interest,
    decision_refusal,
    is_reviewer,
)
from core.errors import (
    DomainError,
    InvalidInputError,
    InvalidTransitionError,
)

audit_log = logging.getLogger("apps_registry.audit")

Status = AccessRequest.Status
Action = ReviewEvent.Action

# What _record_decision sets, for the transition to save.
DECISION_FIELDS = ("decided_by", "decided_at", "decision_reason")


# --- Reviewer actions ---------------------------------------------------------------------------


@transaction.atomic
def access_request_assign(
    *, request_id: int, reviewer: AbstractBaseUser, expected_version: int | None = None
) -> AccessRequest:
    """submitted → in_review, assigned to `reviewer`; on an in-review request held by someone else
    (or by nobody, after a first approval) it reassigns. Separation of duties applies."""
    access_request = lock_access_request(request_id, expected_version=expected_version)
    refusal = assign_refusal(reviewer=reviewer, access_request=access_request)
    _raise_refusal(refusal, reviewer=reviewer, access_request=access_request)
    previous_reviewer = access_request.assigned_to
    access_request.assigned_to = reviewer
    transition(
        access_request,
        to_status=Status.IN_REVIEW,
        event=review_events.Assigned(
            previous_reviewer=str(previous_reviewer) if previous_reviewer else None
        ),
        actor=reviewer,
        fields=["assigned_to"],
    )
    return access_request


@transaction.atomic
def access_request_approve(
    *,
    request_id: int,
    reviewer: AbstractBaseUser,
    expires_at: datetime | None = None,
    comment: str = "",
    expected_version: int | None = None,
) -> AccessRequest:
    """in_review → approved (until `expires_at`, by default APPROVAL_DEFAULT_DAYS from now), by the
    assigned reviewer. A dual-approval scope takes two distinct reviewers: the first approval is
    recorded and the request goes back to the pool. E-mails the partner after the final approval."""
    access_request = _lock_for_decision(
        request_id, reviewer=reviewer, action=Action.APPROVE, expected_version=expected_version
    )
    now = timezone.now()
    if expires_at is None:
        expires_at = now + timedelta(days=settings.APPROVAL_DEFAULT_DAYS)
    if expires_at <= now:
        raise InvalidInputError(
            "The approval's expiry must be in the future.",
            code=AccessRequestErrorCode.EXPIRY_NOT_IN_FUTURE,
        )
    if not access_request.scope.is_active:
        raise InvalidTransitionError(
            f"The scope {access_request.scope.key} is no longer offered; reject the application.",
            code=AccessRequestErrorCode.SCOPE_NOT_OFFERED,
        )
    if access_request.app.status == PartnerApp.Status.SUSPENDED:
        raise InvalidTransitionError(
            "The app is suspended; it cannot be granted scopes.",
            code=AccessRequestErrorCode.APP_SUSPENDED,
        )
    comment = comment.strip()

    # The rule the application was submitted under, not the catalog's current one.
    dual = access_request.requires_dual_approval
    voided_first_approver = _void_ineligible_first_approval(access_request) if dual else None
    if dual and access_request.first_approved_by is None:
        access_request.first_approved_by = reviewer
        access_request.assigned_to = None
        transition(
            access_request,
            to_status=Status.IN_REVIEW,
            event=review_events.FirstApproval(voided_first_approval_by=voided_first_approver),
            actor=reviewer,
            comment=comment,
            fields=["first_approved_by", "assigned_to"],
        )
        notify_after_commit(
            notifications.notify_reviewers_second_approval_needed, access_request.pk
        )
        return access_request

    _record_decision(access_request, reviewer=reviewer, reason=comment, now=now)
    access_request.approval_expires_at = expires_at
    _answer_partner(
        access_request,
        to_status=Status.APPROVED,
        event=review_events.Approved(expires_at=expires_at.isoformat()),
        reviewer=reviewer,
        comment=comment,
        fields=[*DECISION_FIELDS, "approval_expires_at"],
        now=now,
    )
    return access_request


@transaction.atomic
def access_request_reject(
    *, request_id: int, reviewer: AbstractBaseUser, reason: str, expected_version: int | None = None
) -> AccessRequest:
    """in_review → rejected with a written reason the partner sees, by the assigned reviewer."""
    reason = _require_text(reason, what="a reason for the rejection")
    access_request = _lock_for_decision(
        request_id, reviewer=reviewer, action=Action.REJECT, expected_version=expected_version
    )
    _record_decision(access_request, reviewer=reviewer, reason=reason)
    _answer_partner(
        access_request,
        to_status=Status.REJECTED,
        event=review_events.Rejected(),
        reviewer=reviewer,
        comment=reason,
        fields=DECISION_FIELDS,
    )
    return access_request


@transaction.atomic
def access_request_request_changes(
    *,
    request_id: int,
    reviewer: AbstractBaseUser,
    comment: str,
    field_comments: dict[str, str] | None = None,
    expected_version: int | None = None,
) -> AccessRequest:
    """in_review → changes_requested with a comment (and optional per-answer comments) the
    partner sees; any first approval is void because the answers will change."""
    comment = _require_text(comment, what="a comment saying what to change")
    unknown = set(field_comments or {}) - set(AccessRequest.ANSWER_FIELDS)
    if unknown:
        raise InvalidInputError(
            f"Unknown answer fields: {', '.join(sorted(unknown))}.",
            code=AccessRequestErrorCode.UNKNOWN_ANSWER_FIELDS,
        )
    cleaned_field_comments = {
        field: text.strip() for field, text in (field_comments or {}).items() if text.strip()
    }
    access_request = _lock_for_decision(
        request_id,
        reviewer=reviewer,
        action=Action.REQUEST_CHANGES,
        expected_version=expected_version,
    )
    access_request.first_approved_by = None
    _answer_partner(
        access_request,
        to_status=Status.CHANGES_REQUESTED,
        event=review_events.ChangesRequested(field_comments=cleaned_field_comments),
        reviewer=reviewer,
        comment=comment,
        fields=["first_approved_by"],
    )
    return access_request


@transaction.atomic
def access_request_revoke(
    *, request_id: int, reviewer: AbstractBaseUser, reason: str, expected_version: int | None = None
) -> AccessRequest:
    """approved → revoked with a written reason. In the same transaction the scope leaves the
    app's scope selection, every seller authorization of the app and the app's tokens."""
    reason = _require_text(reason, what="a reason for the revocation")
    access_request = _lock_for_decision(
        request_id, reviewer=reviewer, action=Action.REVOKE, expected_version=expected_version
    )
    _record_decision(access_request, reviewer=reviewer, reason=reason)
    end_approval(
        access_request, ending="revoked", actor=reviewer, comment=reason, fields=DECISION_FIELDS
    )
    return access_request


def _void_ineligible_first_approval(access_request: AccessRequest) -> int | None:
    """A first approval counts only while its reviewer could still give it (not after they joined
    the partner or lost the review permission); otherwise it is dropped. Returns whose it was."""
    first_approver = access_request.first_approved_by
    if first_approver is None or (
        is_reviewer(first_approver) and not conflict_of_interest(first_approver, access_request)
    ):
        return None
    access_request.first_approved_by = None
    return first_approver.pk


def _raise_refusal(
    refusal: DomainError | None, *, reviewer: AbstractBaseUser, access_request: AccessRequest
) -> None:
    if refusal is None:
        return
    if isinstance(refusal, SeparationOfDutiesError):
        # The refusal rolls back with the transaction, so the audit trail of a denial is the log.
        audit_log.warning(
            "SoD denied: user %s on access request %s: %s", reviewer.pk, access_request.pk, refusal
        )
    raise refusal


def _require_text(text: str, *, what: str) -> str:
    text = (text or "").strip()
    if not text:
        raise InvalidInputError(
            f"Please write {what}; the partner will see it.",
            code=AccessRequestErrorCode.TEXT_REQUIRED,
        )
    return text


def _lock_for_decision(
    request_id: int, *, reviewer: AbstractBaseUser, action: str, expected_version: int | None
) -> AccessRequest:
    """The request, locked, once `reviewer` may take `action` on it now."""
    access_request = lock_access_request(request_id, expected_version=expected_version)
    refusal = decision_refusal(reviewer=reviewer, access_request=access_request, action=action)
    _raise_refusal(refusal, reviewer=reviewer, access_request=access_request)
    return access_request


def _record_decision(
    access_request: AccessRequest,
    *,
    reviewer: AbstractBaseUser,
    reason: str,
    now: datetime | None = None,
) -> None:
    """Who closed the request, when and why (saved with DECISION_FIELDS by the transition)."""
    access_request.decided_by = reviewer
    access_request.decided_at = now or timezone.now()
    access_request.decision_reason = reason


def _answer_partner(
    access_request: AccessRequest,
    *,
    to_status: str,
    event: EventDetails,
    reviewer: AbstractBaseUser,
    comment: str,
    fields: list[str] | tuple[str, ...],
    now: datetime | None = None,
) -> None:
    """Move the request on with the reviewer's answer, then e-mail the partner about it."""
    transition(
        access_request,
        to_status=to_status,
        event=event,
        actor=reviewer,
        comment=comment,
        fields=fields,
        now=now,
    )
    notify_after_commit(notifications.notify_partner_of_decision, access_request.pk)
