"""The Custom-scope review workflow (ADR 0006): partners submit, resubmit and withdraw; reviewers
assign, approve, reject, request changes and revoke. Every transition locks the row, checks the
status, bumps `version`, writes one ReviewEvent and sends its e-mails after commit."""

from __future__ import annotations

import logging
from dataclasses import asdict
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps_registry import notifications
from apps_registry.errors import DomainError, InvalidTransitionError, PermissionRefusedError
from apps_registry.models import (
    AccessRequest,
    AppScope,
    Membership,
    PartnerApp,
    PartnerAuditEvent,
    ReviewEvent,
    ShopAuthorization,
)
from apps_registry.models.access_requests import REVIEW_PERMISSION
from apps_registry.selectors.access_requests import answer_label
from apps_registry.services.authorizations import (
    ApprovalEnding,
    authorization_withdraw_scope_for_platform,
    lock_app_for_consent,
)
from apps_registry.validators import validate_web_address
from scopes.models import Scope

audit_log = logging.getLogger("apps_registry.audit")

ANSWER_MAX_LENGTH = 5000
REQUIRED_ANSWERS = tuple(field for field in AccessRequest.ANSWER_FIELDS if field != "demo_url")

Status = AccessRequest.Status
Action = ReviewEvent.Action
# What members of the applying partner do; whoever did any of it may not review the application.
PARTNER_ACTIONS = (Action.SUBMIT, Action.RESUBMIT, Action.WITHDRAW)
# The reviewer's decisions, as the refusals word them ("You cannot … it").
DECISION_VERBS = {
    Action.APPROVE: "approve",
    Action.REJECT: "reject",
    Action.REQUEST_CHANGES: "request changes on",
    Action.REVOKE: "revoke",
}


class AccessRequestNotFoundError(DomainError):
    """No access request has this id."""


class SeparationOfDutiesError(PermissionRefusedError):
    """The reviewer is too close to the application: a conflict of interest, or a second approval
    of their own. Refusals of this kind are logged for the audit trail."""


class StaleAccessRequestError(InvalidTransitionError):
    """The request changed after the reviewer opened it (optimistic locking)."""


class InvalidAnswersError(DomainError):
    """The questionnaire is incomplete or malformed; `field_errors` says where."""

    def __init__(self, field_errors: dict[str, str]):
        self.field_errors = field_errors
        super().__init__("Please correct the answers: " + " ".join(field_errors.values()))


# --- Partner actions ----------------------------------------------------------------------------


@transaction.atomic
def access_request_submit(
    *, app: PartnerApp, scope: Scope, answers: dict[str, str], acting_user: AbstractBaseUser
) -> AccessRequest:
    """Apply for a Custom scope for `app` (submitted). The actor must belong to the app's partner,
    the app must not be suspended, the scope must be active and Custom, and the app must hold no
    other open application or live approval for it (one past its end is expired first). E-mails
    the reviewers after commit."""
    app = PartnerApp.objects.select_for_update().get(pk=app.pk)
    _require_member(acting_user, partner_id=app.partner_id)
    if app.status == PartnerApp.Status.SUSPENDED:
        raise InvalidTransitionError("This app is suspended, so it cannot apply for scopes.")
    scope = Scope.objects.get(pk=scope.pk)
    if not scope.is_active:
        raise InvalidTransitionError(f"The scope {scope.key} is no longer offered.")
    if not scope.is_custom:
        raise InvalidTransitionError(
            f"{scope.key} is a Public scope: every app may use it without applying. "
            "Add it on the app's Manage API page instead."
        )
    cleaned = _clean_answers(answers, partial=False)
    now = timezone.now()
    # An approval past its end still holds the partial unique index until the daily sweep runs;
    # expire it here (stripping the scope, with its EXPIRE event) so the partner may reapply now.
    stale_approval = AccessRequest.objects.filter(
        app=app, scope=scope, status=Status.APPROVED, approval_expires_at__lte=now
    ).first()
    if stale_approval is not None:
        _expire_one(request_id=stale_approval.pk, now=now)
    if AccessRequest.objects.filter(
        app=app, scope=scope, status__in=AccessRequest.ACTIVE_STATUSES
    ).exists():
        raise InvalidTransitionError(_ALREADY_ACTIVE.format(scope=scope.key))
    try:
        with transaction.atomic():
            access_request = AccessRequest.objects.create(
                app=app,
                scope=scope,
                requires_dual_approval=scope.requires_dual_approval,
                submitted_by=acting_user,
                submitted_at=now,
                updated_at=now,
                **cleaned,
            )
    except IntegrityError as error:  # a concurrent submission won the partial unique index
        raise InvalidTransitionError(_ALREADY_ACTIVE.format(scope=scope.key)) from error
    ReviewEvent.objects.create(
        request=access_request,
        actor=acting_user,
        action=Action.SUBMIT,
        to_status=Status.SUBMITTED,
        created_at=now,
    )
    _after_commit(notifications.notify_reviewers_of_submission, access_request.pk)
    return access_request


