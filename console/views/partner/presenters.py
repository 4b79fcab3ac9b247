"""How the partner pages show recorded events: an app's audit trail and an application's review
timeline, in plain words, with staff and reviewers named as the platform and the review team."""

from __future__ import annotations

from apps_registry.models import AccessRequest, PartnerAuditEvent, ReviewEvent
from apps_registry.services import apps as app_services

AuditAction = PartnerAuditEvent.Action
ANSWER_LABELS = {question.field: question.question for question in AccessRequest.ANSWER_QUESTIONS}
# The partner's own steps on the timeline, named by the member who took them.
PARTNER_ACTIONS = {
    ReviewEvent.Action.SUBMIT,
    ReviewEvent.Action.RESUBMIT,
    ReviewEvent.Action.WITHDRAW,
}


def activity_entry(event: PartnerAuditEvent) -> dict:
    """One audit event as the app page shows it: who, and what changed in plain words.

    Staff are named as the platform, as reviewers are named as the review team."""
    if event.action in PartnerAuditEvent.STAFF_ACTIONS:
        actor = "the platform"
    else:
        actor = event.actor.email if event.actor else ""
    return {"event": event, "actor": actor, "changes": _activity_changes(event)}


def _activity_changes(event: PartnerAuditEvent) -> list[str]:
    details = event.details or {}
    if event.action == AuditAction.APP_UPDATED:
        labels = [
            app_services.URL_FIELD_LABELS.get(name, name) for name in details.get("changed", {})
        ]
        return [f"Changed {', '.join(labels)}"] if labels else []
    if event.action == AuditAction.REDIRECT_URIS_CHANGED:
        old, new = details.get("old", []), details.get("new", [])
        return [f"Added {uri}" for uri in new if uri not in old] + [
            f"Removed {uri}" for uri in old if uri not in new
        ]
    hint = details.get("secret_hint")
    if event.action in (AuditAction.APP_CREATED, AuditAction.SECRET_ROTATED) and hint:
        return [f"Secret ends in …{hint}"]
    if event.action == AuditAction.SCOPES_CHOSEN:
        return (
            [f"Added {key} ({need})" for key, need in details.get("added", {}).items()]
            + [f"Removed {key}" for key in details.get("removed", [])]
            + [f"{key} is now {need}" for key, need in details.get("changed", {}).items()]
        )
    return []


def timeline_entry(event: ReviewEvent) -> dict:
    """One event as the partner sees it: reviewers are named as the team, not as people."""
    if event.actor is None:
        actor = ""
    elif event.action in PARTNER_ACTIONS:
        actor = event.actor.email
    else:
        actor = "the review team"
    details = event.details or {}
    return {
        "event": event,
        "actor": actor,
        "field_comments": [
            (ANSWER_LABELS.get(name, name), comment)
            for name, comment in (details.get("field_comments") or {}).items()
        ],
        "changed": [ANSWER_LABELS.get(name, name) for name in details.get("changed") or {}],
    }
