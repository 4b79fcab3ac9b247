"""The partner's side of the Custom-scope review workflow (ADR 0006): submit, resubmit and
withdraw an application. Reviewers decide in reviews.py; the platform's scheduled jobs are in
access_request_jobs.py. Every transition locks the row, checks the status, bumps `version`, writes
one ReviewEvent and sends its e-mails after commit."""

from __future__ import annotations

from collections.abc import Sequence

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps_registry import notifications
from apps_registry.error_codes import AccessRequestErrorCode, PartnerErrorCode
from apps_registry.events import review as review_events
from apps_registry.models import AccessRequest, Membership, PartnerApp
from apps_registry.selectors.access_requests import answer_label
from apps_registry.services._access_request_steps import (
    expire_approval,
    lock_access_request,
    notify_after_commit,
    require_status,
    transition,
)
from apps_registry.services._stored_files import attach_files
from apps_registry.uploads import checked_attachments
from apps_registry.validators import validate_web_address
from core.errors import InvalidInputError, InvalidTransitionError, PermissionRefusedError
from scopes.models import Scope

REQUIRED_ANSWERS = tuple(field for field in AccessRequest.ANSWER_FIELDS if field != "demo_url")

Status = AccessRequest.Status


class InvalidAnswersError(InvalidInputError):
    """The questionnaire is incomplete or malformed; `fields` says where."""

    def __init__(self, field_errors: dict[str, str]):
        super().__init__(
            "Please correct the answers: " + " ".join(field_errors.values()),
            code=AccessRequestErrorCode.INVALID_ANSWERS,
            fields={field: [message] for field, message in field_errors.items()},
        )


@transaction.atomic
def access_request_submit(
    *,
    app: PartnerApp,
    scope: Scope,
    answers: dict[str, str],
    acting_user: AbstractBaseUser,
    endpoints: Sequence[str] | None = None,
    attachments: Sequence[UploadedFile] = (),
) -> AccessRequest:
    """Apply for a Custom scope for `app` (submitted). The actor must belong to the app's partner,
    the app must not be suspended, the scope must be active and Custom, and the app must hold no
    other open application or live approval for it (one past its end is expired first). E-mails
    the reviewers after commit.

    `endpoints` ("METHOD /path" each) are the scope's endpoints the partner ticked; given, they
    are the answer to "endpoints_used" and must all be endpoints of the scope (see
    _answers_with_endpoints). `attachments` (supporting files, ADR 0017) are stored last, once
    everything else passed."""
    checked_files = checked_attachments(list(attachments))
    app = PartnerApp.objects.select_for_update().get(pk=app.pk)
    _require_member(acting_user, partner_id=app.partner_id)
    if app.status == PartnerApp.Status.SUSPENDED:
        raise InvalidTransitionError(
            "This app is suspended, so it cannot apply for scopes.",
            code=AccessRequestErrorCode.APP_SUSPENDED,
        )
    scope = Scope.objects.get(pk=scope.pk)
    if not scope.is_active:
        raise InvalidTransitionError(
            f"The scope {scope.key} is no longer offered.",
            code=AccessRequestErrorCode.SCOPE_NOT_OFFERED,
        )
    if not scope.is_custom:
        raise InvalidTransitionError(
            f"{scope.key} is a Public scope: every app may use it without applying. "
            "Add it on the app's Manage API page instead.",
            code=AccessRequestErrorCode.SCOPE_IS_PUBLIC,
        )
    answers, chosen_endpoints = _answers_with_endpoints(answers, scope=scope, endpoints=endpoints)
    cleaned = _clean_answers(answers, partial=False)
    now = timezone.now()
    active = AccessRequest.objects.filter(
        app=app, scope=scope, status__in=AccessRequest.ACTIVE_STATUSES
    ).first()
    if active is not None and active.effective_status(now=now) == Status.EXPIRED:
        # An approval past its end still holds the partial unique index until the daily sweep
        # runs; expire it here (stripping the scope, with its EXPIRE event) so the partner may
        # reapply now. One extended since we read it keeps the index, which refuses the insert.
        expire_approval(request_id=active.pk, now=now)
    elif active is not None:
        raise InvalidTransitionError(
            _ALREADY_ACTIVE.format(scope=scope.key),
            code=AccessRequestErrorCode.APPLICATION_ALREADY_OPEN,
        )
    try:
        with transaction.atomic():
            access_request = AccessRequest.objects.create(
                app=app,
                scope=scope,
                requires_dual_approval=scope.requires_dual_approval,
                submitted_by=acting_user,
                submitted_at=now,
                updated_at=now,
                chosen_endpoints=chosen_endpoints,
                **cleaned,
            )
    except IntegrityError as error:  # a concurrent submission won the partial unique index
        raise InvalidTransitionError(
            _ALREADY_ACTIVE.format(scope=scope.key),
            code=AccessRequestErrorCode.APPLICATION_ALREADY_OPEN,
        ) from error
    review_events.record_review_event(
        access_request, review_events.Submitted(), actor=acting_user, now=now
    )
    attach_files(access_request, checked_files, uploaded_by=acting_user)
    notify_after_commit(notifications.notify_reviewers_of_submission, access_request.pk)
    return access_request


