"""The scope catalog: what partner apps can be given access to, and the endpoints it unlocks."""

from __future__ import annotations

from django.db import models


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

    def __str__(self) -> str:
        return f"{self.name} ({self.key})"

    @property
    def is_custom(self) -> bool:
        return self.kind == self.Kind.CUSTOM


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