_ALREADY_ACTIVE = (
    "This app already has an open application or an approval for {scope}. "
    "Follow that one on the Requests page."
)


@transaction.atomic
def access_request_resubmit(
    *, request_id: int, answers: dict[str, str], acting_user: AbstractBaseUser
) -> AccessRequest:
    """changes_requested → submitted with edited answers (answers not given stay as they were).
    Records what changed so the reviewer sees the diff; the review clock restarts. E-mails the
    reviewers after commit."""
    access_request = _lock(request_id)
    _require_member(acting_user, partner_id=access_request.app.partner_id)
    _require_status(access_request, Status.CHANGES_REQUESTED, action="resubmit")
    cleaned = _clean_answers(answers, partial=True)
    changed = {
        field: {"old": getattr(access_request, field), "new": value}
        for field, value in cleaned.items()
        if getattr(access_request, field) != value
    }
    if not changed:
        raise InvalidTransitionError(
            "Nothing changed: edit the answers the reviewer asked about, then resubmit."
        )
    for field, change in changed.items():
        setattr(access_request, field, change["new"])
    access_request.submitted_at = timezone.now()
    _transition(
        access_request,
        to_status=Status.SUBMITTED,
        action=Action.RESUBMIT,
        actor=acting_user,
        details={"changed": changed},
        fields=[*changed, "submitted_at"],
    )
    _after_commit(notifications.notify_reviewers_of_submission, access_request.pk)
    return access_request


