"""The partner audit trail (PartnerAuditEvent): one row per change to an organisation, its team or
its apps. The details each action records, the one writer services use and the one reader
(ADR 0014). Services write inside their own transaction, so the change and its row commit (or roll
back) together. Details say what changed and never hold a secret or a token."""

from __future__ import annotations

import dataclasses
from typing import Any, Self

from django.contrib.auth.base_user import AbstractBaseUser

from append_only.event_details import EventDetails, EventSchema
from apps_registry.models import Invitation, Partner, PartnerApp, PartnerAuditEvent

Action = PartnerAuditEvent.Action


@dataclasses.dataclass(frozen=True)
class PartnerCreated(EventDetails):
    action = Action.PARTNER_CREATED
    type_name = "partner.created"
    partner_fields = ("name",)

    name: str
    owner_email: str


@dataclasses.dataclass(frozen=True)
class PartnerVerified(EventDetails):
    action = Action.PARTNER_VERIFIED
    type_name = "partner.verified"


@dataclasses.dataclass(frozen=True)
class PartnerUnverified(EventDetails):
    action = Action.PARTNER_UNVERIFIED
    type_name = "partner.unverified"


@dataclasses.dataclass(frozen=True)
class InvitationDetails(EventDetails):
    """What an audit row says about an invitation: never its token or the token's hash."""

    partner_fields = ("invitation_id", "role")

    invitation_id: int
    email: str
    role: str

    @classmethod
    def of(cls, invitation: Invitation, **extra: Any) -> Self:
        """The details of `invitation`, plus the action's own (`extra`)."""
        return cls(
            invitation_id=invitation.pk, email=invitation.email, role=invitation.role, **extra
        )


@dataclasses.dataclass(frozen=True)
class MemberInvited(InvitationDetails):
    action = Action.MEMBER_INVITED
    type_name = "member.invited"
    partner_fields = (*InvitationDetails.partner_fields, "expires_at")

    expires_at: str | None = None  # ISO 8601
    expired_invitations_closed: int | None = None


@dataclasses.dataclass(frozen=True)
class InvitationRevoked(InvitationDetails):
    action = Action.INVITATION_REVOKED
    type_name = "invitation.revoked"


@dataclasses.dataclass(frozen=True)
class MemberJoined(InvitationDetails):
    action = Action.MEMBER_JOINED
    type_name = "member.joined"
    partner_fields = (*InvitationDetails.partner_fields, "user_id")

    user_id: int | None = None


@dataclasses.dataclass(frozen=True)
class MembershipEnded(EventDetails):
    """A member left or was removed. `user_id` also keeps a former member from reviewing the
    partner's applications."""

    partner_fields = ("user_id", "role")

    user_id: int
    email: str
    role: str


@dataclasses.dataclass(frozen=True)
class MemberRemoved(MembershipEnded):
    action = Action.MEMBER_REMOVED
    type_name = "member.removed"


@dataclasses.dataclass(frozen=True)
class MemberLeft(MembershipEnded):
    action = Action.MEMBER_LEFT
    type_name = "member.left"


@dataclasses.dataclass(frozen=True)
class AppCreated(EventDetails):
    action = Action.APP_CREATED
    type_name = "app.created"
    partner_fields = ("name", "redirect_uris")

    name: str
    redirect_uris: list[str] = dataclasses.field(default_factory=list)
    # The secret's last characters, for staff to match a leaked secret and for the partner's own app
    # page; left out of partner_payload, which webhooks deliver, since no receiver needs them.
    secret_hint: str | None = None


@dataclasses.dataclass(frozen=True)
class AppUpdated(EventDetails):
    action = Action.APP_UPDATED
    type_name = "app.updated"
    partner_fields = ("changed",)

    # {field: {"old": …, "new": …}} of what sellers see about the app.
    changed: dict[str, dict[str, str]] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class BrandingChanged(EventDetails):
    """A new icon (by its SHA-256), the icon removed, or a new publisher website."""

    action = Action.BRANDING_CHANGED
    type_name = "app.branding_changed"
    partner_fields = ("icon_sha256", "publisher_url")

    # {"old": …, "new": …} of each that changed; an icon is named by its SHA-256, "" for none.
    icon_sha256: dict[str, str] | None = None
    publisher_url: dict[str, str] | None = None


@dataclasses.dataclass(frozen=True)
class RedirectUrisChanged(EventDetails):
    action = Action.REDIRECT_URIS_CHANGED
    type_name = "app.redirect_uris_changed"
    partner_fields = ("old", "new")

    old: list[str] = dataclasses.field(default_factory=list)
    new: list[str] = dataclasses.field(default_factory=list)


