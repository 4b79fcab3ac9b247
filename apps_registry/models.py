"""Who is asking for access: partners, their apps, Custom-scope applications, shops and consents.

State changes live in `services.py`; these models hold the data, the invariants the database can
enforce, and pure predicates.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from oauth2_provider.models import AbstractApplication

import append_only.models
from apps_registry.errors import PermissionRefusedError
from apps_registry.validators import (
    parse_redirect_uris,
    validate_display_name,
    validate_no_format_characters,
    validate_redirect_uris,
)
from scopes.models import Scope


class Partner(models.Model):
    """An organisation (ISV or in-house team) that builds apps on the platform."""

    name = models.CharField(max_length=120)
    is_verified = models.BooleanField(
        default=False, help_text="Set by staff once the organisation's identity has been checked."
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """A user's place in a partner organisation."""

    class Role(models.TextChoices):
        OWNER = "owner", "Owner"
        DEVELOPER = "developer", "Developer"

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.DEVELOPER)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["partner", "user"], name="membership_unique_user"),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.partner} ({self.role})"


class Invitation(models.Model):
    """An owner's invitation for someone to join the partner organisation, accepted by e-mail link.

    Only a keyed hash of the invitation token is stored; the link is e-mailed once.
    """

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    role = models.CharField(
        max_length=10, choices=Membership.Role.choices, default=Membership.Role.DEVELOPER
    )
    token_hash = models.CharField(max_length=128, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "email"],
                condition=Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="invitation_one_pending_per_email",
            ),
        ]

    def __str__(self) -> str:
        return f"Invitation of {self.email} to {self.partner}"


class PartnerApp(AbstractApplication):
    """A partner's app: DOT's OAuth client, swapped in so the console's fields live on one row.

    Partners never choose the grant type, client type or `skip_authorization`: services set them.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        LIVE = "live", "Live"
        SUSPENDED = "suspended", "Suspended"

    class Category(models.TextChoices):
        ERP = "erp", "ERP & inventory"
        ORDER_MANAGEMENT = "order_management", "Order management"
        CUSTOMER_SERVICE = "customer_service", "Customer service"
        MARKETING = "marketing", "Marketing & promotion"
        ANALYTICS = "analytics", "Analytics"
        LOGISTICS = "logistics", "Logistics & fulfillment"
        FINANCE = "finance", "Finance & accounting"
        AFFILIATE = "affiliate", "Affiliate & creators"
        OTHER = "other", "Other"

    partner = models.ForeignKey(
        Partner,
        on_delete=models.PROTECT,
        related_name="apps",
        null=True,
        blank=True,
        help_text="Empty only for platform-owned clients, such as the API gateway.",
    )
    description = models.TextField(blank=True)
    category = models.CharField(max_length=30, choices=Category.choices, default=Category.OTHER)
    homepage_url = models.URLField(blank=True)
    privacy_policy_url = models.URLField(blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    secret_hint = models.CharField(
        max_length=4, blank=True, help_text="Last four characters of the current client secret."
    )
    secret_rotated_at = models.DateTimeField(null=True, blank=True)
    can_introspect = models.BooleanField(
        default=False,
        help_text="Resource servers (the gateway) may introspect tokens; partner apps never.",
    )

    class Meta(AbstractApplication.Meta):
        swappable = "OAUTH2_PROVIDER_APPLICATION_MODEL"

    def get_allowed_schemes(self) -> list[str]:
        """https everywhere; http too, because services only accept it for loopback hosts."""
        return ["https", "http"]

    def is_usable(self, request) -> bool:
        """A suspended app can neither obtain nor use tokens."""
        return self.status != self.Status.SUSPENDED

    def clean(self) -> None:
        """DOT's checks plus our rules for redirect URIs and for what sellers read, so no
        ModelForm (the admin's included) can store what the services would refuse."""
        errors: dict[str, list] = {}
        try:
            super().clean()
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        for field, validate in (
            ("name", validate_display_name),
            ("description", validate_no_format_characters),
        ):
            try:
                validate(getattr(self, field))
            except ValidationError as error:
                errors.setdefault(field, []).extend(error.error_list)
        redirect_uris = parse_redirect_uris(self.redirect_uris)
        if redirect_uris:  # DOT already demands one for the authorization-code grant
            try:
                validate_redirect_uris(redirect_uris)
            except ValidationError as error:
                errors.setdefault("redirect_uris", []).extend(error.error_list)
        if errors:
            raise ValidationError(errors)


class AppScope(models.Model):
    """A scope the app asks sellers for on the consent page (chosen on its Manage API page)."""

    app = models.ForeignKey(PartnerApp, on_delete=models.CASCADE, related_name="requested_scopes")
    scope = models.ForeignKey(Scope, on_delete=models.PROTECT, related_name="+")
    is_required = models.BooleanField(
        default=True, help_text="Sellers cannot untick a required scope on the consent page."
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["app", "scope"], name="appscope_unique_app_scope"),
        ]

    def __str__(self) -> str:
        return f"{self.app} asks for {self.scope.key}"


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
    ANSWER_FIELDS = ("data_usage", "justification", "endpoints_used", "data_protection", "demo_url")

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
        permissions = [("review_accessrequest", "Can review Custom-scope applications")]
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

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    def is_live_approval(self, *, now=None) -> bool:
        """True while this request grants its scope: approved and not past its expiry."""
        now = now or timezone.now()
        return self.status == self.Status.APPROVED and (
            self.approval_expires_at is None or self.approval_expires_at > now
        )


