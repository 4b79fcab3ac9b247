"""The scope catalog: what partner apps can be given access to, and the endpoints it unlocks."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone

import append_only.models
from scopes.errors import CatalogHistoryChangeRefusedError


class Scope(models.Model):
    """An access scope: a named bundle of API endpoints that a seller can grant to an app."""

    class Kind(models.TextChoices):
        PUBLIC = "public", "Public"
        CUSTOM = "custom", "Custom"

    class TokenType(models.TextChoices):
        SELLER = "seller", "Seller"
        CREATOR = "creator", "Creator"
        PARTNER = "partner", "Partner"

    key = models.CharField(max_length=100, unique=True)
    name = models.CharField(max_length=120)
    group = models.CharField(max_length=60, db_index=True)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.PUBLIC)
    token_type = models.CharField(
        max_length=10, choices=TokenType.choices, default=TokenType.SELLER
    )
    description = models.TextField(help_text="Partner-facing: what the app can do with this scope.")
    consent_text = models.TextField(
        help_text="Seller-facing, shown on the consent page: what the app will be able to do."
    )
    requires_dual_approval = models.BooleanField(
        default=False, help_text="Applications for this scope need two different reviewers."
    )
    is_active = models.BooleanField(
        default=True,
        help_text="Inactive scopes are hidden from the catalog and cannot be requested.",
    )
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "key"]
        permissions = [("manage_catalog", "Can edit the scope catalog (catalog managers)")]

    def __str__(self) -> str:
        return f"{self.name} ({self.key})"

    @property
    def is_custom(self) -> bool:
        return self.kind == self.Kind.CUSTOM

    def clean(self) -> None:
        # Public scopes are granted without review, so a second reviewer would mean nothing; the
        # catalog file refuses the pair too. Checked by every edit and every confirmation.
        if self.requires_dual_approval and not self.is_custom:
            raise ValidationError(
                {
                    "requires_dual_approval": "Dual approval applies to Custom scopes only: "
                    "turn it off before the scope becomes Public."
                }
            )


class Endpoint(models.Model):
    """One API operation; any one of its scopes unlocks it."""

    class Method(models.TextChoices):
        GET = "GET"
        POST = "POST"
        PUT = "PUT"
        PATCH = "PATCH"
        DELETE = "DELETE"

    method = models.CharField(max_length=7, choices=Method.choices)
    path = models.CharField(
        max_length=300, help_text="Template, e.g. /product/202309/products/{product_id}"
    )
    title = models.CharField(max_length=200)
    module = models.CharField(max_length=60, blank=True)
    needs_shop = models.BooleanField(
        default=True, help_text="Calls must name a shop (shop_cipher) the seller authorized."
    )
    scopes = models.ManyToManyField(Scope, related_name="endpoints")

    class Meta:
        ordering = ["path", "method"]
        constraints = [
            models.UniqueConstraint(fields=["method", "path"], name="endpoint_unique_method_path"),
        ]

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


class ScopeChange(models.Model):
    """A change to one field of a scope that weakens protection (Custom → Public, dual approval
    off, new group, name or consent text on the consent page): it waits until a second, different
    catalog manager confirms it. The catalog file proposes such changes too (no proposer)."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        CONFIRMED = "confirmed", "Confirmed"
        CANCELLED = "cancelled", "Cancelled"

    scope = models.ForeignKey(Scope, on_delete=models.PROTECT, related_name="changes")
    field = models.CharField(max_length=40)
    old_value = models.JSONField(help_text="The scope's value when the change was proposed.")
    new_value = models.JSONField()
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        help_text="Empty: the catalog file proposed it; any one catalog manager may confirm it.",
    )
    proposed_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        help_text="Empty on a decided change: the catalog file replaced its own proposal.",
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-proposed_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["scope", "field"],
                condition=Q(status="pending"),
                name="scopechange_one_pending_per_field",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.scope.key}: {self.field} ({self.get_status_display()})"


class CatalogEvent(append_only.models.AppendOnlyModel):
    """Append-only history of the catalog: one row per field a change touched, written by the
    services in the same transaction. No actor means the catalog file (`load_scope_catalog`)."""

    append_only_message = "The catalog history is append-only: events cannot be changed or deleted."
    refusal_error = CatalogHistoryChangeRefusedError

    class Action(models.TextChoices):
        APPLIED = "applied", "Applied"
        PROPOSED = "proposed", "Proposed (awaits a second catalog manager)"
        CONFIRMED = "confirmed", "Confirmed and applied"
        CANCELLED = "cancelled", "Cancelled"
        LOADED = "loaded", "Loaded from the catalog file"

    scope = models.ForeignKey(Scope, on_delete=models.PROTECT, related_name="events")
    change = models.ForeignKey(
        ScopeChange, on_delete=models.PROTECT, related_name="events", null=True, blank=True
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    action = models.CharField(max_length=10, choices=Action.choices)
    field = models.CharField(max_length=40)
    old_value = models.JSONField(null=True, blank=True, help_text="Empty for a new scope.")
    new_value = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_action_display()}: {self.scope.key} {self.field}"
