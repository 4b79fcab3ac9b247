"""Reads for the reviewers' queue: who reviews, how old an application is against the target, and
the answers a reviewer judges with what they said a round before."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db.models import Q, QuerySet
from django.utils import timezone

from apps_registry.business_days import add_business_days, business_days_between
from apps_registry.events import review as review_events
from apps_registry.models import AccessRequest, Membership, ReviewEvent
from apps_registry.models.access_requests import REVIEW_CODENAME

# Changes requested waits on the partner, so it does not count against the review target.
WAITING_ON_REVIEWER_STATUSES = (AccessRequest.Status.SUBMITTED, AccessRequest.Status.IN_REVIEW)
# Partners hear about an approval's end this many calendar days before it (each reminder once).
EXPIRY_REMINDER_DAYS = (30, 7, 1)
# Reviewers hear about an overdue application at most once per this many calendar days.
OVERDUE_REMINDER_EVERY_DAYS = 1


def answer_label(field: str) -> str:
    """The questionnaire answer's short label, e.g. "Data protection"."""
    return AccessRequest.answer_question(field).label


def answer_comments(field_comments: dict[str, str]) -> list[tuple[str, str]]:
    """A changes request's per-answer comments as (answer label, comment), in form order."""
    return [
        (answer_label(field), field_comments[field])
        for field in AccessRequest.ANSWER_FIELDS
        if field in field_comments
    ]


@dataclass(frozen=True)
class JudgedAnswer:
    """One answer of the questionnaire as a reviewer judges it."""

    field: str
    label: str
    text: str
    # The answer before the latest resubmission, when that resubmission changed it; else None.
    previous: str | None
    # What the reviewer said about this answer when they asked for the changes, if anything.
    reviewer_comment: str

    @property
    def changed(self) -> bool:
        return self.previous is not None


@dataclass(frozen=True)
class AnswersUnderReview:
    """An application's answers, and on a resubmission what the previous round said."""

    answers: list[JudgedAnswer]
    # When the partner last resubmitted (None while this is the first round), and the comment of
    # the changes request that sent it back to them.
    resubmitted_at: datetime | None
    changes_requested: str

    @property
    def is_resubmission(self) -> bool:
        return self.resubmitted_at is not None


def answers_under_review(access_request: AccessRequest) -> AnswersUnderReview:
    """The answers in questionnaire order. After a resubmission each carries its previous round's
    text where the partner changed it (from the RESUBMIT event, which records every changed answer
    before and after) and the comment the reviewer left on it when asking for changes."""
    events = list(
        access_request.events.filter(
            action__in=(ReviewEvent.Action.RESUBMIT, ReviewEvent.Action.REQUEST_CHANGES)
        )
    )
    resubmission = review_events.latest_event(events, ReviewEvent.Action.RESUBMIT)
    changes_request = (
        review_events.latest_changes_request(events, before=resubmission) if resubmission else None
    )
    changed = review_events.read_details(resubmission).changed if resubmission else {}
    field_comments = (
        review_events.read_details(changes_request).field_comments if changes_request else {}
    )
    return AnswersUnderReview(
        answers=[
            JudgedAnswer(
                field=question.field,
                label=question.label,
                text=getattr(access_request, question.field),
                previous=changed[question.field].get("old", "")
                if question.field in changed
                else None,
                reviewer_comment=field_comments.get(question.field, ""),
            )
            for question in AccessRequest.ANSWER_QUESTIONS
        ],
        resubmitted_at=resubmission.created_at if resubmission else None,
        changes_requested=changes_request.comment if changes_request else "",
    )


