"""The append-only audit trail of partner organisations and their apps."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from apps_registry.models.apps import PartnerApp
from apps_registry.models.base import AppendOnlyModel
from apps_registry.models.partners import Partner


class PartnerAuditEvent(AppendOnlyModel):
    """Append-only audit trail of a partner organisation and its apps: every change made by the
    services in `services/apps.py`, `services/partners.py`, `services/app_status.py` and
    `services/webhooks.py`, written
    in the same transaction. `details` says what changed; it never holds a secret or a token."""

    append_only_message = (
        "The partner audit trail is append-only: events cannot be changed or deleted."
    )

    class Action(models.TextChoices):
        PARTNER_CREATED = "partner_created", "Organisation created"
        PARTNER_VERIFIED = "partner_verified", "Organisation verified"
        PARTNER_UNVERIFIED = "partner_unverified", "Organisation verification withdrawn"
        MEMBER_INVITED = "member_invited", "Member invited"
        INVITATION_REVOKED = "invitation_revoked", "Invitation revoked"
        MEMBER_JOINED = "member_joined", "Member joined"
        MEMBER_REMOVED = "member_removed", "Member removed"
        MEMBER_LEFT = "member_left", "Member left"
        APP_CREATED = "app_created", "App created"
        APP_UPDATED = "app_updated", "App details changed"
        REDIRECT_URIS_CHANGED = "redirect_uris_changed", "Redirect URIs changed"
        SECRET_ROTATED = "secret_rotated", "Client secret rotated"
        APP_PUBLISHED = "app_published", "App published"
        SCOPES_CHOSEN = "scopes_chosen", "Scopes asked of sellers changed"
        BRANDING_CHANGED = "branding_changed", "Icon or publisher website changed"
        APP_SUSPENDED = "app_suspended", "App suspended by the platform"
        APP_UNSUSPENDED = "app_unsuspended", "App reinstated by the platform"
        WEBHOOK_SET = "webhook_set", "Webhook URL or topics set"
        WEBHOOK_REMOVED = "webhook_removed", "Webhook removed"
        WEBHOOK_SECRET_ROTATED = "webhook_secret_rotated", "Webhook signing secret rotated"
        WEBHOOK_REPLAYED = "webhook_replayed", "Webhook event replayed"

    # Platform staff act on these; partners see "the platform", not a staff member's name.
    STAFF_ACTIONS = (
        Action.PARTNER_VERIFIED,
        Action.PARTNER_UNVERIFIED,
        Action.APP_SUSPENDED,
        Action.APP_UNSUSPENDED,
    )

    partner = models.ForeignKey(
        Partner,
        on_delete=models.PROTECT,
        related_name="audit_events",
        null=True,
        blank=True,
        help_text="Empty only for events on platform-owned clients, such as the API gateway.",
    )
    app = models.ForeignKey(
        PartnerApp,
        on_delete=models.PROTECT,
        related_name="audit_events",
        null=True,
        blank=True,
        help_text="The app the event is about; empty for organisation and team events.",
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    action = models.CharField(max_length=30, choices=Action.choices)
    details = models.JSONField(
        default=dict,
        blank=True,
        help_text="What changed, e.g. old and new redirect URIs; never a secret or a token.",
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        subject = self.app or self.partner or "platform"
        return f"{self.get_action_display()}: {subject}"
