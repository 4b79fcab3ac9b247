"""How the partner pages show recorded events: an app's audit trail, an application's review
timeline, in plain words, with staff and reviewers named as the platform and the review team, and
each application's next step on the Applications page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.urls import reverse
from django.utils.formats import date_format
from django.utils.timesince import timesince

from apps_registry.events import audit as audit_events
from apps_registry.events.review import partner_timeline
from apps_registry.models import AccessRequest, PartnerAuditEvent
from apps_registry.services import apps as app_services

ANSWER_LABELS = {question.field: question.question for question in AccessRequest.ANSWER_QUESTIONS}


def activity_entry(event: PartnerAuditEvent) -> dict:
    """One audit event as the app page shows it: who, and what changed in plain words.

    Staff are named as the platform, as reviewers are named as the review team."""
    if event.action in PartnerAuditEvent.STAFF_ACTIONS:
        actor = "the platform"
    else:
        actor = event.actor.email if event.actor else ""
    return {"event": event, "actor": actor, "changes": _activity_changes(event)}


def _activity_changes(event: PartnerAuditEvent) -> list[str]:
    details = audit_events.read_details(event)
    match details:
        case audit_events.AppUpdated(changed=changed):
            labels = [app_services.URL_FIELD_LABELS.get(name, name) for name in changed]
            return [f"Changed {', '.join(labels)}"] if labels else []
        case audit_events.BrandingChanged(icon_sha256=icon, publisher_url=website):
            return [
                *([("New icon" if icon["new"] else "Icon removed")] if icon else []),
                *([f"Publisher website: {website['new'] or 'removed'}"] if website else []),
            ]
        case audit_events.RedirectUrisChanged(old=old, new=new):
            return [f"Added {uri}" for uri in new if uri not in old] + [
                f"Removed {uri}" for uri in old if uri not in new
            ]
        case (
            audit_events.AppCreated(secret_hint=hint)
            | audit_events.SecretRotated(secret_hint=hint)
            | audit_events.WebhookSecretRotated(secret_hint=hint)
        ) if hint:
            return [f"Secret ends in …{hint}"]
        case audit_events.WebhookSet(url=url, topics=topics):
            return [f"Events go to {url}: {', '.join(topics)}"]
        case audit_events.WebhookRemoved(url=url):
            return [f"No more events go to {url}"]
        case audit_events.WebhookReplayed(
            event_id=event_id, event_type=event_type, previous_status=previous_status
        ):
            return [f"Sent {event_type} event {event_id} again (previously {previous_status})"]
        case audit_events.ScopesChosen(added=added, removed=removed, changed=changed):
            return (
                [f"Added {key} ({need})" for key, need in added.items()]
                + [f"Removed {key}" for key in removed]
                + [f"{key} is now {need}" for key, need in changed.items()]
            )
    return []


def partner_timeline_page(access_request: AccessRequest) -> list[dict]:
    """The application's timeline as the partner sees it (events.review.partner_timeline), with
    the questionnaire's labels for the answers it names."""
    return [
        {
            "event": entry.event,
            "actor": entry.actor,
            "field_comments": [
                (ANSWER_LABELS[name], comment) for name, comment in entry.field_comments.items()
            ],
            "changed": [ANSWER_LABELS.get(name, name) for name in entry.changed],
        }
        for entry in partner_timeline(access_request)
    ]


@dataclass(frozen=True)
class ApplicationRow:
    """One application on the Applications page: where it stands and what the partner does next
    (a link when there is something to do or read)."""

    access_request: AccessRequest
    status: str
    status_label: str
    age: str
    next_action: str
    next_action_url: str = ""


def application_row(access_request: AccessRequest, *, now: datetime) -> ApplicationRow:
    """The row for one application (as `applications_for_user` annotates it); `now` decides its
    age and whether an approval has ended (the daily expiry job may not have run yet)."""
    status = access_request.effective_status(now=now)
    detail_url = reverse("partner:request-detail", kwargs={"request_id": access_request.pk})
    match status:
        case AccessRequest.Status.SUBMITTED | AccessRequest.Status.IN_REVIEW:
            action, url = "Waiting for review", ""
        case AccessRequest.Status.CHANGES_REQUESTED:
            action, url = "Respond to changes requested", detail_url
        case AccessRequest.Status.APPROVED if access_request.approval_expires_at:
            expires = date_format(access_request.approval_expires_at, "j M Y")
            action, url = f"Approved — expires {expires}", ""
        case AccessRequest.Status.APPROVED:
            action, url = "Approved — no expiry", ""
        case AccessRequest.Status.REJECTED | AccessRequest.Status.REVOKED:
            action, url = "Read the reviewer's reason", detail_url
        case AccessRequest.Status.EXPIRED if access_request.has_newer_application:
            action, url = "Expired — a newer application follows", ""
        case AccessRequest.Status.EXPIRED:
            action = "Expired — apply again from Manage API"
            url = reverse("partner:manage-api", kwargs={"app_id": access_request.app_id})
        case _:
            action, url = "Nothing to do: withdrawn", ""
    if now - access_request.submitted_at < timedelta(minutes=1):
        age = "submitted just now"
    else:
        age = f"submitted {timesince(access_request.submitted_at, now, depth=1)} ago"
    return ApplicationRow(
        access_request=access_request,
        status=status,
        status_label=AccessRequest.Status(status).label,
        age=age,
        next_action=action,
        next_action_url=url,
    )
