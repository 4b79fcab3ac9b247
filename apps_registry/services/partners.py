"""Partner organisations, their members and invitations.

Every change writes a PartnerAuditEvent (events/audit.py) in its transaction.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from apps_registry.error_codes import PartnerErrorCode
from apps_registry.events import audit as audit_events
from apps_registry.events.audit import record_partner_event
from apps_registry.hashers import invitation_token_hash
from apps_registry.mail import branded_message, send_later
from apps_registry.models import Invitation, Membership, Partner
from apps_registry.services.secret_access import Assurance, SecretAccess, secret_access_require
from apps_registry.validators import validate_display_name
from core.errors import (
    InvalidInputError,
    InvalidTransitionError,
    NotFoundError,
    PermissionRefusedError,
)

INVITATION_LIFETIME = timedelta(days=7)
PARTNER_NAME_MAX_LENGTH = Partner._meta.get_field("name").max_length


def membership_require(
    *, partner_id: int, user: AbstractBaseUser, owner: bool = False
) -> Membership:
    """The user's membership of the partner, or PermissionRefusedError (owners only if `owner`)."""
    membership = Membership.objects.filter(partner_id=partner_id, user_id=user.pk).first()
    if membership is None:
        raise PermissionRefusedError(
            "You are not a member of this partner organisation.", code=PartnerErrorCode.NOT_A_MEMBER
        )
    if owner and membership.role != Membership.Role.OWNER:
        raise PermissionRefusedError(
            "Only an owner of the organisation can do this.", code=PartnerErrorCode.OWNER_REQUIRED
        )
    return membership


@transaction.atomic
def partner_create(*, name: str, acting_user: AbstractBaseUser) -> Partner:
    """Onboarding: create an organisation with the acting user as its owner.

    A user belongs to one organisation; a second onboarding is refused.
    """
    name = " ".join(name.split())
    if not name:
        raise InvalidInputError(
            "Give your organisation a name.", code=PartnerErrorCode.NAME_REQUIRED
        )
    if len(name) > PARTNER_NAME_MAX_LENGTH:
        raise InvalidInputError(
            f"The name can be at most {PARTNER_NAME_MAX_LENGTH} characters.",
            code=PartnerErrorCode.NAME_TOO_LONG,
        )
    try:
        validate_display_name(name)  # sellers see it on the consent page ("Built by …")
    except ValidationError as error:
        raise InvalidInputError(
            " ".join(error.messages), code=PartnerErrorCode.INVALID_NAME
        ) from None
    # Locking the user serialises concurrent onboardings (a double-clicked form) of one person.
    get_user_model().objects.select_for_update().get(pk=acting_user.pk)
    if Membership.objects.filter(user_id=acting_user.pk).exists():
        raise InvalidTransitionError(
            "You already belong to a partner organisation.",
            code=PartnerErrorCode.ALREADY_IN_ORGANISATION,
        )
    partner = Partner.objects.create(name=name)
    Membership.objects.create(partner=partner, user=acting_user, role=Membership.Role.OWNER)
    record_partner_event(
        details=audit_events.PartnerCreated(name=partner.name, owner_email=acting_user.email),
        actor=acting_user,
        partner=partner,
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
        raise InvalidInputError(
            "Give the owner's email address.", code=PartnerErrorCode.EMAIL_REQUIRED
        )
    user_model = get_user_model()
    user = user_model.objects.filter(email__iexact=email).first()
    if user is None:
        if EmailAddress.objects.filter(email__iexact=email).exists():
            raise InvalidInputError(
                f"{email} is already in use by another account.", code=PartnerErrorCode.EMAIL_IN_USE
            )
        if not password:
            raise InvalidInputError(
                "Give a password for the new owner account.",
                code=PartnerErrorCode.PASSWORD_REQUIRED,
            )
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
            f"{email} already belongs to the organisation “{membership.partner.name}”.",
            code=PartnerErrorCode.ALREADY_IN_ORGANISATION,
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
    assurance: Assurance = Assurance.PASSWORD,
) -> tuple[Invitation, str]:
    """An owner invites someone by e-mail; returns the invitation and its one-time raw token.

    Any member may rotate a client secret, so inviting one needs what seeing a secret needs: a
    recent second factor (`assurance`, ADR 0018). Only the token's keyed hash is stored; the link
    goes out by e-mail after commit.
    """
    Partner.objects.select_for_update().get(pk=partner.pk)
    membership = membership_require(partner_id=partner.pk, user=acting_user, owner=True)
    secret_access_require(membership=membership, assurance=assurance, access=SecretAccess.GRANT)
    email = get_user_model().objects.normalize_email(email.strip())
    if role not in Membership.Role.values:
        raise InvalidInputError(
            "Choose a role: owner or developer.", code=PartnerErrorCode.INVALID_ROLE
        )
    if Membership.objects.filter(partner=partner, user__email__iexact=email).exists():
        raise InvalidInputError(
            f"{email} is already a member of {partner.name}.",
            code=PartnerErrorCode.ALREADY_A_MEMBER,
        )
    now = timezone.now()
    pending = Invitation.objects.pending().filter(partner=partner, email__iexact=email)
    if pending.filter(expires_at__gt=now).exists():
        raise InvalidInputError(
            f"{email} already has a pending invitation; revoke it first to send a new one.",
            code=PartnerErrorCode.INVITATION_ALREADY_PENDING,
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
        details=audit_events.MemberInvited.of(
            invitation,
            expires_at=invitation.expires_at.isoformat(),
            expired_invitations_closed=expired_closed,
        ),
        actor=acting_user,
        partner=partner,
    )
    return invitation, raw_token


