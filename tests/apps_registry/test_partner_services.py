"""Organisations, members and invitations: every rule, and on refusal nothing changes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.utils import timezone

from apps_registry.hashers import invitation_token_hash
from apps_registry.models import Invitation, Membership, Partner
from apps_registry.services import partners as services
from apps_registry.services.secret_access import Assurance
from core.errors import (
    DomainError,
    InvalidTransitionError,
    NotFoundError,
    PermissionRefusedError,
)
from tests import factories
from tests.concurrency import race

pytestmark = pytest.mark.django_db


def verified_user(email: str | None = None):
    user = factories.UserFactory(**({"email": email} if email else {}))
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


def owner_of(partner):
    return factories.MembershipFactory(partner=partner, role=Membership.Role.OWNER).user


def developer_of(partner):
    return factories.MembershipFactory(partner=partner, role=Membership.Role.DEVELOPER).user


def invite(partner, email="new.dev@example.com", role=Membership.Role.DEVELOPER):
    return services.invitation_create(
        partner=partner,
        email=email,
        role=role,
        acting_user=partner.memberships.get(role=Membership.Role.OWNER).user,
        base_url="https://console.test/",
        assurance=Assurance.RECENT_SECOND_FACTOR,
    )


# --- partner_create -----------------------------------------------------------------------------


def test_partner_create_makes_the_acting_user_its_owner():
    user = factories.UserFactory()

    partner = services.partner_create(name="  Acme   Tools ", acting_user=user)

    assert partner.name == "Acme Tools"
    membership = Membership.objects.get(user=user)
    assert (membership.partner, membership.role) == (partner, Membership.Role.OWNER)


def test_partner_create_refuses_a_user_who_already_belongs_to_one():
    membership = factories.MembershipFactory()

    with pytest.raises(InvalidTransitionError, match="already belong"):
        services.partner_create(name="Second", acting_user=membership.user)

    assert Partner.objects.count() == 1
    assert Membership.objects.filter(user=membership.user).count() == 1


@pytest.mark.parametrize("name", ["", "   ", "x" * 121])
def test_partner_create_refuses_a_blank_or_overlong_name(name):
    user = factories.UserFactory()

    with pytest.raises(DomainError):
        services.partner_create(name=name, acting_user=user)

    assert Partner.objects.count() == 0


# --- invitations --------------------------------------------------------------------------------


def test_owner_invites_by_email_and_only_a_keyed_hash_of_the_token_is_stored(
    django_capture_on_commit_callbacks,
):
    partner = factories.PartnerFactory(name="Acme")
    owner_of(partner)

    with django_capture_on_commit_callbacks(execute=True):
        invitation, raw_token = invite(partner, email="New.Dev@Example.com")

    invitation.refresh_from_db()
    assert invitation.email == "New.Dev@example.com"
    assert invitation.role == Membership.Role.DEVELOPER
    assert raw_token not in invitation.token_hash
    assert invitation.token_hash == invitation_token_hash(raw_token)
    assert invitation.expires_at - invitation.created_at == timedelta(days=7)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["New.Dev@example.com"]
    assert message.subject == "You're invited to join Acme on Partner Console"
    assert f"https://console.test/console/invitations/{raw_token}/" in message.body


def test_developer_cannot_invite_and_nothing_is_sent(django_capture_on_commit_callbacks):
    partner = factories.PartnerFactory()
    developer = developer_of(partner)

    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(PermissionRefusedError, match="Only an owner"),
    ):
        services.invitation_create(
            partner=partner, email="x@example.com", role="developer", acting_user=developer
        )

    assert Invitation.objects.count() == 0
    assert mail.outbox == []


def test_outsider_cannot_invite_into_another_partner():
    partner = factories.PartnerFactory()
    outsider = factories.MembershipFactory().user

    with pytest.raises(PermissionRefusedError):
        services.invitation_create(
            partner=partner, email="x@example.com", role="developer", acting_user=outsider
        )

    assert Invitation.objects.count() == 0


def test_inviting_an_existing_member_is_refused():
    partner = factories.PartnerFactory()
    owner_of(partner)
    member = developer_of(partner)

    with pytest.raises(DomainError, match="already a member"):
        invite(partner, email=member.email.upper())

    assert Invitation.objects.count() == 0


def test_inviting_an_address_with_a_pending_invitation_is_refused():
    partner = factories.PartnerFactory()
    owner_of(partner)
    first, _ = invite(partner)

    with pytest.raises(DomainError, match="pending invitation"):
        invite(partner)

    assert list(Invitation.objects.all()) == [first]


def test_an_expired_invitation_is_closed_and_replaced_by_a_new_one():
    partner = factories.PartnerFactory()
    owner_of(partner)
    old, _ = invite(partner)
    Invitation.objects.filter(pk=old.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    new, _ = invite(partner)

    old.refresh_from_db()
    assert old.revoked_at is not None
    assert new.pk != old.pk


def test_inviting_with_an_unknown_role_is_refused():
    partner = factories.PartnerFactory()
    owner_of(partner)

    with pytest.raises(DomainError, match="Choose a role"):
        invite(partner, role="admin")

    assert Invitation.objects.count() == 0


def test_invitee_with_the_verified_address_joins_with_the_invited_role():
    partner = factories.PartnerFactory()
    owner_of(partner)
    invitation, raw_token = invite(partner, email="joiner@example.com", role="owner")
    joiner = verified_user("joiner@example.com")

    membership = services.invitation_accept(raw_token=raw_token, acting_user=joiner)

    assert (membership.partner, membership.user, membership.role) == (partner, joiner, "owner")
    invitation.refresh_from_db()
    assert invitation.accepted_by == joiner
    assert invitation.accepted_at is not None


def test_accepting_with_another_address_is_refused_and_nothing_changes():
    partner = factories.PartnerFactory()
    owner_of(partner)
    invitation, raw_token = invite(partner, email="joiner@example.com")
    stranger = verified_user("stranger@example.com")

    with pytest.raises(PermissionRefusedError, match=r"joiner@example\.com"):
        services.invitation_accept(raw_token=raw_token, acting_user=stranger)

    invitation.refresh_from_db()
    assert invitation.accepted_at is None
    assert not Membership.objects.filter(user=stranger).exists()


def test_accepting_with_the_address_unverified_is_refused():
    partner = factories.PartnerFactory()
    owner_of(partner)
    _, raw_token = invite(partner, email="joiner@example.com")
    joiner = factories.UserFactory(email="joiner@example.com")
    EmailAddress.objects.create(user=joiner, email=joiner.email, verified=False, primary=True)

    with pytest.raises(PermissionRefusedError):
        services.invitation_accept(raw_token=raw_token, acting_user=joiner)

    assert not Membership.objects.filter(user=joiner).exists()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"revoked_at": timezone.now()}, "withdrawn"),
        ({"accepted_at": timezone.now()}, "already been used"),
        ({"expires_at": timezone.now() - timedelta(minutes=1)}, "expired"),
    ],
)
def test_revoked_used_or_expired_invitations_are_refused(change, message):
    partner = factories.PartnerFactory()
    owner_of(partner)
    invitation, raw_token = invite(partner, email="joiner@example.com")
    Invitation.objects.filter(pk=invitation.pk).update(**change)
    joiner = verified_user("joiner@example.com")

    with pytest.raises(InvalidTransitionError, match=message):
        services.invitation_accept(raw_token=raw_token, acting_user=joiner)

    assert not Membership.objects.filter(user=joiner).exists()


def test_an_unknown_token_is_not_found():
    joiner = verified_user()

    with pytest.raises(NotFoundError) as refusal:
        services.invitation_accept(raw_token="forged", acting_user=joiner)

    assert refusal.value.message == (
        "This invitation link is not valid. Ask the owner for a new one."
    )
    assert refusal.value.code == "invitation_invalid"

    assert Membership.objects.count() == 0


def test_a_member_of_another_organisation_cannot_accept():
    partner = factories.PartnerFactory()
    owner_of(partner)
    invitation, raw_token = invite(partner, email="joiner@example.com")
    joiner = verified_user("joiner@example.com")
    factories.MembershipFactory(user=joiner)

    with pytest.raises(InvalidTransitionError, match="already belong"):
        services.invitation_accept(raw_token=raw_token, acting_user=joiner)

    invitation.refresh_from_db()
    assert invitation.accepted_at is None
    assert Membership.objects.filter(partner=partner).count() == 1


def test_owner_revokes_a_pending_invitation_and_it_cannot_be_revoked_twice():
    partner = factories.PartnerFactory()
    owner = owner_of(partner)
    invitation, _ = invite(partner)

    services.invitation_revoke(invitation_id=invitation.pk, acting_user=owner)
    invitation.refresh_from_db()
    revoked_at = invitation.revoked_at

    with pytest.raises(InvalidTransitionError):
        services.invitation_revoke(invitation_id=invitation.pk, acting_user=owner)
    invitation.refresh_from_db()
    assert revoked_at is not None
    assert invitation.revoked_at == revoked_at


def test_developer_cannot_revoke_an_invitation():
    partner = factories.PartnerFactory()
    owner_of(partner)
    developer = developer_of(partner)
    invitation, _ = invite(partner)

    with pytest.raises(PermissionRefusedError):
        services.invitation_revoke(invitation_id=invitation.pk, acting_user=developer)

    invitation.refresh_from_db()
    assert invitation.revoked_at is None


# --- members ------------------------------------------------------------------------------------


def test_owner_removes_a_developer():
    partner = factories.PartnerFactory()
    owner = owner_of(partner)
    developer = developer_of(partner)

    services.membership_remove(
        membership_id=Membership.objects.get(user=developer).pk, acting_user=owner
    )

    assert list(Membership.objects.values_list("user", flat=True)) == [owner.pk]


def test_developer_cannot_remove_someone_else():
    partner = factories.PartnerFactory()
    owner = owner_of(partner)
    developer = developer_of(partner)

    with pytest.raises(PermissionRefusedError):
        services.membership_remove(
            membership_id=Membership.objects.get(user=owner).pk, acting_user=developer
        )

    assert Membership.objects.filter(partner=partner).count() == 2


def test_a_developer_may_leave():
    partner = factories.PartnerFactory()
    owner_of(partner)
    developer = developer_of(partner)

    services.membership_remove(
        membership_id=Membership.objects.get(user=developer).pk, acting_user=developer
    )

    assert not Membership.objects.filter(user=developer).exists()


def test_the_last_owner_cannot_leave():
    partner = factories.PartnerFactory()
    owner = owner_of(partner)
    developer_of(partner)

    with pytest.raises(InvalidTransitionError, match="at least one owner"):
        services.membership_remove(
            membership_id=Membership.objects.get(user=owner).pk, acting_user=owner
        )

    assert Membership.objects.filter(partner=partner).count() == 2


# --- operator onboarding ------------------------------------------------------------------------


def test_partner_create_with_owner_creates_a_verified_owner_and_is_idempotent():
    partner, owner, created = services.partner_create_with_owner(
        name="Acme", owner_email="Owner@Acme.test", password="a-long-password-123"
    )

    assert created is True
    assert owner.email == "owner@acme.test"
    assert owner.check_password("a-long-password-123")
    assert EmailAddress.objects.get(user=owner).verified is True
    assert Membership.objects.get(user=owner).role == Membership.Role.OWNER

    again, same_owner, created_again = services.partner_create_with_owner(
        name="Acme", owner_email="owner@acme.test", password="ignored"
    )
    assert (again, same_owner, created_again) == (partner, owner, False)
    assert Partner.objects.count() == 1


def test_partner_create_with_owner_refuses_an_owner_of_another_organisation():
    services.partner_create_with_owner(name="Acme", owner_email="o@acme.test", password="pw-12345")

    with pytest.raises(InvalidTransitionError, match="Acme"):
        services.partner_create_with_owner(
            name="Other", owner_email="o@acme.test", password="pw-12345"
        )

    assert Partner.objects.count() == 1


@pytest.mark.postgres
def test_concurrent_onboardings_of_one_user_create_one_organisation(transactional_db):
    user = factories.UserFactory()

    outcomes = race(
        lambda: services.partner_create(name="One", acting_user=user),
        lambda: services.partner_create(name="Two", acting_user=user),
        expected_errors=InvalidTransitionError,
    )

    assert sorted(type(outcome).__name__ for outcome in outcomes) == [
        "InvalidTransitionError",
        "Partner",
    ]
    assert Partner.objects.count() == 1
    assert Membership.objects.filter(user=user).count() == 1