@transaction.atomic
def access_request_withdraw(*, request_id: int, acting_user: AbstractBaseUser) -> AccessRequest:
    """open (submitted, in review, changes requested) → withdrawn, by a member of the partner."""
    access_request = _lock(request_id)
    _require_member(acting_user, partner_id=access_request.app.partner_id)
    _require_status(access_request, *AccessRequest.OPEN_STATUSES, action="withdraw")
    _transition(
        access_request, to_status=Status.WITHDRAWN, action=Action.WITHDRAW, actor=acting_user
    )
    return access_request


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
    refusal = reviewer_refusal or _status_refusal(access_request, *allowed, action=verb)
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
    access_request = _lock(request_id, expected_version=expected_version)
    refusal = assign_refusal(reviewer=reviewer, access_request=access_request)
    _raise_refusal(refusal, reviewer=reviewer, access_request=access_request)
    previous_reviewer = access_request.assigned_to
    access_request.assigned_to = reviewer
    _transition(
        access_request,
        to_status=Status.IN_REVIEW,
        action=Action.ASSIGN,
        actor=reviewer,
        details={"previous_reviewer": str(previous_reviewer)} if previous_reviewer else {},
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
    access_request = _lock(request_id, expected_version=expected_version)
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
        _transition(
            access_request,
            to_status=Status.IN_REVIEW,
            action=Action.FIRST_APPROVAL,
            actor=reviewer,
            comment=comment,
            details={"voided_first_approval_by": voided_first_approver}
            if voided_first_approver
            else {},
            fields=["first_approved_by", "assigned_to"],
        )
        _after_commit(notifications.notify_reviewers_second_approval_needed, access_request.pk)
        return access_request

    access_request.decided_by = reviewer
    access_request.decided_at = now
    access_request.decision_reason = comment
    access_request.approval_expires_at = expires_at
    _transition(
        access_request,
        to_status=Status.APPROVED,
        action=Action.APPROVE,
        actor=reviewer,
        comment=comment,
        details={"expires_at": expires_at.isoformat()},
        fields=["decided_by", "decided_at", "decision_reason", "approval_expires_at"],
        now=now,
    )
    _after_commit(notifications.notify_partner_of_decision, access_request.pk)
    return access_request


@transaction.atomic
def access_request_reject(
    *, request_id: int, reviewer: AbstractBaseUser, reason: str, expected_version: int | None = None
) -> AccessRequest:
    """in_review → rejected with a written reason the partner sees, by the assigned reviewer."""
    reason = _require_text(reason, what="a reason for the rejection")
    access_request = _lock(request_id, expected_version=expected_version)
    refusal = decision_refusal(
        reviewer=reviewer, access_request=access_request, action=Action.REJECT
    )
    _raise_refusal(refusal, reviewer=reviewer, access_request=access_request)
    _decide(access_request, reviewer=reviewer, reason=reason)
    _transition(
        access_request,
        to_status=Status.REJECTED,
        action=Action.REJECT,
        actor=reviewer,
        comment=reason,
        fields=["decided_by", "decided_at", "decision_reason"],
    )
    _after_commit(notifications.notify_partner_of_decision, access_request.pk)
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
    access_request = _lock(request_id, expected_version=expected_version)
    refusal = decision_refusal(
        reviewer=reviewer, access_request=access_request, action=Action.REQUEST_CHANGES
    )
    _raise_refusal(refusal, reviewer=reviewer, access_request=access_request)
    access_request.first_approved_by = None
    _transition(
        access_request,
        to_status=Status.CHANGES_REQUESTED,
        action=Action.REQUEST_CHANGES,
        actor=reviewer,
        comment=comment,
        details={"field_comments": cleaned_field_comments},
        fields=["first_approved_by"],
    )
    _after_commit(notifications.notify_partner_of_decision, access_request.pk)
    return access_request


@transaction.atomic
def access_request_revoke(
    *, request_id: int, reviewer: AbstractBaseUser, reason: str, expected_version: int | None = None
) -> AccessRequest:
    """approved → revoked with a written reason. In the same transaction the scope leaves the
    app's scope selection, every seller authorization of the app and the app's tokens."""
    reason = _require_text(reason, what="a reason for the revocation")
    access_request = _lock(request_id, expected_version=expected_version)
    refusal = decision_refusal(
        reviewer=reviewer, access_request=access_request, action=Action.REVOKE
    )
    _raise_refusal(refusal, reviewer=reviewer, access_request=access_request)
    _decide(access_request, reviewer=reviewer, reason=reason)
    stripped = _withdraw_scope_from_app(access_request, approval="revoked")
    _transition(
        access_request,
        to_status=Status.REVOKED,
        action=Action.REVOKE,
        actor=reviewer,
        comment=reason,
        details=stripped,
        fields=["decided_by", "decided_at", "decision_reason"],
    )
    _after_commit(notifications.notify_partner_of_decision, access_request.pk)
    return access_request


def access_requests_expire_due(*, now: datetime | None = None) -> int:
    """approved → expired for every approval past `approval_expires_at`, one transaction each,
    stripping the scope like a revocation. Returns how many expired."""
    now = now or timezone.now()
    due_ids = AccessRequest.objects.filter(
        status=Status.APPROVED, approval_expires_at__lte=now
    ).values_list("pk", flat=True)
    return sum(_expire_one(request_id=request_id, now=now) for request_id in list(due_ids))


@transaction.atomic
def _expire_one(*, request_id: int, now: datetime) -> bool:
    access_request = _lock(request_id)
    if access_request.status != Status.APPROVED or access_request.is_live_approval(now=now):
        return False  # revoked or extended since the sweep listed it
    stripped = _withdraw_scope_from_app(access_request, approval="expired")
    _transition(
        access_request,
        to_status=Status.EXPIRED,
        action=Action.EXPIRE,
        actor=None,
        details=stripped,
        now=now,
    )
    _after_commit(notifications.notify_partner_of_decision, access_request.pk)
    return True


GRACE_JUSTIFICATION = "Granted by the platform: the scope became Custom while the app used it."


@transaction.atomic
def access_requests_grant_grace(*, scope: Scope, tightened_by: AbstractBaseUser) -> list[int]:
    """The scope just became Custom: every app that uses it (selected on its Manage API page or
    in a live seller authorization) and holds no application for it gets an approval that ends
    after CATALOG_TIGHTENING_GRACE_DAYS, recorded as the platform's, and its partner is mailed.
    Returns the new requests' ids."""
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
        ReviewEvent.objects.create(
            request=access_request,
            actor=None,
            action=Action.APPROVE,
            to_status=Status.APPROVED,
            comment=reason,
            details={
                "grace_after_tightening": True,
                "tightened_by": tightened_by.pk,
                "expires_at": expires_at.isoformat(),
            },
            created_at=now,
        )
        _after_commit(notifications.notify_partner_of_grace_approval, access_request.pk)
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
    access_request = _lock(request_id)
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


# --- Shared steps -------------------------------------------------------------------------------


def is_reviewer(user: AbstractBaseUser) -> bool:
    """Active staff holding the review permission (directly, by group, or as superuser)."""
    return bool(user.is_active and user.is_staff and user.has_perm(REVIEW_PERMISSION))


def _lock(request_id: int, *, expected_version: int | None = None) -> AccessRequest:
    # The app's row before the request's, in every transition and as access_request_submit takes
    # them: revoking or expiring an approval rewrites the app's consent, which serializes there.
    app_id = AccessRequest.objects.filter(pk=request_id).values_list("app_id", flat=True).first()
    if app_id is None:
        raise AccessRequestNotFoundError("No such application.")
    lock_app_for_consent(app_id=app_id)
    access_request = (
        AccessRequest.objects.select_for_update(of=("self",))
        .select_related("app", "scope")
        .get(pk=request_id)
    )
    if expected_version is not None and access_request.version != expected_version:
        raise StaleAccessRequestError(
            "This application changed since you opened it (it is now "
            f"“{access_request.get_status_display()}”). Reload it and check before acting."
        )
    return access_request


def _require_member(user: AbstractBaseUser, *, partner_id: int | None) -> None:
    if not (
        user.is_authenticated
        and partner_id is not None
        and Membership.objects.filter(partner_id=partner_id, user=user).exists()
    ):
        raise PermissionRefusedError("Only members of the app's partner can do this.")


def _conflict_of_interest(user: AbstractBaseUser, access_request: AccessRequest) -> str:
    """Why `user` may not review this application, in words true of them ("" if they may): they
    submitted it, belong to the partner that applied, acted on it for that partner, or were a
    member of that partner and have left since."""
    partner_id = access_request.app.partner_id
    if access_request.submitted_by_id == user.pk:
        return "You submitted this application, so another reviewer must handle it."
    if Membership.objects.filter(partner_id=partner_id, user=user).exists():
        return "You are a member of the partner that applied, so another reviewer must handle it."
    if access_request.events.filter(actor=user, action__in=PARTNER_ACTIONS).exists():
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


def _status_refusal(access_request: AccessRequest, *allowed: str, action: str):
    if access_request.status in allowed:
        return None
    return InvalidTransitionError(
        f"You cannot {action} an application that is “{access_request.get_status_display()}”."
    )


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


def _require_status(access_request: AccessRequest, *allowed: str, action: str) -> None:
    refusal = _status_refusal(access_request, *allowed, action=action)
    if refusal is not None:
        raise refusal


def _require_text(text: str, *, what: str) -> str:
    text = (text or "").strip()
    if not text:
        raise DomainError(f"Please write {what}; the partner will see it.")
    return text


def _clean_answers(answers: dict[str, str], *, partial: bool) -> dict[str, str]:
    unknown = set(answers) - set(AccessRequest.ANSWER_FIELDS)
    if unknown:
        raise InvalidAnswersError(dict.fromkeys(sorted(unknown), "Unknown question."))
    fields = [f for f in AccessRequest.ANSWER_FIELDS if not partial or f in answers]
    cleaned = {field: str(answers.get(field) or "").strip() for field in fields}
    errors = {}
    for field, value in cleaned.items():
        label = answer_label(field)
        if field in REQUIRED_ANSWERS and not value:
            errors[field] = f"{label}: this answer is required."
        elif len(value) > ANSWER_MAX_LENGTH:
            errors[field] = f"{label}: keep it under {ANSWER_MAX_LENGTH} characters."
    if cleaned.get("demo_url") and "demo_url" not in errors:
        try:
            validate_web_address(cleaned["demo_url"])
        except ValidationError:
            errors["demo_url"] = "Demo url: enter a full web address, e.g. https://…"
    if errors:
        raise InvalidAnswersError(errors)
    return cleaned


def _decide(access_request: AccessRequest, *, reviewer: AbstractBaseUser, reason: str) -> None:
    access_request.decided_by = reviewer
    access_request.decided_at = timezone.now()
    access_request.decision_reason = reason


def _withdraw_scope_from_app(
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


def _transition(
    access_request: AccessRequest,
    *,
    to_status: str,
    action: str,
    actor: AbstractBaseUser | None,
    comment: str = "",
    details: dict | None = None,
    fields: list[str] | tuple[str, ...] = (),
    now: datetime | None = None,
) -> ReviewEvent:
    now = now or timezone.now()
    from_status = access_request.status
    access_request.status = to_status
    access_request.version += 1
    access_request.updated_at = now
    access_request.save(update_fields=["status", "version", "updated_at", *fields])
    return ReviewEvent.objects.create(
        request=access_request,
        actor=actor,
        action=action,
        from_status=from_status,
        to_status=to_status,
        comment=comment,
        details=details or {},
        created_at=now,
    )


def _after_commit(notify, request_id: int) -> None:
    # Robust: a mail server failure is logged; it must not turn a committed decision into an error
    # page, nor stop a bulk action or the daily expiry halfway.
    transaction.on_commit(lambda: notify(request_id=request_id), robust=True)