class AppendOnlyModel(append_only.models.AppendOnlyModel):
    """A history table of this app: a refused change is a PermissionRefusedError."""

    refusal_error = PermissionRefusedError

    class Meta:
        abstract = True


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


class PartnerAuditEvent(AppendOnlyModel):
    """Append-only audit trail of a partner organisation and its apps: every change made by the
    services in `services/apps.py`, `services/partners.py` and `services/app_status.py`, written
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
        APP_SUSPENDED = "app_suspended", "App suspended by the platform"
        APP_UNSUSPENDED = "app_unsuspended", "App reinstated by the platform"

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


def generate_shop_cipher() -> str:
    """The public, opaque shop identifier apps pass as `shop_cipher`."""
    return "ROW_" + secrets.token_urlsafe(24)


class Shop(models.Model):
    """A seller's shop, provisioned by the platform."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="shops"
    )
    name = models.CharField(max_length=120)
    region = models.CharField(max_length=2, help_text="ISO 3166-1 alpha-2 market code, e.g. GB.")
    cipher = models.CharField(
        max_length=64, unique=True, default=generate_shop_cipher, editable=False
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.region})"


class ShopAuthorization(models.Model):
    """A seller's consent: this app may use these scopes on this shop until `expires_at`.

    DOT's tokens carry the granted scopes, but this row is the truth the gate checks.
    """

    app = models.ForeignKey(
        PartnerApp, on_delete=models.CASCADE, related_name="shop_authorizations"
    )
    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="authorizations")
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    scopes = models.ManyToManyField(Scope, related_name="+")
    granted_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-granted_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["app", "shop"],
                condition=Q(revoked_at__isnull=True),
                name="shopauthorization_one_active_per_app_shop",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.shop} → {self.app}"

    def is_active(self, *, now=None) -> bool:
        now = now or timezone.now()
        return self.revoked_at is None and self.expires_at > now


class AuthorizationEvent(AppendOnlyModel):
    """Append-only history of a seller's consents and revocations, written by the services in
    `services/authorizations.py` in the same transaction as the change. `seller` is the shop's
    owner even when the platform made the change (PLATFORM_REVOKE)."""

    class Action(models.TextChoices):
        GRANT = "grant", "Authorized"
        REVOKE_SHOP = "revoke_shop", "Shop disconnected"
        REVOKE_SCOPE = "revoke_scope", "Scope withdrawn"
        REVOKE_APP = "revoke_app", "App disconnected"
        PLATFORM_REVOKE = "platform_revoke", "Access removed by the platform"

    seller = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    app = models.ForeignKey(
        PartnerApp, on_delete=models.PROTECT, related_name="authorization_events"
    )
    shop = models.ForeignKey(
        Shop, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    action = models.CharField(max_length=20, choices=Action.choices)
    scope_keys = models.JSONField(default=list, blank=True)
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_action_display()}: {self.app} by {self.seller}"


class RedeemedAuthorizationCode(models.Model):
    """The token family an authorization code produced, kept after DOT deletes the code's Grant,
    so that a replayed code revokes what it issued (RFC 6749 §4.1.2, ADR 0007)."""

    code_checksum = models.CharField(max_length=64, unique=True, help_text="SHA-256 of the code.")
    app = models.ForeignKey(PartnerApp, on_delete=models.CASCADE, related_name="+")
    token_family = models.UUIDField()
    redeemed_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Code redeemed by {self.app} at {self.redeemed_at:%Y-%m-%d %H:%M}"


class ClientAuthFailure(models.Model):
    """Failed client authentications of one app from one address within one hour, so the app's
    owner can see who is guessing its secret. A counter, not a log: the services bump `count`
    with F() and prune old hours; the secret that was tried is never stored."""

    app = models.ForeignKey(
        PartnerApp, on_delete=models.CASCADE, related_name="client_auth_failures"
    )
    address = models.GenericIPAddressField()
    hour = models.DateTimeField(help_text="Start of the hour the failures fall in.")
    count = models.PositiveIntegerField(default=0)
    last_seen_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["app", "address", "hour"], name="clientauthfailure_one_row_per_hour"
            ),
        ]
        indexes = [models.Index(fields=["hour"], name="clientauthfailure_hour")]

    def __str__(self) -> str:
        return f"{self.app} from {self.address}: {self.count}"
