"""Partner organisations, their members and invitations.

Every change writes a PartnerAuditEvent (services/audit.py) in its transaction.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from apps_registry.errors import DomainError, InvalidTransitionError, PermissionRefusedError
from apps_registry.hashers import invitation_token_hash
from apps_registry.models import Invitation, Membership, Partner, PartnerAuditEvent
from apps_registry.services.audit import record_partner_event
from apps_registry.validators import validate_display_name

Action = PartnerAuditEvent.Action

INVITATION_LIFETIME = timedelta(days=7)
PARTNER_NAME_MAX_LENGTH = Partner._meta.get_field("name").max_length


def membership_require(
    *, partner_id: int, user: AbstractBaseUser, owner: bool = False
) -> Membership:
    """The user's membership of the partner, or PermissionRefusedError (owners only if `owner`)."""
    membership = Membership.objects.filter(partner_id=partner_id, user_id=user.pk).first()
    if membership is None:
        raise PermissionRefusedError("You are not a member of this partner organisation.")
    if owner and membership.role != Membership.Role.OWNER:
        raise PermissionRefusedError("Only an owner of the organisation can do this.")
    return membership


@transaction.atomic
def partner_create(*, name: str, acting_user: AbstractBaseUser) -> Partner:
    """Onboarding: create an organisation with the acting user as its owner.

    A user belongs to one organisation; a second onboarding is refused.
    """
    name = " ".join(name.split())
    if not name:
        raise DomainError("Give your organisation a name.")
    if len(name) > PARTNER_NAME_MAX_LENGTH:
        raise DomainError(f"The name can be at most {PARTNER_NAME_MAX_LENGTH} characters.")
    try:
        validate_display_name(name)  # sellers see it on the consent page ("Built by …")
    except ValidationError as error:
        raise DomainError(" ".join(error.messages)) from None
    # Locking the user serialises concurrent onboardings (a double-clicked form) of one person.
    get_user_model().objects.select_for_update().get(pk=acting_user.pk)
    if Membership.objects.filter(user_id=acting_user.pk).exists():
        raise InvalidTransitionError("You already belong to a partner organisation.")
    partner = Partner.objects.create(name=name)
    Membership.objects.create(partner=partner, user=acting_user, role=Membership.Role.OWNER)
    record_partner_event(
        action=Action.PARTNER_CREATED,
        actor=acting_user,
        partner=partner,
        details={"name": partner.name, "owner_email": acting_user.email},
    )
    return partner


@transaction.atomic
def partner_create_with_owner(
    *, name: str, owner_email: str, password: str
) -> tuple[Partner, AbstractBaseUser, bool]:
    """Operator onboarding: an owner account with a verified e-mail, and their organisation.

    Idempotent: an owner who already has an organisation of that name gets it back
    (created=False, password unchanged); one who belongs to another organisation is refused.
    """
    email = get_user_model().objects.normalize_email(owner_email.strip()).lower()
    if not email or "@" not in email:
        raise DomainError("Give the owner's e-mail address.")
    user_model = get_user_model()
    user = user_model.objects.filter(email__iexact=email).first()
    if user is None:
        if EmailAddress.objects.filter(email__iexact=email).exists():
            raise DomainError(f"{email} is already in use by another account.")
        if not password:
            raise DomainError("Give a password for the new owner account.")
        user = user_model.objects.create_user(username=email, email=email, password=password)
        EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    else:
        # The operator vouches for the address, as the verification e-mail would have.
        address = EmailAddress.objects.filter(user=user, email__iexact=email).first()
        if address is None:
            has_primary = EmailAddress.objects.filter(user=user, primary=True).exists()
            EmailAddress.objects.create(
                user=user, email=email, verified=True, primary=not has_primary
            )
        elif not address.verified:
            address.verified = True
            address.save(update_fields=["verified"])
    membership = Membership.objects.select_related("partner").filter(user=user).first()
    if membership is not None:
        if membership.partner.name == " ".join(name.split()) and (
            membership.role == Membership.Role.OWNER
        ):
            return membership.partner, user, False
        raise InvalidTransitionError(
            f"{email} already belongs to the organisation “{membership.partner.name}”."
        )
    return partner_create(name=name, acting_user=user), user, True


@transaction.atomic
def invitation_create(
    *,
    partner: Partner,
    email: str,
    role: str,
    acting_user: AbstractBaseUser,
    base_url: str | None = None,
) -> tuple[Invitation, str]:
    """An owner invites someone by e-mail; returns the invitation and its one-time raw token.

    Only the token's keyed hash is stored; the link goes out by e-mail after commit.
    """
    Partner.objects.select_for_update().get(pk=partner.pk)
    membership_require(partner_id=partner.pk, user=acting_user, owner=True)
    email = get_user_model().objects.normalize_email(email.strip())
    if role not in Membership.Role.values:
        raise DomainError("Choose a role: owner or developer.")
    if Membership.objects.filter(partner=partner, user__email__iexact=email).exists():
        raise DomainError(f"{email} is already a member of {partner.name}.")
    now = timezone.now()
    pending = Invitation.objects.pending().filter(partner=partner, email__iexact=email)
    if pending.filter(expires_at__gt=now).exists():
        raise DomainError(
            f"{email} already has a pending invitation; revoke it first to send a new one."
        )
    # An expired invitation is dead already; closing it frees the one-pending-per-e-mail slot.
    expired_closed = pending.update(revoked_at=now)
    raw_token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        partner=partner,
        email=email,
        role=role,
        token_hash=invitation_token_hash(raw_token),
        invited_by=acting_user,
        created_at=now,
        expires_at=now + INVITATION_LIFETIME,
    )
    accept_url = (base_url or settings.OAUTH_ISSUER).rstrip("/") + reverse(
        "partner:invitation-accept", args=[raw_token]
    )
    transaction.on_commit(
        lambda: _send_invitation_email(invitation=invitation, accept_url=accept_url)
    )
    record_partner_event(
        action=Action.MEMBER_INVITED,
        actor=acting_user,
        partner=partner,
        details={
            **_invitation_details(invitation),
            "expires_at": invitation.expires_at.isoformat(),
            "expired_invitations_closed": expired_closed,
        },
    )
    return invitation, raw_token


