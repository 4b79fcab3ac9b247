"""Custom-scope applications (access requests) and their append-only review history."""

from __future__ import annotations

import uuid
from typing import NamedTuple

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import models
from django.db.models import Q
from django.utils import timezone

from apps_registry.models.apps import PartnerApp
from apps_registry.models.base import AppendOnlyModel
from scopes.models import Scope

# What reviewers hold (AccessRequest.Meta.permissions): the codename, and as has_perm spells it.
REVIEW_CODENAME = "review_accessrequest"
REVIEW_PERMISSION = f"apps_registry.{REVIEW_CODENAME}"


def is_reviewer(user: AbstractBaseUser) -> bool:
    """Active staff holding the review permission (directly, by group, or as superuser): who
    works the review queue. The permission is only looked up for staff."""
    return bool(user.is_active and user.is_staff and user.has_perm(REVIEW_PERMISSION))


class AnswerQuestion(NamedTuple):
    """One question of the Custom-scope questionnaire: the question as the partner is asked it,
    the short label that names the answer elsewhere (reviewers' pages, refusals, e-mails), and
    the answer's length limit. The page, the API and the services all read them from here."""

    field: str
    question: str
    label: str
    max_length: int


_TEXT_ANSWER_MAX_LENGTH = 5000


class AccessRequest(models.Model):
    """One app's application for one Custom scope, and the reviewers' decision on it."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", "Submitted"
        IN_REVIEW = "in_review", "In review"
        CHANGES_REQUESTED = "changes_requested", "Changes requested"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        WITHDRAWN = "withdrawn", "Withdrawn"
        REVOKED = "revoked", "Revoked"
        EXPIRED = "expired", "Expired"

    OPEN_STATUSES = (Status.SUBMITTED, Status.IN_REVIEW, Status.CHANGES_REQUESTED)
    # An app holds at most one request per scope that is open or approved; a closed one
    # (rejected, withdrawn, revoked, expired) leaves room for a new application.
    ACTIVE_STATUSES = (*OPEN_STATUSES, Status.APPROVED)
    ANSWER_QUESTIONS = (
        AnswerQuestion(
            "data_usage",
            "What does your app do with this data?",
            "Data usage",
            _TEXT_ANSWER_MAX_LENGTH,
        ),
        AnswerQuestion(
            "justification",
            "Why this scope, and why will a narrower one not do?",
            "Justification",
            _TEXT_ANSWER_MAX_LENGTH,
        ),
        AnswerQuestion(
            "endpoints_used",
            "Which endpoints will the app call?",
            "Endpoints used",
            _TEXT_ANSWER_MAX_LENGTH,
        ),
        AnswerQuestion(
            "data_protection",
            "How is the data stored, protected and deleted?",
            "Data protection",
            _TEXT_ANSWER_MAX_LENGTH,
        ),
        # URLField's default length (demo_url below); a test keeps the two equal.
        AnswerQuestion("demo_url", "Link to a demo or test instructions", "Demo URL", 200),
    )
    ANSWER_FIELDS = tuple(question.field for question in ANSWER_QUESTIONS)

    app = models.ForeignKey(PartnerApp, on_delete=models.CASCADE, related_name="access_requests")
    scope = models.ForeignKey(Scope, on_delete=models.PROTECT, related_name="access_requests")
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.SUBMITTED, db_index=True
    )
    # The questionnaire.
    data_usage = models.TextField(help_text="What the app does with the data this scope exposes.")
    justification = models.TextField(
        help_text="Why this scope, and why a narrower one will not do."
    )
    endpoints_used = models.TextField(help_text="Which endpoints the app will call.")
    # The same answer as picked from the scope's catalog endpoints, for reading by machine;
    # `endpoints_used` then lists them one per line for every page, e-mail and the API.
    chosen_endpoints = models.JSONField(
        default=list,
        blank=True,
        help_text='The scope\'s endpoints the partner ticked, e.g. [{"method": "GET", "path": '
        '"/customer_service/202309/conversations"}]; empty when they wrote the answer as text.',
    )
    data_protection = models.TextField(help_text="How the data is stored, protected and deleted.")
    demo_url = models.URLField(blank=True, help_text="A demo video or test instructions.")
    # The workflow.
    # None when the platform opened it: a grace approval after the scope became Custom.
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    submitted_at = models.DateTimeField(default=timezone.now)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="assigned_access_requests",
        null=True,
        blank=True,
    )
    requires_dual_approval = models.BooleanField(
        default=False,
        help_text="Copied from the scope at submission: the rule this application is decided "
        "under, whatever happens to the catalog afterwards.",
    )
    first_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        help_text="First of two reviewers, for scopes that require dual approval.",
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)
    approval_expires_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1, help_text="Bumped on every change.")
    updated_at = models.DateTimeField(default=timezone.now)
    # Which reminders the daily send_review_reminders already sent, so a rerun sends none twice.
    overdue_reminded_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When reviewers were last reminded that this application is past the target.",
    )
    expiry_reminder_days = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="The most urgent expiry reminder the partner got for this approval "
        "(30, 7 or 1 days before it ends).",
    )
    expiry_reminded_at = models.DateTimeField(
        null=True, blank=True, help_text="When that expiry reminder was sent."
    )

    class Meta:
        ordering = ["-submitted_at"]
        permissions = [(REVIEW_CODENAME, "Can review Custom-scope applications")]
        # The review queue's orderings and filters and the daily expiry of approvals, each a
        # range of one index (ADR 0025 has their plans).
        indexes = [
            models.Index(fields=["submitted_at", "id"], name="accessrequest_queue_order"),
            models.Index(fields=["status", "submitted_at", "id"], name="accessrequest_by_status"),
            models.Index(fields=["scope", "submitted_at", "id"], name="accessrequest_by_scope"),
            models.Index(
                fields=["approval_expires_at"],
                name="accessrequest_approval_ends",
                condition=Q(status="approved"),
            ),
            # The queue's review-age filters: the applications waiting on reviewers (the
            # selectors' WAITING_ON_REVIEWER_STATUSES) oldest first. The queue's own order
            # would walk past every decided application older than the first waiting one.
            models.Index(
                fields=["submitted_at", "id"],
                name="accessrequest_waiting_by_age",
                condition=Q(status__in=["submitted", "in_review"]),
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["app", "scope"],
                condition=Q(status__in=["submitted", "in_review", "changes_requested", "approved"]),
                name="accessrequest_one_active_per_app_scope",
            ),
            models.CheckConstraint(
                condition=~Q(status="approved") | Q(decided_at__isnull=False),
                name="accessrequest_approved_has_decision_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.app} → {self.scope.key} ({self.get_status_display()})"

    @classmethod
    def answer_question(cls, field: str) -> AnswerQuestion:
        return next(question for question in cls.ANSWER_QUESTIONS if question.field == field)

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    def is_live_approval(self, *, now=None) -> bool:
        """True while this request grants its scope: approved and not past its expiry."""
        now = now or timezone.now()
        return self.status == self.Status.APPROVED and (
            self.approval_expires_at is None or self.approval_expires_at > now
        )

    def effective_status(self, *, now=None) -> str:
        """The status as it stands at `now`: an approval past its end counts as expired even
        before the daily expiry job records it so."""
        if self.status == self.Status.APPROVED and not self.is_live_approval(now=now):
            return self.Status.EXPIRED
        return self.status


class ReviewEvent(AppendOnlyModel):
    """Append-only history of an access request; written only by services, never edited."""

    append_only_message = "The review history is append-only: events cannot be changed or deleted."

    class Action(models.TextChoices):
        SUBMIT = "submit", "Submitted"
        ASSIGN = "assign", "Assigned"
        REQUEST_CHANGES = "request_changes", "Changes requested"
        RESUBMIT = "resubmit", "Resubmitted"
        APPROVE = "approve", "Approved"
        FIRST_APPROVAL = "first_approval", "First approval"
        REJECT = "reject", "Rejected"
        WITHDRAW = "withdraw", "Withdrawn"
        REVOKE = "revoke", "Revoked"
        EXPIRE = "expire", "Expired"
        COMMENT = "comment", "Comment"

    request = models.ForeignKey(AccessRequest, on_delete=models.PROTECT, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    action = models.CharField(max_length=20, choices=Action.choices)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    comment = models.TextField(blank=True)
    details = models.JSONField(
        default=dict,
        blank=True,
        help_text="Structured extras, e.g. changed answers on resubmission.",
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_action_display()} on request #{self.request_id}"


class AccessRequestAttachment(models.Model):
    """A supporting file a partner attached to an application when submitting or resubmitting it:
    a PDF as uploaded, or an image we re-encoded (ADR 0017). Stored under a random name; served
    only to the app's partner members and to reviewers, by `public_id`."""

    access_request = models.ForeignKey(
        AccessRequest, on_delete=models.CASCADE, related_name="attachments"
    )
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    file = models.FileField(max_length=200)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=50)
    size = models.PositiveIntegerField(help_text="Bytes, as stored.")
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.original_name

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")