@dataclasses.dataclass(frozen=True)
class SecretRotated(EventDetails):
    action = Action.SECRET_ROTATED
    type_name = "app.secret_rotated"

    secret_hint: str | None = None
    previous_secret_hint: str | None = None


@dataclasses.dataclass(frozen=True)
class StatusChange(EventDetails):
    partner_fields = ("from_status", "to_status")

    from_status: str
    to_status: str


@dataclasses.dataclass(frozen=True)
class AppPublished(StatusChange):
    action = Action.APP_PUBLISHED
    type_name = "app.published"


@dataclasses.dataclass(frozen=True)
class ScopesChosen(EventDetails):
    action = Action.SCOPES_CHOSEN
    type_name = "app.scopes_changed"
    partner_fields = ("added", "removed", "changed")

    added: dict[str, str] = dataclasses.field(default_factory=dict)  # {key: "required"/"optional"}
    removed: list[str] = dataclasses.field(default_factory=list)
    changed: dict[str, str] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class AppSuspended(StatusChange):
    action = Action.APP_SUSPENDED
    type_name = "app.suspended"
    partner_fields = (*StatusChange.partner_fields, "reason", "tokens_revoked")

    reason: str = ""
    tokens_revoked: int | None = None


@dataclasses.dataclass(frozen=True)
class AppUnsuspended(StatusChange):
    action = Action.APP_UNSUSPENDED
    type_name = "app.unsuspended"


@dataclasses.dataclass(frozen=True)
class WebhookSet(EventDetails):
    """The app's webhook endpoint created (with its first secret) or its URL or topics changed."""

    action = Action.WEBHOOK_SET
    type_name = "app.webhook_set"
    partner_fields = ("url", "topics", "previous_url", "previous_topics")

    url: str
    topics: list[str] = dataclasses.field(default_factory=list)
    # None when the endpoint was created by this change.
    previous_url: str | None = None
    previous_topics: list[str] | None = None
    # The new secret's last characters, when the endpoint was created.
    secret_hint: str | None = None


@dataclasses.dataclass(frozen=True)
class WebhookRemoved(EventDetails):
    action = Action.WEBHOOK_REMOVED
    type_name = "app.webhook_removed"
    partner_fields = ("url",)

    url: str


@dataclasses.dataclass(frozen=True)
class WebhookSecretRotated(EventDetails):
    action = Action.WEBHOOK_SECRET_ROTATED
    type_name = "app.webhook_secret_rotated"
    partner_fields = ("previous_secret_expires_at",)

    secret_hint: str | None = None
    previous_secret_hint: str | None = None
    previous_secret_expires_at: str | None = None  # ISO 8601


@dataclasses.dataclass(frozen=True)
class WebhookReplayed(EventDetails):
    """A delivered or failed event sent again; the replays of delivered ones are counted against
    the app's hourly limit."""

    action = Action.WEBHOOK_REPLAYED
    type_name = "app.webhook_replayed"
    partner_fields = ("event_id", "event_type", "previous_status")

    event_id: str
    event_type: str
    previous_status: str  # "delivered" or "failed"


SCHEMA = EventSchema(
    [
        PartnerCreated,
        PartnerVerified,
        PartnerUnverified,
        MemberInvited,
        InvitationRevoked,
        MemberJoined,
        MemberRemoved,
        MemberLeft,
        AppCreated,
        AppUpdated,
        BrandingChanged,
        RedirectUrisChanged,
        SecretRotated,
        AppPublished,
        ScopesChosen,
        AppSuspended,
        AppUnsuspended,
        WebhookSet,
        WebhookRemoved,
        WebhookSecretRotated,
        WebhookReplayed,
    ]
)


def record_partner_event(
    *,
    details: EventDetails,
    actor: AbstractBaseUser | None,
    partner: Partner | None = None,
    app: PartnerApp | None = None,
) -> PartnerAuditEvent:
    """Append the event of `details`' action; the partner defaults to the app's (None for
    platform-owned clients)."""
    return PartnerAuditEvent.objects.create(
        action=details.action,
        actor=actor,
        partner_id=partner.pk if partner is not None else getattr(app, "partner_id", None),
        app=app,
        details=details.stored(),
    )


def read_details(event: PartnerAuditEvent) -> EventDetails:
    return SCHEMA.read(event.action, event.details)
