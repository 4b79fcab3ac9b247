"""A partner's apps (DOT's OAuth client, swapped in) and the scopes each asks sellers for."""

from __future__ import annotations

import hashlib
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from oauth2_provider.models import AbstractApplication

from apps_registry.models.partners import Partner
from apps_registry.validators import (
    parse_redirect_uris,
    validate_display_name,
    validate_no_format_characters,
    validate_redirect_uris,
)
from scopes.models import Scope


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
    publisher_url = models.URLField(
        blank=True, help_text="The publisher's website; sellers are shown its domain."
    )
    # A 256x256 PNG we re-encoded (apps_registry/uploads.py), named by its SHA-256 so its URL
    # changes with its content and can be cached for good (ADR 0017).
    icon = models.FileField(blank=True, max_length=200)
    icon_sha256 = models.CharField(max_length=64, blank=True)
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
        indexes = [
            models.Index(fields=["name", "id"], name="partnerapp_by_name"),
            models.Index(fields=["partner", "created", "id"], name="partnerapp_by_partner"),
        ]
        constraints = [
            # The icon's file and the hash its URL names are set and cleared together, so a
            # page never links to an icon that has no file, nor keeps a file it cannot name.
            models.CheckConstraint(
                condition=models.Q(icon="", icon_sha256="")
                | (~models.Q(icon="") & ~models.Q(icon_sha256="")),
                name="partnerapp_icon_and_hash_together",
            ),
        ]

    @property
    def publisher_domain(self) -> str:
        """The host of the publisher's website, e.g. "example.com", or ""."""
        return urlsplit(self.publisher_url).hostname or ""

    @property
    def initials(self) -> str:
        """Up to two letters for the placeholder shown while the app has no icon."""
        words = [word for word in self.name.split() if word[:1].isalnum()]
        return "".join(word[0] for word in words[:2]).upper() or "?"

    @property
    def placeholder_colour(self) -> int:
        """Which of the placeholder colours (0-7) this app gets: stable for its client ID."""
        return int(hashlib.sha256(self.client_id.encode()).hexdigest()[:2], 16) % 8

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
