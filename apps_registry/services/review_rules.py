"""What a reviewer may do now, side-effect free: the review services raise what these return, and
the admin shows it beside a disabled control, so the rules of the Custom-scope review workflow
(ADR 0006), separation of duties included, live here once."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser

from apps_registry.error_codes import AccessRequestErrorCode
from apps_registry.errors import SeparationOfDutiesError
from apps_registry.events import review as review_events
from apps_registry.models import AccessRequest, Membership, PartnerAuditEvent, ReviewEvent
from apps_registry.models.access_requests import is_reviewer
from apps_registry.services._access_request_steps import status_refusal
from core.errors import DomainError, InvalidTransitionError, PermissionRefusedError

Status = AccessRequest.Status
Action = ReviewEvent.Action
# The reviewer's decisions, as the refusals word them ("You cannot … it").
DECISION_VERBS = {
    Action.APPROVE: "approve",
    Action.REJECT: "reject",
    Action.REQUEST_CHANGES: "request changes on",
    Action.REVOKE: "revoke",
}


# --- What a reviewer may do ---------------------------------------------------------------------

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
    if (
        reviewer_refusal is None
        and access_request.status == Status.SUBMITTED
        and action != Action.ASSIGN
        and action in REVIEW_ACTIONS_BY_STATUS[Status.IN_REVIEW]
    ):
        # The status refusal, worded as the reviewer's next step: take the application.
        return InvalidTransitionError(
            f"You cannot {verb} an application nobody has taken yet: assign it to yourself first.",
            code=AccessRequestErrorCode.INVALID_STATUS,
        )
    allowed = [status for status, actions in REVIEW_ACTIONS_BY_STATUS.items() if action in actions]
    refusal = reviewer_refusal or status_refusal(access_request, *allowed, action=verb)
    if refusal is not None:
        return refusal
    assigned_to_reviewer = access_request.assigned_to_id == reviewer.pk
    if action == Action.ASSIGN:
        if access_request.status == Status.IN_REVIEW and assigned_to_reviewer:
            return InvalidTransitionError(
                "This application is already assigned to you.",
                code=AccessRequestErrorCode.ALREADY_ASSIGNED_TO_YOU,
            )
        return None
    if action == Action.REVOKE:
        return None
    if not assigned_to_reviewer:
        return PermissionRefusedError(
            f"Assign the application to yourself before you {verb} it.",
            code=AccessRequestErrorCode.NOT_ASSIGNED_TO_YOU,
        )
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


# --- Who may review -----------------------------------------------------------------------------


def conflict_of_interest(user: AbstractBaseUser, access_request: AccessRequest) -> str:
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


def _reviewer_refusal(reviewer: AbstractBaseUser, access_request: AccessRequest):
    if not is_reviewer(reviewer):
        return PermissionRefusedError(
            "Only reviewers can act on applications.", code=AccessRequestErrorCode.NOT_A_REVIEWER
        )
    conflict = conflict_of_interest(reviewer, access_request)
    return SeparationOfDutiesError(conflict) if conflict else None
