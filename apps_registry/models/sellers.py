"""Sellers' shops, their consents to apps (and the history of those), and redeemed codes."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from apps_registry.models.apps import PartnerApp
from apps_registry.models.base import AppendOnlyModel
from scopes.models import Scope


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
        indexes = [models.Index(fields=["name", "id"], name="shop_by_name")]

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
    # What the scheduled jobs told the app (apps_registry/services/authorization_jobs.py), so a
    # second run the same day sends nothing twice: the day of the last "expiring" warning, and
    # when the "expired" notice went out (older than `expires_at` after a renewal, so the renewed
    # consent is told of its own end).
    expiry_warned_on = models.DateField(null=True, blank=True)
    expired_notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-granted_at"]
        indexes = [
            models.Index(fields=["granted_at", "id"], name="shopauthorization_by_granted"),
            # An app's installs page, newest first.
            models.Index(
                fields=["app", "granted_at", "id"],
                name="shopauthorization_live_by_app",
                condition=Q(revoked_at__isnull=True),
            ),
            # The hourly expiry warnings and expiries walk live authorizations by their end.
            models.Index(
                fields=["expires_at", "id"],
                name="shopauthorization_live_by_end",
                condition=Q(revoked_at__isnull=True),
            ),
        ]
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
        EXPIRE = "expire", "Authorization ended"

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
        indexes = [
            models.Index(fields=["app", "created_at", "id"], name="authorizationevent_by_app")
        ]

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
