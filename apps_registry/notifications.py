"""E-mails of the review workflow. Services call these through `transaction.on_commit`, so a rolled
back transition never mails anyone; each message goes to one recipient (no shared To: lists)."""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.urls import reverse

from apps_registry.events.review import (
    latest_changes_request,
    partner_timeline_entry,
    partner_visible_events,
)
from apps_registry.mail import branded_message, send_later, site_url
from apps_registry.models import AccessRequest, Membership, WebhookAttempt, WebhookEndpoint
from apps_registry.people import display_name
from apps_registry.selectors.access_requests import answer_comments, reviewers

Status = AccessRequest.Status

PARTNER_SUBJECTS = {
    Status.APPROVED: "Approved: {scope} for {app}",
    Status.REJECTED: "Not approved: {scope} for {app}",
    Status.CHANGES_REQUESTED: "Changes requested: {scope} for {app}",
    Status.REVOKED: "Access revoked: {scope} for {app}",
    Status.EXPIRED: "Approval expired: {scope} for {app}",
}


def notify_reviewers_of_submission(*, request_id: int) -> int:
    """A new or resubmitted application: to its assigned reviewer, else to every eligible one."""
    access_request = _load(request_id)
    recipients = (
        [access_request.assigned_to]
        if access_request.assigned_to is not None
        else reviewers(excluding_partner_id=access_request.app.partner_id)
    )
    return _send(
        recipients,
        subject=f"Application to review: {access_request.scope.key} for {access_request.app.name}",
        template="email/access_request_submitted",
        context=_context(access_request),
    )


def notify_reviewers_second_approval_needed(*, request_id: int) -> int:
    """A dual-approval scope got its first approval: every other eligible reviewer may finish it."""
    access_request = _load(request_id)
    recipients = reviewers(excluding_partner_id=access_request.app.partner_id).exclude(
        pk=access_request.first_approved_by_id
    )
    return _send(
        recipients,
        subject=f"Second approval needed: {access_request.scope.key} for {access_request.app.name}",
        template="email/access_request_second_approval",
        context=_context(access_request),
    )


def notify_partner_of_decision(*, request_id: int) -> int:
    """The application's current state (approved, rejected, changes requested, revoked, expired),
    with the reviewer's words as the partner's timeline shows them, to every member of the
    partner."""
    access_request = _load(request_id)
    # The steps the partner may see: a reviewer's internal note written since is not theirs. The
    # newest is the decision; asked for changes, they read the per-answer comments with it.
    events = list(partner_visible_events(access_request.events.all()))
    changes_request = (
        latest_changes_request(events)
        if access_request.status == Status.CHANGES_REQUESTED
        else None
    )
    subject = PARTNER_SUBJECTS[access_request.status].format(
        scope=access_request.scope.key, app=access_request.app.name
    )
    return _send(
        _partner_members(access_request),
        subject=subject,
        template=f"email/access_request_{access_request.status}",
        context={
            **_context(access_request),
            "event": events[-1] if events else None,
            "field_comments": answer_comments(
                partner_timeline_entry(changes_request).field_comments
            )
            if changes_request
            else [],
        },
    )


def notify_partner_of_grace_approval(*, request_id: int) -> int:
    """A scope the app used became Custom: the platform approved it for a grace period; the
    partner should apply before it ends."""
    access_request = _load(request_id)
    return _send(
        _partner_members(access_request),
        subject=f"Now a Custom scope: {access_request.scope.key} for {access_request.app.name}",
        template="email/grace_approval",
        context=_context(access_request),
    )


def notify_reviewers_of_overdue(*, access_requests: Iterable[AccessRequest]) -> int:
    """Daily digest of applications past the review target, to every reviewer."""
    access_requests = list(access_requests)
    if not access_requests:
        return 0
    return _send(
        reviewers(),
        subject=f"{len(access_requests)} application(s) past the review target",
        template="email/review_reminder",
        context={
            "access_requests": [
                {"request": access_request, "admin_url": _admin_url(access_request)}
                for access_request in access_requests
            ],
            "target_days": settings.REVIEW_TARGET_BUSINESS_DAYS,
        },
    )


def notify_partner_of_expiring_approval(*, access_request: AccessRequest) -> int:
    """An approval ends soon: the partner should apply again before it does."""
    return _send(
        _partner_members(access_request),
        subject=f"Approval ending soon: {access_request.scope.key} for {access_request.app.name}",
        template="email/approval_expiring",
        context=_context(access_request),
    )


def _load(request_id: int) -> AccessRequest:
    return AccessRequest.objects.select_related(
        "app__partner", "scope", "assigned_to", "decided_by"
    ).get(pk=request_id)


def _partner_members(access_request: AccessRequest):
    return [
        membership.user
        for membership in Membership.objects.filter(partner_id=access_request.app.partner_id)
        .select_related("user")
        .order_by("pk")
    ]


def _admin_url(access_request: AccessRequest) -> str:
    path = reverse("admin:apps_registry_accessrequest_change", args=[access_request.pk])
    return site_url() + path


def _context(access_request: AccessRequest) -> dict:
    return {
        "request": access_request,
        "console_url": site_url()
        + reverse("partner:request-detail", kwargs={"request_id": access_request.pk}),
        "admin_url": _admin_url(access_request),
    }


def _send(recipients, *, subject: str, template: str, context: dict) -> int:
    """Queue the message to each recipient with an address; returns how many."""
    messages = [
        branded_message(
            to=user.email,
            subject=subject,
            template=template,
            context=context,
            greeting_name=display_name(user),
        )
        for user in recipients
        if user.email
    ]
    for message in messages:
        send_later(message)
    return len(messages)


def notify_partner_of_failing_webhook(*, app_id: int) -> int:
    """A delivery failed after its last retry and the app's endpoint is now failing: every
    member of the partner, once, with the last attempt's error to act on."""
    endpoint = WebhookEndpoint.objects.select_related("app").get(app_id=app_id)
    last_attempt = (
        WebhookAttempt.objects.filter(delivery__app_id=app_id)
        .order_by("-started_at", "-pk")
        .first()
    )
    members = Membership.objects.filter(partner_id=endpoint.app.partner_id).select_related("user")
    return _send(
        [membership.user for membership in members.order_by("pk")],
        subject=f"Webhooks failing: {endpoint.app.name}",
        template="email/webhook_failing",
        context={
            "endpoint": endpoint,
            "app": endpoint.app,
            "last_attempt": last_attempt,
            "console_url": site_url()
            + reverse("partner:app-webhooks", kwargs={"app_id": endpoint.app_id}),
        },
    )