_ALREADY_ACTIVE = (
    "This app already has an open application or an approval for {scope}. "
    "Follow that one on the Applications page."
)


@transaction.atomic
def access_request_resubmit(
    *,
    request_id: int,
    answers: dict[str, str],
    acting_user: AbstractBaseUser,
    endpoints: Sequence[str] | None = None,
    attachments: Sequence[UploadedFile] = (),
) -> AccessRequest:
    """changes_requested → submitted with edited answers (answers not given stay as they were;
    `endpoints` as for access_request_submit) and any further supporting files. Records what
    changed so the reviewer sees the diff; the review clock restarts. E-mails the reviewers after
    commit."""
    access_request = lock_access_request(request_id)
    _require_member(acting_user, partner_id=access_request.app.partner_id)
    require_status(access_request, Status.CHANGES_REQUESTED, action="resubmit")
    # Counted first, so files past the application's total are refused before any is decoded.
    checked_files = checked_attachments(
        list(attachments), already_attached=access_request.attachments.count()
    )
    answers, chosen_endpoints = _answers_with_endpoints(
        answers, scope=access_request.scope, endpoints=endpoints
    )
    cleaned = _clean_answers(answers, partial=True)
    changed = {
        field: {"old": getattr(access_request, field), "new": value}
        for field, value in cleaned.items()
        if getattr(access_request, field) != value
    }
    if not changed:
        raise InvalidTransitionError(
            "Nothing changed: edit the answers the reviewer asked about, then resubmit.",
            code=AccessRequestErrorCode.NOTHING_CHANGED,
        )
    for field, change in changed.items():
        setattr(access_request, field, change["new"])
    access_request.submitted_at = timezone.now()
    fields = [*changed, "submitted_at"]
    if endpoints is not None:
        access_request.chosen_endpoints = chosen_endpoints
        fields.append("chosen_endpoints")
    transition(
        access_request,
        to_status=Status.SUBMITTED,
        event=review_events.Resubmitted(changed=changed),
        actor=acting_user,
        fields=fields,
    )
    attach_files(access_request, checked_files, uploaded_by=acting_user)
    notify_after_commit(notifications.notify_reviewers_of_submission, access_request.pk)
    return access_request


@transaction.atomic
def access_request_withdraw(*, request_id: int, acting_user: AbstractBaseUser) -> AccessRequest:
    """open (submitted, in review, changes requested) → withdrawn, by a member of the partner."""
    access_request = lock_access_request(request_id)
    _require_member(acting_user, partner_id=access_request.app.partner_id)
    require_status(access_request, *AccessRequest.OPEN_STATUSES, action="withdraw")
    transition(
        access_request,
        to_status=Status.WITHDRAWN,
        event=review_events.Withdrawn(),
        actor=acting_user,
    )
    return access_request


def _require_member(user: AbstractBaseUser, *, partner_id: int | None) -> None:
    if not (
        user.is_authenticated
        and partner_id is not None
        and Membership.objects.filter(partner_id=partner_id, user=user).exists()
    ):
        raise PermissionRefusedError(
            "Only members of the app's partner can do this.", code=PartnerErrorCode.NOT_A_MEMBER
        )


def _answers_with_endpoints(
    answers: dict[str, str], *, scope: Scope, endpoints: Sequence[str] | None
) -> tuple[dict[str, str], list[dict[str, str]]]:
    """The answers with "endpoints_used" written from the ticked `endpoints` (one "METHOD /path"
    a line, in catalog order), and those endpoints as stored in `chosen_endpoints`. Refuses an
    empty choice and any endpoint the scope does not unlock, naming it. Without `endpoints` the
    written answer stands and nothing is chosen."""
    if endpoints is None:
        return answers, []
    label = answer_label("endpoints_used")
    offered = list(scope.endpoints.order_by("path", "method"))
    offered_names = {str(endpoint) for endpoint in offered}
    ticked = set(endpoints)
    unknown = [name for name in dict.fromkeys(endpoints) if name not in offered_names]
    if unknown:
        raise InvalidAnswersError(
            {
                "endpoints_used": f"{label}: {', '.join(unknown)} "
                f"{'is not an endpoint' if len(unknown) == 1 else 'are not endpoints'} "
                f"of {scope.key}. Tick only endpoints from the scope's list."
            }
        )
    chosen = [endpoint for endpoint in offered if str(endpoint) in ticked]
    if not chosen:
        raise InvalidAnswersError(
            {"endpoints_used": f"{label}: tick at least one endpoint your app will call."}
        )
    return (
        {**answers, "endpoints_used": "\n".join(str(endpoint) for endpoint in chosen)},
        [{"method": endpoint.method, "path": endpoint.path} for endpoint in chosen],
    )


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
        elif len(value) > (max_length := AccessRequest.answer_question(field).max_length):
            errors[field] = f"{label}: keep it under {max_length} characters."
    if cleaned.get("demo_url") and "demo_url" not in errors:
        try:
            validate_web_address(cleaned["demo_url"])
        except ValidationError:
            errors["demo_url"] = (
                f"{answer_label('demo_url')}: enter a full web address, e.g. https://…"
            )
    if errors:
        raise InvalidAnswersError(errors)
    return cleaned