def reviewers(*, excluding_partner_id: int | None = None) -> QuerySet:
    """Active staff who may review (by group, direct permission or superuser), optionally without
    the members of one partner (they may not review its applications)."""
    permission = Permission.objects.filter(
        content_type__app_label="apps_registry", codename=REVIEW_CODENAME
    )
    users = (
        get_user_model()
        .objects.filter(is_active=True, is_staff=True)
        .filter(
            Q(is_superuser=True)
            | Q(groups__permissions__in=permission)
            | Q(user_permissions__in=permission)
        )
    )
    if excluding_partner_id is not None:
        users = users.exclude(
            pk__in=Membership.objects.filter(partner_id=excluding_partner_id).values("user_id")
        )
    return users.distinct().order_by("pk")


def review_age_business_days(access_request: AccessRequest, *, now: datetime | None = None) -> int:
    """Business days since the latest submission, in the server's time zone."""
    now = now or timezone.now()
    return business_days_between(
        timezone.localdate(access_request.submitted_at), timezone.localdate(now)
    )


def review_business_days_left(access_request: AccessRequest, *, now: datetime | None = None) -> int:
    """Business days left before the application passes REVIEW_TARGET_BUSINESS_DAYS: 0 on the
    last day, negative once it is overdue (-1: overdue by one business day)."""
    return settings.REVIEW_TARGET_BUSINESS_DAYS - review_age_business_days(access_request, now=now)


def overdue_cutoff(*, now: datetime | None = None) -> datetime:
    """Applications last submitted before this moment are past the review target."""
    today = timezone.localdate(now or timezone.now())
    return _start_of(add_business_days(today, -settings.REVIEW_TARGET_BUSINESS_DAYS))


def overdue_access_requests(*, now: datetime | None = None) -> QuerySet:
    """Applications waiting on reviewers past the review target, oldest first."""
    return (
        AccessRequest.objects.filter(
            status__in=WAITING_ON_REVIEWER_STATUSES,
            submitted_at__lt=overdue_cutoff(now=now),
        )
        .select_related("app__partner", "scope", "assigned_to")
        .order_by("submitted_at")
    )


def overdue_reminders_due(*, now: datetime | None = None) -> QuerySet:
    """Overdue applications whose reviewers have not been reminded of them in the last
    OVERDUE_REMINDER_EVERY_DAYS calendar days (so at most one digest a day lists each)."""
    now = now or timezone.now()
    reminded_since = _start_of(
        timezone.localdate(now) - timedelta(days=OVERDUE_REMINDER_EVERY_DAYS - 1)
    )
    return overdue_access_requests(now=now).filter(
        Q(overdue_reminded_at__isnull=True) | Q(overdue_reminded_at__lt=reminded_since)
    )


def expiry_reminder_due(access_request: AccessRequest, *, now: datetime) -> int | None:
    """The most urgent expiry reminder (30, 7 or 1 calendar days before the end) now due for this
    approval and not sent yet, or None. After a missed day only the most urgent one is due."""
    days_left = (
        timezone.localdate(access_request.approval_expires_at) - timezone.localdate(now)
    ).days
    due = [days for days in EXPIRY_REMINDER_DAYS if days_left <= days]
    if not due:
        return None
    most_urgent = min(due)
    already_sent = access_request.expiry_reminder_days
    return most_urgent if already_sent is None or most_urgent < already_sent else None


def expiry_reminders_due(*, now: datetime | None = None) -> list[tuple[AccessRequest, int]]:
    """Live approvals with an expiry reminder due, as (request, days before the end), soonest
    ending first."""
    now = now or timezone.now()
    horizon = _start_of(timezone.localdate(now) + timedelta(days=max(EXPIRY_REMINDER_DAYS) + 1))
    approvals = (
        AccessRequest.objects.filter(
            status=AccessRequest.Status.APPROVED,
            approval_expires_at__gt=now,
            approval_expires_at__lt=horizon,
        )
        .select_related("app__partner", "scope")
        .order_by("approval_expires_at", "pk")
    )
    return [
        (approval, days)
        for approval in approvals
        if (days := expiry_reminder_due(approval, now=now)) is not None
    ]


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, datetime.min.time()))
