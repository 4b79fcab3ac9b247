"""The reviewers' side of the Custom-scope review workflow (ADR 0006): assign, approve, reject,
request changes and revoke, and what a reviewer may do now (the refusals the admin shows beside a
disabled control). Separation of duties applies to every action."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from apps_registry import notifications
from apps_registry.errors import DomainError, InvalidTransitionError, PermissionRefusedError
from apps_registry.events import review as review_events
from apps_registry.models import (
    AccessRequest,
    Membership,
    PartnerApp,
    PartnerAuditEvent,
    ReviewEvent,
)
from apps_registry.models.access_requests import REVIEW_PERMISSION
from apps_registry.services._access_request_steps import (
    lock_access_request,
    notify_after_commit,
    status_refusal,
    transition,
    withdraw_scope_from_app,
)

audit_log = logging.getLogger("apps_registry.audit")

Status = AccessRequest.Status
Action = ReviewEvent.Action
# The reviewer's decisions, as the refusals word them ("You cannot … it").
DECISION_VERBS = {
    Action.APPROVE: "approve",
    Action.REJECT: "reject",
    Action.REQUEST_CHANGES: "request changes on",
    Action.REVOKE: "revoke",
}


class SeparationOfDutiesError(PermissionRefusedError):
    """The reviewer is too close to the application: a conflict of interest, or a second approval
    of their own. Refusals of this kind are logged for the audit trail."""


# --- What a reviewer may do ---------------------------------------------------------------------
# Side-effect free: the services raise what these return, and the admin shows it beside a disabled
# control, so the rules live here once.

# The review actions each status allows, in the order the admin shows them.
REVIEW_ACTIONS_BY_STATUS = {
    Status.SUBMITTED: (Action.ASSIGN,),
    Status.IN_REVIEW: (Action.ASSIGN, Action.APPROVE, Action.REQUEST_CHANGES, Action.REJECT),
    Status.APPROVED: (Action.REVOKE,),
}


def assign_refusal(
    *, reviewer: AbstractBaseUser, access_request: AccessRequest
) -> DomainError | None:
    """Why assigning `access_request` to `reviewer` would be refused now, or None."""
    return _action_refusal(
        Action.ASSIGN,
        reviewer=reviewer,
        access_request=access_request,
        reviewer_refusal=_reviewer_refusal(reviewer, access_request),
    )


def decision_refusal(
    *, reviewer: AbstractBaseUser, access_request: AccessRequest, action: str
) -> DomainError | None:
    """Why `reviewer`'s decision (`action`: approve, reject, request changes or revoke) on
    `access_request` would be refused now, or None. The expiry and other inputs of the decision
    are checked by the service itself."""
    if action not in DECISION_VERBS:
        raise ValueError(f"{action!r} is not a reviewer's decision.")
    return _action_refusal(
        action,
        reviewer=reviewer,
        access_request=access_request,
        reviewer_refusal=_reviewer_refusal(reviewer, access_request),
    )


def review_options(
    *, reviewer: AbstractBaseUser, access_request: AccessRequest
) -> dict[str, DomainError | None]:
    """The review actions `access_request`'s status allows, in order, each mapped to why
    `reviewer` would be refused it now (what assign_refusal or decision_refusal returns), or None.
    Whether they are a reviewer free of conflicts of interest is checked once for all of them."""
    actions = REVIEW_ACTIONS_BY_STATUS.get(access_request.status, ())
    if not actions:
        return {}
    reviewer_refusal = _reviewer_refusal(reviewer, access_request)
    return {
        action: _action_refusal(
            action,
            reviewer=reviewer,
            access_request=access_request,
            reviewer_refusal=reviewer_refusal,
        )
        for action in actions
    }


_ACTION_VERBS = {Action.ASSIGN: "assign", **DECISION_VERBS}


def _action_refusal(
    action: str,
    *,
    reviewer: AbstractBaseUser,
    access_request: AccessRequest,
    reviewer_refusal: DomainError | None,
) -> DomainError | None:
    """The rule behind every reviewer action. `reviewer_refusal` (not a reviewer, or a conflict of
    interest) comes first; then the status, the assignment and the first approval."""
    verb = _ACTION_VERBS[action]
    allowed = [status for status, actions in REVIEW_ACTIONS_BY_STATUS.items() if action in actions]
    refusal = reviewer_refusal or status_refusal(access_request, *allowed, action=verb)
    if refusal is not None:
        return refusal
    assigned_to_reviewer = access_request.assigned_to_id == reviewer.pk
    if action == Action.ASSIGN:
        if access_request.status == Status.IN_REVIEW and assigned_to_reviewer:
            return InvalidTransitionError("This application is already assigned to you.")
        return None
    if action == Action.REVOKE:
        return None
    if not assigned_to_reviewer:
        return PermissionRefusedError(f"Assign the application to yourself before you {verb} it.")
    if (
        action == Action.APPROVE
        and access_request.requires_dual_approval
        and access_request.first_approved_by_id == reviewer.pk
    ):
        return SeparationOfDutiesError(
            "You gave the first approval, so this application needs a second approval from a "
            "different reviewer."
        )
    return None


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
    access_request = lock_access_request(request_id, expected_version=expected_version)
    refusal = decision_refusal(
        reviewer=reviewer, access_request=access_request, action=Action.APPROVE
    )
    _raise_refusal(refusal, reviewer=reviewer, access_request=access_request)
    now = timezone.now()
    if expires_at is None:
        expires_at = now + timedelta(days=settings.APPROVAL_DEFAULT_DAYS)
    if expires_at <= now:
        raise DomainError("The approval's expiry must be in the future.")
    if not access_request.scope.is_active:
        raise InvalidTransitionError(
            f"The scope {access_request.scope.key} is no longer offered; reject the application."
        )
    if access_request.app.status == PartnerApp.Status.SUSPENDED:
        raise InvalidTransitionError("The app is suspended; it cannot be granted scopes.")
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

    access_request.decided_by = reviewer
    access_request.decided_at = now
    access_request.decision_reason = comment
    access_request.approval_expires_at = expires_at
    transition(
        access_request,
        to_status=Status.APPROVED,
        event=review_events.Approved(expires_at=expires_at.isoformat()),
        actor=reviewer,
        comment=comment,
        fields=["decided_by", "decided_at", "decision_reason", "approval_expires_at"],
        now=now,
    )
    notify_after_commit(notifications.notify_partner_of_decision, access_request.pk)
    return access_request


@transaction.atomic
def access_request_reject(
    *, request_id: int, reviewer: AbstractBaseUser, reason: str, expected_version: int | None = None
) -> AccessRequest:
    """in_review → rejected with a written reason the partner sees, by the assigned reviewer."""
    reason = _require_text(reason, what="a reason for the rejection")
    access_request = lock_access_request(request_id, expected_version=expected_version)
    refusal = decision_refusal(
        reviewer=reviewer, access_request=access_request, action=Action.REJECT
    )
    _raise_refusal(refusal, reviewer=reviewer, access_request=access_request)
    _decide(access_request, reviewer=reviewer, reason=reason)
    transition(
        access_request,
        to_status=Status.REJECTED,
        event=review_events.Rejected(),
        actor=reviewer,
        comment=reason,
        fields=["decided_by", "decided_at", "decision_reason"],
    )
    notify_after_commit(notifications.notify_partner_of_decision, access_request.pk)
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
        raise DomainError(f"Unknown answer fields: {', '.join(sorted(unknown))}.")
    cleaned_field_comments = {
        field: text.strip() for field, text in (field_comments or {}).items() if text.strip()
    }
    access_request = lock_access_request(request_id, expected_version=expected_version)
    refusal = decision_refusal(
        reviewer=reviewer, access_request=access_request, action=Action.REQUEST_CHANGES
    )
    _raise_refusal(refusal, reviewer=reviewer, access_request=access_request)
    access_request.first_approved_by = None
    transition(
        access_request,
        to_status=Status.CHANGES_REQUESTED,
        event=review_events.ChangesRequested(field_comments=cleaned_field_comments),
        actor=reviewer,
        comment=comment,
        fields=["first_approved_by"],
    )
    notify_after_commit(notifications.notify_partner_of_decision, access_request.pk)
    return access_request


@transaction.atomic
def access_request_revoke(
    *, request_id: int, reviewer: AbstractBaseUser, reason: str, expected_version: int | None = None
) -> AccessRequest:
    """approved → revoked with a written reason. In the same transaction the scope leaves the
    app's scope selection, every seller authorization of the app and the app's tokens."""
    reason = _require_text(reason, what="a reason for the revocation")
    access_request = lock_access_request(request_id, expected_version=expected_version)
    refusal = decision_refusal(
        reviewer=reviewer, access_request=access_request, action=Action.REVOKE
    )
    _raise_refusal(refusal, reviewer=reviewer, access_request=access_request)
    _decide(access_request, reviewer=reviewer, reason=reason)
    stripped = withdraw_scope_from_app(access_request, approval="revoked")
    transition(
        access_request,
        to_status=Status.REVOKED,
        event=review_events.Revoked(**stripped),
        actor=reviewer,
        comment=reason,
        fields=["decided_by", "decided_at", "decision_reason"],
    )
    notify_after_commit(notifications.notify_partner_of_decision, access_request.pk)
    return access_request


# --- Who may review -----------------------------------------------------------------------------


def is_reviewer(user: AbstractBaseUser) -> bool:
    """Active staff holding the review permission (directly, by group, or as superuser)."""
    return bool(user.is_active and user.is_staff and user.has_perm(REVIEW_PERMISSION))


def _conflict_of_interest(user: AbstractBaseUser, access_request: AccessRequest) -> str:
    """Why `user` may not review this application, in words true of them ("" if they may): they
    submitted it, belong to the partner that applied, acted on it for that partner, or were a
    member of that partner and have left since."""
    partner_id = access_request.app.partner_id
    if access_request.submitted_by_id == user.pk:
        return "You submitted this application, so another reviewer must handle it."
    if Membership.objects.filter(partner_id=partner_id, user=user).exists():
        return "You are a member of the partner that applied, so another reviewer must handle it."
    if access_request.events.filter(actor=user, action__in=review_events.PARTNER_ACTIONS).exists():
        return "You acted on this application for the partner, so another reviewer must handle it."
    if PartnerAuditEvent.objects.filter(
        partner_id=partner_id,
        action__in=(PartnerAuditEvent.Action.MEMBER_LEFT, PartnerAuditEvent.Action.MEMBER_REMOVED),
        details__user_id=user.pk,
    ).exists():
        return "You were a member of the partner that applied, so another reviewer must handle it."
    return ""


def _void_ineligible_first_approval(access_request: AccessRequest) -> int | None:
    """A first approval counts only while its reviewer could still give it (not after they joined
    the partner or lost the review permission); otherwise it is dropped. Returns whose it was."""
    first_approver = access_request.first_approved_by
    if first_approver is None or (
        is_reviewer(first_approver) and not _conflict_of_interest(first_approver, access_request)
    ):
        return None
    access_request.first_approved_by = None
    return first_approver.pk


def _reviewer_refusal(reviewer: AbstractBaseUser, access_request: AccessRequest):
    if not is_reviewer(reviewer):
        return PermissionRefusedError("Only reviewers can act on applications.")
    conflict = _conflict_of_interest(reviewer, access_request)
    return SeparationOfDutiesError(conflict) if conflict else None


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
        raise DomainError(f"Please write {what}; the partner will see it.")
    return text


def _decide(access_request: AccessRequest, *, reviewer: AbstractBaseUser, reason: str) -> None:
    access_request.decided_by = reviewer
    access_request.decided_at = timezone.now()
    access_request.decision_reason = reason
