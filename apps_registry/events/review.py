"""The review history of an access request (ReviewEvent): the details each action records, the
one writer services use, the one reader, and what partners see of it (ADR 0014)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import QuerySet

from append_only.event_details import EventDetails, EventSchema
from apps_registry.models import AccessRequest, ReviewEvent

Action = ReviewEvent.Action


@dataclasses.dataclass(frozen=True)
class Submitted(EventDetails):
    action = Action.SUBMIT
    type_name = "access_request.submitted"


@dataclasses.dataclass(frozen=True)
class Assigned(EventDetails):
    action = Action.ASSIGN
    type_name = "access_request.assigned"

    # Who held the application before (their name), when it was reassigned.
    previous_reviewer: str | None = None


@dataclasses.dataclass(frozen=True)
class ChangesRequested(EventDetails):
    action = Action.REQUEST_CHANGES
    type_name = "access_request.changes_requested"
    partner_fields = ("field_comments",)

    # The reviewer's comment on each answer they want changed: {answer field: comment}.
    field_comments: dict[str, str] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class Resubmitted(EventDetails):
    action = Action.RESUBMIT
    type_name = "access_request.resubmitted"
    partner_fields = ("changed",)

    # The answers the partner edited: {answer field: {"old": …, "new": …}}.
    changed: dict[str, dict[str, str]] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class Approved(EventDetails):
    action = Action.APPROVE
    type_name = "access_request.approved"
    partner_fields = ("expires_at",)

    expires_at: str  # ISO 8601
    # Set when the platform approved a scope the app already used as it turned Custom.
    grace_after_tightening: bool | None = None
    tightened_by: int | None = None  # the catalog manager's user id


@dataclasses.dataclass(frozen=True)
class FirstApproval(EventDetails):
    action = Action.FIRST_APPROVAL
    type_name = "access_request.first_approval"

    # The user id of an earlier first approval dropped because its reviewer may no longer give it.
    voided_first_approval_by: int | None = None


@dataclasses.dataclass(frozen=True)
class Rejected(EventDetails):
    action = Action.REJECT
    type_name = "access_request.rejected"


@dataclasses.dataclass(frozen=True)
class Withdrawn(EventDetails):
    action = Action.WITHDRAW
    type_name = "access_request.withdrawn"


@dataclasses.dataclass(frozen=True)
class ScopeStripped(EventDetails):
    """An approval ended and its scope left the app: how much that changed, for reviewers.
    Every count is optional because rows written before a count existed lack it."""

    app_scopes_removed: int | None = None
    authorizations_changed: int | None = None
    authorizations_closed: int | None = None
    tokens_changed: int | None = None


@dataclasses.dataclass(frozen=True)
class Revoked(ScopeStripped):
    action = Action.REVOKE
    type_name = "access_request.revoked"


@dataclasses.dataclass(frozen=True)
class Expired(ScopeStripped):
    action = Action.EXPIRE
    type_name = "access_request.expired"


@dataclasses.dataclass(frozen=True)
class Commented(EventDetails):
    action = Action.COMMENT
    type_name = "access_request.commented"


SCHEMA = EventSchema(
    [
        Submitted,
        Assigned,
        ChangesRequested,
        Resubmitted,
        Approved,
        FirstApproval,
        Rejected,
        Withdrawn,
        Revoked,
        Expired,
        Commented,
    ]
)

# What members of the applying partner do: the timeline names the member who did it, and whoever
# did any of it may not review the application.
PARTNER_ACTIONS = (Action.SUBMIT, Action.RESUBMIT, Action.WITHDRAW)
# What the partner's timeline shows: their own steps and the review team's answers to them, each
# with the comment written for the partner. Not the reviewers' internal steps (taking the
# application, a first of two approvals, internal notes), whose comments are for reviewers only.
PARTNER_TIMELINE_ACTIONS = (
    *PARTNER_ACTIONS,
    Action.REQUEST_CHANGES,
    Action.APPROVE,
    Action.REJECT,
    Action.REVOKE,
    Action.EXPIRE,
)


def record_review_event(
    access_request: AccessRequest,
    details: EventDetails,
    *,
    actor: AbstractBaseUser | None,
    now: datetime,
    from_status: str = "",
    comment: str = "",
) -> ReviewEvent:
    """Append the event of `details`' action, which moved `access_request` to its current status."""
    return ReviewEvent.objects.create(
        request=access_request,
        actor=actor,
        action=details.action,
        from_status=from_status,
        to_status=access_request.status,
        comment=comment,
        details=details.stored(),
        created_at=now,
    )


