"""The event schema (ADR 0014): one details class per stored action, stored keys exactly as rows
hold them, old rows still read, and what partners (and later webhooks) may see of each."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest

from append_only.event_details import EventDetails
from apps_registry.events import audit as audit_events
from apps_registry.events import authorization as authorization_events
from apps_registry.events import review as review_events
from apps_registry.models import (
    AccessRequest,
    AuthorizationEvent,
    PartnerAuditEvent,
    ReviewEvent,
)
from apps_registry.services import reviews
from tests import factories
from tests.apps_registry.review_helpers import make_request, make_reviewer

pytestmark = pytest.mark.django_db

# One example of every action's details and the JSON its row stores.
REVIEW_EXAMPLES = [
    (review_events.Submitted(), {}),
    (review_events.Assigned(), {}),
    (review_events.Assigned(previous_reviewer="Ann"), {"previous_reviewer": "Ann"}),
    (
        review_events.ChangesRequested(field_comments={"purpose": "Say more."}),
        {"field_comments": {"purpose": "Say more."}},
    ),
    (
        review_events.Resubmitted(changed={"purpose": {"old": "a", "new": "b"}}),
        {"changed": {"purpose": {"old": "a", "new": "b"}}},
    ),
    (
        review_events.Approved(expires_at="2030-01-01T00:00:00+00:00"),
        {"expires_at": "2030-01-01T00:00:00+00:00"},
    ),
    (
        review_events.Approved(
            expires_at="2030-01-01T00:00:00+00:00", grace_after_tightening=True, tightened_by=7
        ),
        {
            "expires_at": "2030-01-01T00:00:00+00:00",
            "grace_after_tightening": True,
            "tightened_by": 7,
        },
    ),
    (review_events.FirstApproval(), {}),
    (
        review_events.FirstApproval(voided_first_approval_by=3),
        {"voided_first_approval_by": 3},
    ),
    (review_events.Rejected(), {}),
    (review_events.Withdrawn(), {}),
    (
        review_events.Revoked(
            app_scopes_removed=1,
            authorizations_changed=2,
            authorizations_closed=1,
            tokens_changed=4,
        ),
        {
            "app_scopes_removed": 1,
            "authorizations_changed": 2,
            "authorizations_closed": 1,
            "tokens_changed": 4,
        },
    ),
    (
        review_events.Expired(
            app_scopes_removed=0,
            authorizations_changed=0,
            authorizations_closed=0,
            tokens_changed=0,
        ),
        {
            "app_scopes_removed": 0,
            "authorizations_changed": 0,
            "authorizations_closed": 0,
            "tokens_changed": 0,
        },
    ),
    (review_events.Commented(), {}),
]

AUTHORIZATION_EXAMPLES = [
    (
        authorization_events.Granted(duration_days=90, withdrawn=["orders:read"]),
        {"duration_days": 90, "withdrawn": ["orders:read"]},
    ),
    (authorization_events.ShopDisconnected(), {}),
    (authorization_events.ScopeWithdrawn(shops=[1, 2]), {"shops": [1, 2]}),
    (authorization_events.AppDisconnected(shops=[3]), {"shops": [3]}),
    (
        authorization_events.PlatformRevoked(
            scope="customers:read",
            access_request_id=5,
            approval="revoked",
            authorization_closed=True,
        ),
        {
            "scope": "customers:read",
            "access_request_id": 5,
            "approval": "revoked",
            "authorization_closed": True,
        },
    ),
    (
        authorization_events.Expired(expires_at="2026-03-04T09:30:00+00:00"),
        {"expires_at": "2026-03-04T09:30:00+00:00"},
    ),
]

INVITATION = {"invitation_id": 4, "email": "new@example.com", "role": "member"}
AUDIT_EXAMPLES = [
    (
        audit_events.PartnerCreated(name="Acme", owner_email="o@example.com"),
        {"name": "Acme", "owner_email": "o@example.com"},
    ),
    (audit_events.PartnerVerified(), {}),
    (audit_events.PartnerUnverified(), {}),
    (
        audit_events.MemberInvited(
            **INVITATION, expires_at="2030-01-01T00:00:00+00:00", expired_invitations_closed=0
        ),
        {**INVITATION, "expires_at": "2030-01-01T00:00:00+00:00", "expired_invitations_closed": 0},
    ),
    (audit_events.InvitationRevoked(**INVITATION), INVITATION),
    (audit_events.MemberJoined(**INVITATION, user_id=9), {**INVITATION, "user_id": 9}),
    (
        audit_events.MemberRemoved(user_id=9, email="m@example.com", role="member"),
        {"user_id": 9, "email": "m@example.com", "role": "member"},
    ),
    (
        audit_events.MemberLeft(user_id=9, email="m@example.com", role="owner"),
        {"user_id": 9, "email": "m@example.com", "role": "owner"},
    ),
    (
        audit_events.AppCreated(name="Shipper", redirect_uris=["https://a/cb"], secret_hint="x9Zq"),
        {"name": "Shipper", "redirect_uris": ["https://a/cb"], "secret_hint": "x9Zq"},
    ),
    (
        audit_events.AppUpdated(changed={"name": {"old": "A", "new": "B"}}),
        {"changed": {"name": {"old": "A", "new": "B"}}},
    ),
    (
        audit_events.BrandingChanged(
            icon_sha256={"old": "", "new": "ab" * 32},
            publisher_url={"old": "", "new": "https://example.com/"},
        ),
        {
            "icon_sha256": {"old": "", "new": "ab" * 32},
            "publisher_url": {"old": "", "new": "https://example.com/"},
        },
    ),
    (
        audit_events.RedirectUrisChanged(old=["https://a/cb"], new=["https://b/cb"]),
        {"old": ["https://a/cb"], "new": ["https://b/cb"]},
    ),
    (
        audit_events.SecretRotated(secret_hint="x9Zq", previous_secret_hint="Ab12"),
        {"secret_hint": "x9Zq", "previous_secret_hint": "Ab12"},
    ),
    (
        audit_events.AppPublished(from_status="draft", to_status="live"),
        {"from_status": "draft", "to_status": "live"},
    ),
    (
        audit_events.ScopesChosen(
            added={"orders:read": "required"}, removed=["products:read"], changed={}
        ),
        {"added": {"orders:read": "required"}, "removed": ["products:read"], "changed": {}},
    ),
    (
        audit_events.AppSuspended(
            from_status="live", to_status="suspended", reason="Abuse", tokens_revoked=2
        ),
        {"from_status": "live", "to_status": "suspended", "reason": "Abuse", "tokens_revoked": 2},
    ),
    (
        audit_events.AppUnsuspended(from_status="suspended", to_status="draft"),
        {"from_status": "suspended", "to_status": "draft"},
    ),
    (
        audit_events.WebhookSet(
            url="https://hooks.example.com/b",
            topics=["app.suspended"],
            previous_url="https://hooks.example.com/a",
            previous_topics=["scope.changed"],
        ),
        {
            "url": "https://hooks.example.com/b",
            "topics": ["app.suspended"],
            "previous_url": "https://hooks.example.com/a",
            "previous_topics": ["scope.changed"],
        },
    ),
    (
        audit_events.WebhookRemoved(url="https://hooks.example.com/b"),
        {"url": "https://hooks.example.com/b"},
    ),
    (
        audit_events.WebhookSecretRotated(
            secret_hint="x9Z=",
            previous_secret_hint="Ab1=",
            previous_secret_expires_at="2026-11-27T09:00:00+00:00",
        ),
        {
            "secret_hint": "x9Z=",
            "previous_secret_hint": "Ab1=",
            "previous_secret_expires_at": "2026-11-27T09:00:00+00:00",
        },
    ),
    (
        audit_events.WebhookReplayed(
            event_id="evt_0f1e2d3c4b5a69788796a5b4c3d2e1f0",
            event_type="authorization.revoked",
            previous_status="delivered",
        ),
        {
            "event_id": "evt_0f1e2d3c4b5a69788796a5b4c3d2e1f0",
            "event_type": "authorization.revoked",
            "previous_status": "delivered",
        },
    ),
]

SCHEMAS = [
    (ReviewEvent, review_events.SCHEMA, REVIEW_EXAMPLES),
    (AuthorizationEvent, authorization_events.SCHEMA, AUTHORIZATION_EXAMPLES),
    (PartnerAuditEvent, audit_events.SCHEMA, AUDIT_EXAMPLES),
]
ALL_EXAMPLES = REVIEW_EXAMPLES + AUTHORIZATION_EXAMPLES + AUDIT_EXAMPLES
# Never sent to a partner (or by a webhook): secret hints, reviewers, what only staff see.
STAFF_ONLY_KEYS = {
    "secret_hint",
    "previous_secret_hint",
    "previous_reviewer",
    "voided_first_approval_by",
    "tightened_by",
    "grace_after_tightening",
    "app_scopes_removed",
    "authorizations_changed",
    "authorizations_closed",
    "tokens_changed",
    "owner_email",
    "email",
}


@pytest.mark.parametrize(("model", "schema", "examples"), SCHEMAS, ids=lambda v: str(v)[:30])
def test_every_stored_action_has_a_details_class_an_example_and_a_type_name(
    model, schema, examples
):
    actions = {choice.value for choice in model.Action}

    assert set(schema.by_action) == actions
    assert {details.action for details, _ in examples} == actions
    for details_class in schema.by_action.values():
        assert re.fullmatch(r"[a-z_]+\.[a-z_]+", details_class.type_name), details_class


def test_type_names_are_unique_across_every_event_table():
    names = [
        details_class.type_name
        for _, schema, _ in SCHEMAS
        for details_class in schema.by_action.values()
    ]

    assert len(names) == len(set(names))


@pytest.mark.parametrize(("details", "stored"), ALL_EXAMPLES, ids=repr)
def test_details_store_under_the_keys_rows_hold_and_read_back_equal(details, stored):
    assert details.stored() == stored
    assert type(details).from_stored(json.loads(json.dumps(stored))) == details


@pytest.mark.parametrize(("details", "stored"), ALL_EXAMPLES, ids=repr)
def test_partner_payload_is_json_safe_and_never_carries_secrets_or_staff_only_data(
    details: EventDetails, stored
):
    payload = details.partner_payload()

    assert json.loads(json.dumps(payload)) == payload
    assert set(payload) <= set(type(details).partner_fields)
    assert not set(payload) & STAFF_ONLY_KEYS
    assert "x9Zq" not in json.dumps(payload)  # the secret hint's value, under any key


@pytest.mark.parametrize(("details", "stored"), REVIEW_EXAMPLES, ids=repr)
def test_the_review_writer_writes_exactly_one_row_with_exact_details(details, stored):
    access_request = make_request()
    before = ReviewEvent.objects.count()
    actor = factories.UserFactory()

    event = review_events.record_review_event(
        access_request, details, actor=actor, now=access_request.updated_at, comment="Why"
    )

    assert ReviewEvent.objects.count() == before + 1
    event = ReviewEvent.objects.get(pk=event.pk)
    assert (event.action, event.details, event.actor, event.comment) == (
        details.action,
        stored,
        actor,
        "Why",
    )
    assert event.to_status == access_request.status
    assert review_events.read_details(event) == details


@pytest.mark.parametrize(("details", "stored"), AUDIT_EXAMPLES, ids=repr)
def test_the_audit_writer_writes_exactly_one_row_with_exact_details(details, stored):
    app = factories.PartnerAppFactory()

    audit_events.record_partner_event(details=details, actor=None, app=app)

    event = PartnerAuditEvent.objects.get()
    assert (event.action, event.details, event.app, event.partner) == (
        details.action,
        stored,
        app,
        app.partner,
    )
    assert audit_events.read_details(event) == details


@pytest.mark.parametrize(("details", "stored"), AUTHORIZATION_EXAMPLES, ids=repr)
def test_the_consent_writer_writes_exactly_one_row_with_exact_details(details, stored):
    app, shop = factories.PartnerAppFactory(), factories.ShopFactory()

    authorization_events.record_authorization_event(
        details,
        seller=shop.owner,
        app=app,
        shop=shop,
        scope_keys=["orders:read"],
        now=app.created,
    )

    event = AuthorizationEvent.objects.get()
    assert (event.action, event.details, event.scope_keys, event.shop) == (
        details.action,
        stored,
        ["orders:read"],
        shop,
    )
    assert authorization_events.read_details(event) == details


def test_old_rows_without_optional_keys_and_with_unknown_ones_still_read():
    access_request = make_request(status=AccessRequest.Status.REVOKED)
    revoked = ReviewEvent.objects.create(
        request=access_request,
        action=ReviewEvent.Action.REVOKE,
        # A revocation recorded before the closed authorizations were counted.
        details={"app_scopes_removed": 1, "authorizations_changed": 2, "tokens_changed": 3},
    )
    changes = ReviewEvent.objects.create(
        request=access_request, action=ReviewEvent.Action.REQUEST_CHANGES, details={}
    )
    grant = AuthorizationEvent.objects.create(
        seller=factories.UserFactory(),
        app=factories.PartnerAppFactory(),
        action=AuthorizationEvent.Action.GRANT,
        details={"duration_days": 30, "retired_key": True},
    )

    assert review_events.read_details(revoked) == review_events.Revoked(
        app_scopes_removed=1, authorizations_changed=2, tokens_changed=3
    )
    assert review_events.read_details(revoked).stored() == revoked.details
    assert review_events.read_details(changes) == review_events.ChangesRequested()
    assert authorization_events.read_details(grant) == authorization_events.Granted(
        duration_days=30
    )


def test_the_partner_timeline_hides_reviewers_and_what_only_they_see():
    first, second = make_reviewer(email="first@staff.example"), make_reviewer()
    access_request = make_request(assigned_to=first, status=AccessRequest.Status.IN_REVIEW)
    submitter = access_request.submitted_by
    review_events.record_review_event(
        access_request, review_events.Submitted(), actor=submitter, now=access_request.updated_at
    )
    reviews.access_request_assign(request_id=access_request.pk, reviewer=second)
    reviews.access_request_approve(request_id=access_request.pk, reviewer=second, comment="OK")
    access_request.refresh_from_db()
    reviews.access_request_revoke(request_id=access_request.pk, reviewer=second, reason="Misuse")
    access_request.refresh_from_db()

    timeline = review_events.partner_timeline(access_request)

    # Taking the application over from `first` is internal: the partner never sees it.
    assert [(entry.event.action, entry.actor) for entry in timeline] == [
        (ReviewEvent.Action.SUBMIT, submitter.email),
        (ReviewEvent.Action.APPROVE, "the review team"),
        (ReviewEvent.Action.REVOKE, "the review team"),
    ]
    approve, revoke = (entry.details for entry in timeline[1:])
    assert set(approve) == {"expires_at"}
    assert revoke == {}
    assert set(timeline[2].event.details) >= {"tokens_changed", "app_scopes_removed"}


def test_the_partner_actions_are_defined_once_and_named_by_member():
    assert review_events.PARTNER_ACTIONS == (
        ReviewEvent.Action.SUBMIT,
        ReviewEvent.Action.RESUBMIT,
        ReviewEvent.Action.WITHDRAW,
    )


# --- The newest event of an action, found in Python -------------------------------------------


def _history(*actions_at: tuple[str, int]) -> list[ReviewEvent]:
    """Unsaved events with the given actions and minutes, numbered in the order given."""
    start = datetime(2026, 5, 1, tzinfo=UTC)
    return [
        ReviewEvent(pk=number, action=action, created_at=start + timedelta(minutes=minute))
        for number, (action, minute) in enumerate(actions_at, start=1)
    ]


Review = ReviewEvent.Action


def test_the_latest_changes_request_is_the_newest_in_any_order():
    events = _history(
        (Review.SUBMIT, 0),
        (Review.REQUEST_CHANGES, 1),
        (Review.RESUBMIT, 2),
        (Review.REQUEST_CHANGES, 3),
        (Review.APPROVE, 4),
    )

    assert review_events.latest_changes_request(events).pk == 4
    assert review_events.latest_changes_request(reversed(events)).pk == 4
    assert review_events.latest_changes_request(events[:1]) is None


def test_events_of_the_same_moment_are_told_apart_by_their_order_of_writing():
    events = _history((Review.REQUEST_CHANGES, 1), (Review.REQUEST_CHANGES, 1))

    assert review_events.latest_changes_request(reversed(events)).pk == 2


def test_before_keeps_only_older_events():
    events = _history(
        (Review.REQUEST_CHANGES, 1),
        (Review.RESUBMIT, 2),
        (Review.REQUEST_CHANGES, 3),
        (Review.RESUBMIT, 4),
        (Review.REQUEST_CHANGES, 5),
    )
    second_resubmission = review_events.latest_event(events, Review.RESUBMIT)

    assert second_resubmission.pk == 4
    assert review_events.latest_changes_request(events, before=second_resubmission).pk == 3
    assert review_events.latest_changes_request(events, before=events[0]) is None