@transaction.atomic
def invitation_revoke(*, invitation_id: int, acting_user: AbstractBaseUser) -> Invitation:
    """An owner withdraws a pending invitation; its link stops working."""
    invitation = Invitation.objects.select_for_update().get(pk=invitation_id)
    membership_require(partner_id=invitation.partner_id, user=acting_user, owner=True)
    if not invitation.is_pending:
        raise InvalidTransitionError(
            "This invitation is no longer pending.", code=PartnerErrorCode.INVITATION_NOT_PENDING
        )
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])
    record_partner_event(
        details=audit_events.InvitationRevoked.of(invitation),
        actor=acting_user,
        partner=invitation.partner,
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
            "(and verify it) to accept.",
            code=PartnerErrorCode.INVITATION_FOR_ANOTHER_EMAIL,
        )
    get_user_model().objects.select_for_update().get(pk=acting_user.pk)
    if Membership.objects.filter(user_id=acting_user.pk).exists():
        raise InvalidTransitionError(
            "You already belong to a partner organisation.",
            code=PartnerErrorCode.ALREADY_IN_ORGANISATION,
        )
    now = timezone.now()
    invitation.accepted_at = now
    invitation.accepted_by = acting_user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    membership = Membership.objects.create(
        partner=invitation.partner, user=acting_user, role=invitation.role, created_at=now
    )
    record_partner_event(
        details=audit_events.MemberJoined.of(invitation, user_id=acting_user.pk),
        actor=acting_user,
        partner=invitation.partner,
    )
    return membership


def invitation_check_usable(invitation: Invitation | None) -> Invitation:
    """Raise a DomainError saying why the invitation cannot be accepted, if it cannot."""
    if invitation is None:
        raise NotFoundError(
            "This invitation link is not valid. Ask the owner for a new one.",
            code=PartnerErrorCode.INVITATION_INVALID,
        )
    if invitation.revoked_at is not None:
        raise InvalidTransitionError(
            "This invitation was withdrawn. Ask the owner for a new one.",
            code=PartnerErrorCode.INVITATION_WITHDRAWN,
        )
    if invitation.accepted_at is not None:
        raise InvalidTransitionError(
            "This invitation has already been used.", code=PartnerErrorCode.INVITATION_USED
        )
    if invitation.expires_at <= timezone.now():
        raise InvalidTransitionError(
            "This invitation has expired. Ask the owner for a new one.",
            code=PartnerErrorCode.INVITATION_EXPIRED,
        )
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
            "The organisation needs at least one owner; invite a colleague as an owner first.",
            code=PartnerErrorCode.LAST_OWNER,
        )
    membership.delete()
    ended = (
        audit_events.MemberLeft
        if membership.user_id == acting_user.pk
        else audit_events.MemberRemoved
    )
    record_partner_event(
        details=ended(
            user_id=membership.user_id, email=membership.user.email, role=membership.role
        ),
        actor=acting_user,
        partner=partner,
    )


def _has_verified_email(user: AbstractBaseUser, email: str) -> bool:
    # allauth is the authority on which addresses a user has proven to control.
    return EmailAddress.objects.filter(user=user, email__iexact=email, verified=True).exists()


def _send_invitation_email(*, invitation: Invitation, accept_url: str) -> None:
    context = {"invitation": invitation, "accept_url": accept_url}
    send_later(
        branded_message(
            to=invitation.email,
            subject=render_to_string("console/email/invitation_subject.txt", context).strip(),
            template="console/email/invitation_message",
            context=context,
            greeting_name=invitation.email,
        )
    )