def read_details(event: ReviewEvent) -> EventDetails:
    return SCHEMA.read(event.action, event.details)


@dataclasses.dataclass(frozen=True)
class PartnerTimelineEntry:
    """One review event as the partner's page, API and e-mails show it."""

    event: ReviewEvent
    # The member for the partner's own steps, "the review team" for a reviewer, "" for the platform.
    actor: str
    details: dict[str, Any]

    @property
    def field_comments(self) -> dict[str, str]:
        """The reviewer's per-answer comments, in the questionnaire's order."""
        comments = self.details.get("field_comments") or {}
        return {
            field: comments[field] for field in AccessRequest.ANSWER_FIELDS if field in comments
        }

    @property
    def changed(self) -> list[str]:
        """The answer fields the partner edited on resubmission."""
        return list(self.details.get("changed") or {})


def latest_event(
    events: Iterable[ReviewEvent], action: str, *, before: ReviewEvent | None = None
) -> ReviewEvent | None:
    """The newest event of `action` among `events`, or among those older than `before`. Read in
    Python, in whatever order `events` come, so prefetched or already fetched events cost no
    query."""

    def history_order(event: ReviewEvent) -> tuple[datetime, int]:
        return event.created_at, event.pk

    return max(
        (
            event
            for event in events
            if event.action == action
            and (before is None or history_order(event) < history_order(before))
        ),
        key=history_order,
        default=None,
    )


def latest_changes_request(
    events: Iterable[ReviewEvent], *, before: ReviewEvent | None = None
) -> ReviewEvent | None:
    """The reviewers' newest request for changes among `events` (see latest_event): the one
    whose per-answer comments the partner answers, and reviewers see beside the answers."""
    return latest_event(events, Action.REQUEST_CHANGES, before=before)


def partner_visible_events(events: QuerySet[ReviewEvent]) -> QuerySet[ReviewEvent]:
    """The events of `events` their partner may see (PARTNER_TIMELINE_ACTIONS), oldest first,
    with their actors: the one filter behind the partner's page, API and e-mails."""
    return (
        events.filter(action__in=PARTNER_TIMELINE_ACTIONS)
        .select_related("actor")
        .order_by("created_at", "pk")
    )


def partner_timeline(access_request: AccessRequest) -> list[PartnerTimelineEntry]:
    """The application's events the partner sees (partner_visible_events), oldest first:
    reviewers are named as the review team, and only the details partners may see are kept."""
    return [
        partner_timeline_entry(event)
        for event in partner_visible_events(access_request.events.all())
    ]


def partner_timeline_entry(event: ReviewEvent) -> PartnerTimelineEntry:
    """One review event as its partner may see it (see partner_timeline)."""
    if event.actor is None:
        actor = ""
    elif event.action in PARTNER_ACTIONS:
        actor = event.actor.email
    else:
        actor = "the review team"
    return PartnerTimelineEntry(event=event, actor=actor, details=partner_details(event))


def partner_details(event: ReviewEvent) -> dict[str, Any]:
    """What a partner may see of a review event's details: answer comments, changed answers and
    an approval's end; not who held the application before, nor what a revocation stripped."""
    return read_details(event).partner_payload()
