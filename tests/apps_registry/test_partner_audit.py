"""The partner audit trail: every change to an organisation, its team or its apps writes exactly
one PartnerAuditEvent in the same transaction; refusals write none; the trail is append-only."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.db import DatabaseError, connection, transaction
from django.db.models import ProtectedError
from django.utils import timezone

from apps_registry.models import Invitation, Membership, Partner, PartnerApp, PartnerAuditEvent
from apps_registry.services import app_status
from apps_registry.services import apps as app_services
from apps_registry.services import partners as partner_services
from apps_registry.services.secret_access import Assurance
from core.errors import DomainError, PermissionRefusedError
from tests import factories
from tests.apps_registry.review_helpers import make_access_token

pytestmark = pytest.mark.django_db

Action = PartnerAuditEvent.Action
RAW_TEST_SECRET = "test-client-secret-0123456789"  # the factories' raw secret


@pytest.fixture
def partner(owner):
    return Partner.objects.get(memberships__user=owner)


@pytest.fixture
def app(partner):
    return factories.PartnerAppFactory(
        partner=partner, status=PartnerApp.Status.DRAFT, secret_hint="6789"
    )


@pytest.fixture
def staff():
    return factories.UserFactory(is_staff=True, is_superuser=True)


def only_event() -> PartnerAuditEvent:
    """The single event the trail holds; fails if there is none or more than one."""
    (event,) = PartnerAuditEvent.objects.all()
    return event


def verified_user(email: str):
    user = factories.UserFactory(email=email)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


# --- Apps ---------------------------------------------------------------------------------------


def test_app_create_records_the_app_and_only_the_secrets_last_four_characters(partner, owner):
    app, raw_secret = app_services.app_create(
        partner=partner,
        acting_user=owner,
        name="Helpdesk Sync",
        redirect_uris=["https://app.example.com/callback"],
        assurance=Assurance.RECENT_SECOND_FACTOR,
    )

    event = only_event()
    assert (event.action, event.actor, event.partner, event.app) == (
        Action.APP_CREATED,
        owner,
        partner,
        app,
    )
    assert event.details == {
        "name": "Helpdesk Sync",
        "redirect_uris": ["https://app.example.com/callback"],
        "secret_hint": raw_secret[-4:],
    }
    stored = json.dumps(event.details)
    assert raw_secret not in stored
    assert PartnerApp.objects.get(pk=app.pk).client_secret not in stored  # nor its hash


def test_app_update_details_records_only_the_fields_that_changed(app, owner):
    app_services.app_update_details(
        app_id=app.pk,
        acting_user=owner,
        name="Renamed",
        description=app.description,
        category=app.category,
        homepage_url="https://new.example.com",
        privacy_policy_url=app.privacy_policy_url,
    )

    event = only_event()
    assert (event.action, event.actor, event.app) == (Action.APP_UPDATED, owner, app)
    assert event.details == {
        "changed": {
            "name": {"old": app.name, "new": "Renamed"},
            "homepage_url": {"old": "https://app.example.com", "new": "https://new.example.com"},
        }
    }


def test_redirect_uri_change_records_old_and_new(app, owner):
    app_services.app_set_redirect_uris(
        app_id=app.pk,
        redirect_uris=["https://app.example.com/callback", "https://app.example.com/v2/cb"],
        acting_user=owner,
    )

    event = only_event()
    assert (event.action, event.actor, event.app) == (Action.REDIRECT_URIS_CHANGED, owner, app)
    assert event.details == {
        "old": ["https://app.example.com/callback"],
        "new": ["https://app.example.com/callback", "https://app.example.com/v2/cb"],
    }


def test_secret_rotation_records_the_hints_and_no_secret(app, owner):
    old_hash = PartnerApp.objects.get(pk=app.pk).client_secret

    rotated, raw_secret = app_services.app_rotate_secret(
        app_id=app.pk, acting_user=owner, assurance=Assurance.RECENT_SECOND_FACTOR
    )

    event = only_event()
    assert (event.action, event.actor, event.app) == (Action.SECRET_ROTATED, owner, app)
    assert event.details == {"secret_hint": raw_secret[-4:], "previous_secret_hint": "6789"}
    stored = json.dumps(event.details)
    for secret in (raw_secret, rotated.client_secret, old_hash, RAW_TEST_SECRET):
        assert secret not in stored


def test_rotating_a_suspended_apps_secret_is_audited_too(app, owner):
    PartnerApp.objects.filter(pk=app.pk).update(status=PartnerApp.Status.SUSPENDED)

    app_services.app_rotate_secret(
        app_id=app.pk, acting_user=owner, assurance=Assurance.RECENT_SECOND_FACTOR
    )

    assert only_event().action == Action.SECRET_ROTATED


def test_publishing_records_the_transition(app, owner):
    app_services.app_publish(app_id=app.pk, acting_user=owner)

    event = only_event()
    assert (event.action, event.actor, event.app) == (Action.APP_PUBLISHED, owner, app)
    assert event.details == {"from_status": "draft", "to_status": "live"}


def test_choosing_scopes_records_what_was_added_removed_and_changed(app, owner):
    kept, dropped, added = factories.ScopeFactory.create_batch(3)
    factories.AppScopeFactory(app=app, scope=kept, is_required=True)
    factories.AppScopeFactory(app=app, scope=dropped)

    app_services.app_set_requested_scopes(
        app=app, selections={kept.key: False, added.key: True}, acting_user=owner
    )

    event = only_event()
    assert (event.action, event.actor, event.app) == (Action.SCOPES_CHOSEN, owner, app)
    assert event.details == {
        "added": {added.key: "required"},
        "removed": [dropped.key],
        "changed": {kept.key: "optional"},
    }


# --- Organisation and team ----------------------------------------------------------------------


def test_partner_create_records_the_organisation():
    user = factories.UserFactory()

    partner = partner_services.partner_create(name="Acme Tools", acting_user=user)

    event = only_event()
    assert (event.action, event.actor, event.partner, event.app) == (
        Action.PARTNER_CREATED,
        user,
        partner,
        None,
    )
    assert event.details == {"name": "Acme Tools", "owner_email": user.email}


def test_operator_onboarding_records_one_creation_and_nothing_when_repeated():
    partner, user, created = partner_services.partner_create_with_owner(
        name="Acme Tools", owner_email="owner@acme.example", password="a-Long-passphrase-42"
    )
    assert created
    partner_services.partner_create_with_owner(
        name="Acme Tools", owner_email="owner@acme.example", password=""
    )

    event = only_event()
    assert (event.action, event.actor, event.partner) == (Action.PARTNER_CREATED, user, partner)


def test_invitation_records_address_and_role_but_not_the_token(partner, owner):
    invitation, raw_token = partner_services.invitation_create(
        partner=partner,
        email="dev@example.com",
        role="developer",
        acting_user=owner,
        assurance=Assurance.RECENT_SECOND_FACTOR,
    )

    event = only_event()
    assert (event.action, event.actor, event.partner, event.app) == (
        Action.MEMBER_INVITED,
        owner,
        partner,
        None,
    )
    assert event.details == {
        "invitation_id": invitation.pk,
        "email": "dev@example.com",
        "role": "developer",
        "expires_at": invitation.expires_at.isoformat(),
        "expired_invitations_closed": 0,
    }
    stored = json.dumps(event.details)
    assert raw_token not in stored
    assert invitation.token_hash not in stored


def test_reinviting_after_expiry_counts_the_closed_invitation(partner, owner):
    expired, _ = partner_services.invitation_create(
        partner=partner,
        email="dev@example.com",
        role="developer",
        acting_user=owner,
        assurance=Assurance.RECENT_SECOND_FACTOR,
    )
    Invitation.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(days=1))

    partner_services.invitation_create(
        partner=partner,
        email="dev@example.com",
        role="developer",
        acting_user=owner,
        assurance=Assurance.RECENT_SECOND_FACTOR,
    )

    latest = PartnerAuditEvent.objects.first()  # newest first
    assert PartnerAuditEvent.objects.count() == 2
    assert latest.details["expired_invitations_closed"] == 1


def test_revoking_an_invitation_is_recorded(partner, owner):
    invitation, _ = partner_services.invitation_create(
        partner=partner,
        email="dev@example.com",
        role="owner",
        acting_user=owner,
        assurance=Assurance.RECENT_SECOND_FACTOR,
    )

    partner_services.invitation_revoke(invitation_id=invitation.pk, acting_user=owner)

    assert PartnerAuditEvent.objects.count() == 2
    event = PartnerAuditEvent.objects.get(action=Action.INVITATION_REVOKED)
    assert (event.actor, event.partner) == (owner, partner)
    assert event.details == {
        "invitation_id": invitation.pk,
        "email": "dev@example.com",
        "role": "owner",
    }


def test_joining_by_invitation_is_recorded_with_the_newcomer_as_actor(partner, owner):
    invitation, raw_token = partner_services.invitation_create(
        partner=partner,
        email="dev@example.com",
        role="developer",
        acting_user=owner,
        assurance=Assurance.RECENT_SECOND_FACTOR,
    )
    newcomer = verified_user("dev@example.com")

    partner_services.invitation_accept(raw_token=raw_token, acting_user=newcomer)

    assert PartnerAuditEvent.objects.count() == 2
    event = PartnerAuditEvent.objects.get(action=Action.MEMBER_JOINED)
    assert (event.actor, event.partner) == (newcomer, partner)
    assert event.details == {
        "invitation_id": invitation.pk,
        "email": "dev@example.com",
        "role": "developer",
        "user_id": newcomer.pk,
    }
    assert raw_token not in json.dumps(event.details)


def test_an_owner_removing_a_member_is_recorded_as_removed(partner, owner):
    developer = factories.MembershipFactory(partner=partner, role=Membership.Role.DEVELOPER)

    partner_services.membership_remove(membership_id=developer.pk, acting_user=owner)

    event = only_event()
    assert (event.action, event.actor, event.partner) == (Action.MEMBER_REMOVED, owner, partner)
    assert event.details == {
        "user_id": developer.user_id,
        "email": developer.user.email,
        "role": "developer",
    }


def test_a_member_leaving_is_recorded_as_left(partner):
    developer = factories.MembershipFactory(partner=partner, role=Membership.Role.DEVELOPER)

    partner_services.membership_remove(membership_id=developer.pk, acting_user=developer.user)

    event = only_event()
    assert (event.action, event.actor, event.partner) == (
        Action.MEMBER_LEFT,
        developer.user,
        partner,
    )


# --- Staff actions ------------------------------------------------------------------------------


def test_suspension_records_reason_and_revoked_tokens_with_the_staff_actor(app, staff):
    make_access_token(app=app, user=factories.UserFactory(), scope="a", raw="raw-token-1")

    app_status.app_suspend(app_id=app.pk, acting_user=staff, reason="Leaked data.")

    event = only_event()
    assert (event.action, event.actor, event.partner, event.app) == (
        Action.APP_SUSPENDED,
        staff,
        app.partner,
        app,
    )
    assert event.details == {
        "from_status": "draft",
        "to_status": "suspended",
        "reason": "Leaked data.",
        "tokens_revoked": 1,  # an access token and its refresh token count once
    }
    assert "raw-token-1" not in json.dumps(event.details)


def test_suspending_a_platform_owned_client_is_recorded_without_a_partner(staff):
    gateway = factories.PartnerAppFactory(partner=None, name="Gateway")

    app_status.app_suspend(app_id=gateway.pk, acting_user=staff, reason="Rotating keys.")

    event = only_event()
    assert (event.action, event.partner, event.app) == (Action.APP_SUSPENDED, None, gateway)


def test_reinstating_records_the_transition(app, staff):
    PartnerApp.objects.filter(pk=app.pk).update(status=PartnerApp.Status.SUSPENDED)

    app_status.app_unsuspend(app_id=app.pk, acting_user=staff)

    event = only_event()
    assert (event.action, event.actor, event.app) == (Action.APP_UNSUSPENDED, staff, app)
    assert event.details == {"from_status": "suspended", "to_status": "draft"}


@pytest.mark.parametrize(
    ("verified", "action"),
    [(True, Action.PARTNER_VERIFIED), (False, Action.PARTNER_UNVERIFIED)],
)
def test_verification_changes_are_recorded(partner, staff, verified, action):
    Partner.objects.filter(pk=partner.pk).update(is_verified=not verified)

    app_status.partner_set_verified(partner_id=partner.pk, acting_user=staff, verified=verified)

    event = only_event()
    assert (event.action, event.actor, event.partner, event.app, event.details) == (
        action,
        staff,
        partner,
        None,
        {},
    )


# --- Refusals write nothing ---------------------------------------------------------------------


def _refusals():
    """(name, arrange → call) pairs: each call must be refused by its service."""

    def outsider_creates_app(ctx):
        return lambda: app_services.app_create(
            partner=ctx["partner"],
            acting_user=factories.UserFactory(),
            name="Sneaky",
            redirect_uris=["https://app.example.com/cb"],
        )

    def insecure_redirect_uri(ctx):
        return lambda: app_services.app_set_redirect_uris(
            app_id=ctx["app"].pk, redirect_uris=["http://evil.example/cb"], acting_user=ctx["owner"]
        )

    def outsider_rotates_secret(ctx):
        return lambda: app_services.app_rotate_secret(
            app_id=ctx["app"].pk, acting_user=factories.UserFactory()
        )

    def publish_twice(ctx):
        PartnerApp.objects.filter(pk=ctx["app"].pk).update(status=PartnerApp.Status.LIVE)
        return lambda: app_services.app_publish(app_id=ctx["app"].pk, acting_user=ctx["owner"])

    def unavailable_custom_scope(ctx):
        custom = factories.CustomScopeFactory()
        return lambda: app_services.app_set_requested_scopes(
            app=ctx["app"], selections={custom.key: True}, acting_user=ctx["owner"]
        )

    def edit_suspended_app(ctx):
        PartnerApp.objects.filter(pk=ctx["app"].pk).update(status=PartnerApp.Status.SUSPENDED)
        return lambda: app_services.app_update_details(
            app_id=ctx["app"].pk,
            acting_user=ctx["owner"],
            name="Renamed",
            description="",
            category=PartnerApp.Category.OTHER,
            homepage_url="",
            privacy_policy_url="",
        )

    def second_organisation(ctx):
        return lambda: partner_services.partner_create(name="Second", acting_user=ctx["owner"])

    def developer_invites(ctx):
        developer = factories.MembershipFactory(
            partner=ctx["partner"], role=Membership.Role.DEVELOPER
        ).user
        return lambda: partner_services.invitation_create(
            partner=ctx["partner"], email="x@example.com", role="developer", acting_user=developer
        )

    def accept_with_another_address(ctx):
        _, raw_token = partner_services.invitation_create(
            partner=ctx["partner"],
            email="dev@example.com",
            role="developer",
            acting_user=ctx["owner"],
            assurance=Assurance.RECENT_SECOND_FACTOR,
        )
        stranger = verified_user("stranger@example.com")
        return lambda: partner_services.invitation_accept(raw_token=raw_token, acting_user=stranger)

    def revoke_twice(ctx):
        invitation, _ = partner_services.invitation_create(
            partner=ctx["partner"],
            email="dev@example.com",
            role="developer",
            acting_user=ctx["owner"],
            assurance=Assurance.RECENT_SECOND_FACTOR,
        )
        partner_services.invitation_revoke(invitation_id=invitation.pk, acting_user=ctx["owner"])
        return lambda: partner_services.invitation_revoke(
            invitation_id=invitation.pk, acting_user=ctx["owner"]
        )

    def last_owner_leaves(ctx):
        membership = Membership.objects.get(user=ctx["owner"])
        return lambda: partner_services.membership_remove(
            membership_id=membership.pk, acting_user=ctx["owner"]
        )

    def suspend_without_reason(ctx):
        return lambda: app_status.app_suspend(
            app_id=ctx["app"].pk, acting_user=ctx["staff"], reason="  "
        )

    def partner_suspends_own_app(ctx):
        return lambda: app_status.app_suspend(
            app_id=ctx["app"].pk, acting_user=ctx["owner"], reason="Trying."
        )

    def reinstate_a_draft(ctx):
        return lambda: app_status.app_unsuspend(app_id=ctx["app"].pk, acting_user=ctx["staff"])

    def verify_twice(ctx):
        Partner.objects.filter(pk=ctx["partner"].pk).update(is_verified=True)
        return lambda: app_status.partner_set_verified(
            partner_id=ctx["partner"].pk, acting_user=ctx["staff"], verified=True
        )

    return [
        outsider_creates_app,
        insecure_redirect_uri,
        outsider_rotates_secret,
        publish_twice,
        unavailable_custom_scope,
        edit_suspended_app,
        second_organisation,
        developer_invites,
        accept_with_another_address,
        revoke_twice,
        last_owner_leaves,
        suspend_without_reason,
        partner_suspends_own_app,
        reinstate_a_draft,
        verify_twice,
    ]


def _state(app: PartnerApp) -> dict:
    app = PartnerApp.objects.get(pk=app.pk)
    return {
        "events": PartnerAuditEvent.objects.count(),
        "app": (app.name, app.status, app.redirect_uris, app.client_secret, app.secret_hint),
        "scopes": sorted(app.requested_scopes.values_list("scope__key", flat=True)),
        "partners": sorted(Partner.objects.values_list("pk", "is_verified")),
        "memberships": sorted(Membership.objects.values_list("pk", "role")),
        "invitations": sorted(Invitation.objects.values_list("pk", "accepted_at", "revoked_at")),
    }


@pytest.mark.parametrize("arrange", _refusals(), ids=lambda arrange: arrange.__name__)
def test_a_refused_change_writes_no_event_and_changes_nothing(arrange, partner, owner, app, staff):
    call = arrange({"partner": partner, "owner": owner, "app": app, "staff": staff})
    before = _state(app)

    with pytest.raises(DomainError):
        call()

    assert _state(app) == before


def test_the_change_is_rolled_back_when_its_event_cannot_be_written(app, owner, monkeypatch):
    def broken_audit(**kwargs):
        raise DatabaseError("audit table unavailable")

    monkeypatch.setattr(app_services, "record_partner_event", broken_audit)

    with pytest.raises(DatabaseError):
        app_services.app_set_redirect_uris(
            app_id=app.pk, redirect_uris=["https://app.example.com/new"], acting_user=owner
        )

    assert PartnerApp.objects.get(pk=app.pk).redirect_uris == "https://app.example.com/callback"


# --- The trail is append-only -------------------------------------------------------------------


@pytest.fixture
def event(app, owner):
    app_services.app_publish(app_id=app.pk, acting_user=owner)
    return only_event()


@pytest.mark.parametrize(
    "tamper",
    [
        lambda e: (setattr(e, "action", Action.APP_CREATED), e.save()),
        lambda e: e.delete(),
        lambda e: PartnerAuditEvent.objects.filter(pk=e.pk).update(details={}),
        lambda e: PartnerAuditEvent.objects.filter(pk=e.pk).delete(),
        lambda e: e.app.audit_events.all().delete(),
        lambda e: PartnerAuditEvent.objects.bulk_update([e], ["details"]),
    ],
    ids=["save", "delete", "queryset-update", "queryset-delete", "related-delete", "bulk-update"],
)
def test_the_trail_cannot_be_changed_through_the_orm(tamper, event):
    with pytest.raises(PermissionRefusedError, match="append-only"):
        tamper(event)

    stored = PartnerAuditEvent.objects.get(pk=event.pk)
    assert (stored.action, stored.details) == (Action.APP_PUBLISHED, event.details)


def test_an_app_with_a_trail_cannot_be_deleted(event):
    with pytest.raises(ProtectedError):
        event.app.delete()

    assert PartnerApp.objects.filter(pk=event.app_id).exists()


@pytest.mark.postgres
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE apps_registry_partnerauditevent SET details = '{}' WHERE id = %s",
        "DELETE FROM apps_registry_partnerauditevent WHERE id = %s",
    ],
    ids=["update", "delete"],
)
def test_the_trail_cannot_be_changed_with_raw_sql_on_postgresql(sql, event):
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, [event.pk])

    assert PartnerAuditEvent.objects.get(pk=event.pk).details == event.details