@transaction.atomic
def invitation_revoke(*, invitation_id: int, acting_user: AbstractBaseUser) -> Invitation:
    """An owner withdraws a pending invitation; its link stops working."""
    invitation = Invitation.objects.select_for_update().get(pk=invitation_id)
    membership_require(partner_id=invitation.partner_id, user=acting_user, owner=True)
    if not invitation.is_pending:
        raise InvalidTransitionError("This invitation is no longer pending.")
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])
    record_partner_event(
        action=Action.INVITATION_REVOKED,
        actor=acting_user,
        partner=invitation.partner,
        details=_invitation_details(invitation),
    )
    return invitation


@transaction.atomic
def invitation_accept(*, raw_token: str, acting_user: AbstractBaseUser) -> Membership:
    """The invitee joins the organisation with the invited role.

    Refused when the invitation is unknown, revoked, used or expired, when the acting user's
    verified e-mail is not the invited one, or when they already belong to an organisation.
    """
    invitation = (
        Invitation.objects.select_for_update()
        .select_related("partner")
        .filter(token_hash=invitation_token_hash(raw_token))
        .first()
    )
    invitation_check_usable(invitation)
    if not _has_verified_email(acting_user, invitation.email):
        raise PermissionRefusedError(
            f"This invitation is for {invitation.email}. Sign in with that address "
            "(and verify it) to accept."
        )
    get_user_model().objects.select_for_update().get(pk=acting_user.pk)
    if Membership.objects.filter(user_id=acting_user.pk).exists():
        raise InvalidTransitionError("You already belong to a partner organisation.")
    now = timezone.now()
    invitation.accepted_at = now
    invitation.accepted_by = acting_user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    membership = Membership.objects.create(
        partner=invitation.partner, user=acting_user, role=invitation.role, created_at=now
    )
    record_partner_event(
        action=Action.MEMBER_JOINED,
        actor=acting_user,
        partner=invitation.partner,
        details={**_invitation_details(invitation), "user_id": acting_user.pk},
    )
    return membership


def invitation_check_usable(invitation: Invitation | None) -> Invitation:
    """Raise a DomainError saying why the invitation cannot be accepted, if it cannot."""
    if invitation is None:
        raise DomainError("This invitation link is not valid. Ask the owner for a new one.")
    if invitation.revoked_at is not None:
        raise InvalidTransitionError("This invitation was withdrawn. Ask the owner for a new one.")
    if invitation.accepted_at is not None:
        raise InvalidTransitionError("This invitation has already been used.")
    if invitation.expires_at <= timezone.now():
        raise InvalidTransitionError("This invitation has expired. Ask the owner for a new one.")
    return invitation


@transaction.atomic
def membership_remove(*, membership_id: int, acting_user: AbstractBaseUser) -> None:
    """An owner removes a member (or a member leaves); the last owner cannot go."""
    membership = Membership.objects.select_for_update().get(pk=membership_id)
    # Lock the organisation so two owners cannot remove each other at the same time.
    partner = Partner.objects.select_for_update().get(pk=membership.partner_id)
    if membership.user_id != acting_user.pk:
        membership_require(partner_id=membership.partner_id, user=acting_user, owner=True)
    if (
        membership.role == Membership.Role.OWNER
        and not Membership.objects.filter(
            partner_id=membership.partner_id, role=Membership.Role.OWNER
        )
        .exclude(pk=membership.pk)
        .exists()
    ):
        raise InvalidTransitionError(
            "The organisation needs at least one owner; invite a colleague as an owner first."
        )
    membership.delete()
    record_partner_event(
        action=Action.MEMBER_LEFT
        if membership.user_id == acting_user.pk
        else Action.MEMBER_REMOVED,
        actor=acting_user,
        partner=partner,
        details={
            "user_id": membership.user_id,
            "email": membership.user.email,
            "role": membership.role,
        },
    )


def _invitation_details(invitation: Invitation) -> dict:
    """What an audit row says about an invitation: never its token or the token's hash."""
    return {"invitation_id": invitation.pk, "email": invitation.email, "role": invitation.role}


def _has_verified_email(user: AbstractBaseUser, email: str) -> bool:
    # allauth is the authority on which addresses a user has proven to control.
    return EmailAddress.objects.filter(user=user, email__iexact=email, verified=True).exists()


def _send_invitation_email(*, invitation: Invitation, accept_url: str) -> None:
    context = {"invitation": invitation, "accept_url": accept_url}
    send_mail(
        subject=render_to_string("console/email/invitation_subject.txt", context).strip(),
        message=render_to_string("console/email/invitation_message.txt", context),
        from_email=None,
        recipient_list=[invitation.email],
    )
