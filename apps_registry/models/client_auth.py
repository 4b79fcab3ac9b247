"""Counters of failed client authentications, shown to the app's owner."""

from __future__ import annotations

from django.db import models

from apps_registry.models.apps import PartnerApp


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
