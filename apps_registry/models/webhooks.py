"""Events pushed to partner apps: each app's webhook endpoint, the outbox of deliveries (one row per
event for one app) and every attempt to deliver one (ADR 0020).

A delivery row is written in the same transaction as the change it reports, so a rolled-back change
sends nothing and a committed one is delivered even if the process dies before the worker hears of
it: the worker's periodic sweep picks up whatever is due.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from apps_registry.models.apps import PartnerApp


class WebhookTopic(models.TextChoices):
    """What a partner can subscribe to; the value is the event's `type`."""

    AUTHORIZATION_REVOKED = (
        "authorization.revoked",
        "A seller disconnected the app, a shop or an optional scope",
    )
    AUTHORIZATION_EXPIRING = (
        "authorization.expiring",
        "A seller's authorization ends within 30 days (then daily until renewed or ended)",
    )
    AUTHORIZATION_EXPIRED = "authorization.expired", "A seller's authorization ended"
    ACCESS_REQUEST_DECIDED = (
        "access_request.decided",
        "A Custom-scope application was approved, rejected, sent back for changes, revoked or "
        "expired",
    )
    APP_SUSPENDED = "app.suspended", "The platform suspended the app"
    SCOPE_CHANGED = (
        "scope.changed",
        "A scope the app uses was changed or deactivated in the catalog",
    )


# The type of the event a partner sends themselves from the console; delivered whatever the topics.
TEST_EVENT_TYPE = "webhook.test"


class WebhookEndpoint(models.Model):
    """Where an app receives its events, which topics, and the secret deliveries are signed with.

    The secret is a Standard Webhooks secret (`whsec_` + base64), stored encrypted
    (apps_registry/webhooks/secrets.py): the console must read it to sign.
    """

    app = models.OneToOneField(
        PartnerApp, on_delete=models.CASCADE, related_name="webhook_endpoint"
    )
    url = models.URLField(max_length=2048)
    topics = models.JSONField(default=list, help_text="WebhookTopic values the app receives.")
    secret_ciphertext = models.TextField()
    # The secret's last characters, so a partner can tell which one their receiver holds.
    secret_hint = models.CharField(max_length=8)
    secret_created_at = models.DateTimeField()
    # After a rotation the previous secret signs too, until this moment (a second signature).
    previous_secret_ciphertext = models.TextField(blank=True)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True)
    # Set when a delivery failed after its last retry; cleared by the next successful delivery.
    # The console warns the partner while it is set.
    failing_since = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"Webhook of {self.app_id} to {self.url}"


class WebhookDelivery(models.Model):
    """One event for one app, and the state of getting it there (the outbox row).

    `payload` is the body's object exactly as the receiver gets it: {"id", "type", "created_at",
    "app_id", "data"}. It never carries a token or a secret.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"

    # The Standard Webhooks message id (`Webhook-Id`), the same on every attempt and replay, so
    # receivers can de-duplicate.
    event_id = models.CharField(max_length=40, unique=True)
    app = models.ForeignKey(PartnerApp, on_delete=models.CASCADE, related_name="webhook_deliveries")
    event_type = models.CharField(max_length=64)
    payload = models.JSONField()
    created_at = models.DateTimeField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempt_count = models.PositiveSmallIntegerField(default=0)
    # attempt_count when the current round of retries began: 0, or the count at the last replay.
    # The backoff counts from here, so a replayed delivery gets the whole schedule again.
    round_started_at_attempt = models.PositiveSmallIntegerField(default=0)
    # When the next attempt is due; None once delivered or failed.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # A worker holds the delivery until then while it posts; another may take it after (a worker
    # that died mid-attempt loses nothing).
    locked_until = models.DateTimeField(null=True, blank=True)
    last_response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "webhook deliveries"
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="webhook_delivery_due",
                condition=Q(status="pending"),
            ),
            models.Index(fields=["app", "-created_at", "-id"], name="webhook_delivery_by_app"),
            # The sweep: each app's earliest due delivery, and the apps whose receiver is busy.
            models.Index(
                fields=["app", "next_attempt_at", "id"],
                name="webhook_delivery_due_by_app",
                condition=Q(status="pending"),
            ),
            models.Index(
                fields=["locked_until"],
                name="webhook_delivery_leased",
                condition=Q(locked_until__isnull=False),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="pending", next_attempt_at__isnull=False, finished_at=None)
                | (~Q(status="pending") & Q(next_attempt_at=None, finished_at__isnull=False)),
                name="webhook_delivery_pending_has_next_attempt",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id}"


class WebhookAttempt(models.Model):
    """One POST of a delivery and what came back: the delivery log partners read."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempts")
    number = models.PositiveSmallIntegerField()
    url = models.URLField(max_length=2048)
    started_at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField()
    # The receiver's HTTP status; None when none came (timeout, refused, forbidden address…).
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    # Why the attempt failed, in words a partner can act on; "" when it succeeded.
    error = models.CharField(max_length=300, blank=True)
    # The first characters of the receiver's answer, to debug a refusal.
    response_excerpt = models.CharField(max_length=500, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["delivery", "number"], name="webhook_attempt_number_unique"
            )
        ]
        ordering = ["delivery", "number"]

    def __str__(self) -> str:
        return f"Attempt {self.number} of {self.delivery_id}"
