"""Partner organisations, the people in them and the invitations that bring people in."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class Partner(models.Model):
    """An organisation (ISV or in-house team) that builds apps on the platform."""

    name = models.CharField(max_length=120)
    is_verified = models.BooleanField(
        default=False, help_text="Set by staff once the organisation's identity has been checked."
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["name", "id"], name="partner_by_name")]

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


# Neither accepted nor revoked. An expired invitation stays pending (and holds its e-mail's slot)
# until a new invitation to the same address closes it.
_PENDING = Q(accepted_at__isnull=True, revoked_at__isnull=True)


class InvitationQuerySet(models.QuerySet):
    def pending(self) -> InvitationQuerySet:
        return self.filter(_PENDING)


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

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "email"],
                condition=_PENDING,
                name="invitation_one_pending_per_email",
            ),
        ]

    def __str__(self) -> str:
        return f"Invitation of {self.email} to {self.partner}"

    @property
    def is_pending(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None
