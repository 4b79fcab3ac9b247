"""What the gate observed, aggregated: when each scope was last used on a shop, and how many calls
were denied for each reason. The gate buffers both in memory and writes them in batches
(apps_registry/gate/usage.py), never once per call."""

from __future__ import annotations

from django.db import models

from apps_registry.models.apps import PartnerApp
from apps_registry.models.sellers import Shop
from scopes.models import Scope


class ScopeUsage(models.Model):
    """The last time an app called an endpoint on a shop through one of its scopes."""

    app = models.ForeignKey(PartnerApp, on_delete=models.CASCADE, related_name="scope_usages")
    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="+")
    scope = models.ForeignKey(
        Scope, on_delete=models.CASCADE, related_name="+", to_field="key", db_column="scope_key"
    )
    last_used_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["app", "shop", "scope"], name="scopeusage_one_per_app_shop_scope"
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.app} used {self.scope_id} on {self.shop} at {self.last_used_at:%Y-%m-%d %H:%M}"
        )


class GateDenialCount(models.Model):
    """How many of an app's calls the gate denied for one reason on one day (UTC)."""

    app = models.ForeignKey(PartnerApp, on_delete=models.CASCADE, related_name="gate_denials")
    reason = models.CharField(max_length=40)
    day = models.DateField()
    count = models.PositiveIntegerField(default=0)
    last_denied_at = models.DateTimeField()

    class Meta:
        ordering = ["-day", "reason"]
        constraints = [
            models.UniqueConstraint(
                fields=["app", "reason", "day"], name="gatedenialcount_one_per_app_reason_day"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.app}: {self.count} × {self.reason} on {self.day}"
