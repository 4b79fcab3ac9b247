"""The Custom-scope review workflow services: every legal and illegal transition, separation of
duties, written reasons, optimistic locking, and what revocation and expiry strip."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from oauth2_provider.models import AccessToken, RefreshToken

from apps_registry.errors import AccessRequestNotFoundError, StaleAccessRequestError
from apps_registry.models import AccessRequest, AppScope, Membership, ReviewEvent
from apps_registry.services import access_request_jobs, access_requests, reviews
from apps_registry.services import partners as partner_services
from apps_registry.services import review_rules as rules
from core.errors import DomainError, InvalidTransitionError, PermissionRefusedError
from scopes.models import Scope
from tests import factories
from tests.apps_registry.review_helpers import (
    ANSWERS,
    make_access_token,
    make_first_approved,
    make_member,
    make_request,
    make_reviewer,
    member_emails,
    snapshot,
)

pytestmark = pytest.mark.django_db

Status = AccessRequest.Status
Action = ReviewEvent.Action
ALL_STATUSES = list(Status)


@pytest.fixture
def reviewer():
    """A reviewer without a signed-in client: the services are called directly."""
    return make_reviewer()


def events(access_request) -> list[tuple[str, str, str]]:
    return [
        (event.action, event.from_status, event.to_status)
        for event in ReviewEvent.objects.filter(request=access_request)
    ]


# --- Partner actions ----------------------------------------------------------------------------


def test_submit_creates_a_submitted_request_and_mails_eligible_reviewers_after_commit(
    django_capture_on_commit_callbacks, mailoutbox
):
    app = factories.PartnerAppFactory()
    member = make_member(app.partner)
    scope = factories.CustomScopeFactory()
    reviewer = make_reviewer()
    make_reviewer()  # a second eligible reviewer
    conflicted = make_reviewer()
    factories.MembershipFactory(partner=app.partner, user=conflicted)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        access_request = access_requests.access_request_submit(
            app=app, scope=scope, answers=ANSWERS, acting_user=member
        )
        assert mailoutbox == []  # nothing leaves before commit

    assert len(callbacks) == 1
    access_request.refresh_from_db()
    assert access_request.status == Status.SUBMITTED
    assert access_request.version == 1
    assert access_request.submitted_by == member
    assert {field: getattr(access_request, field) for field in ANSWERS} == ANSWERS
    assert events(access_request) == [(Action.SUBMIT, "", Status.SUBMITTED)]
    recipients = sorted(message.to[0] for message in mailoutbox)
    assert conflicted.email not in recipients
    assert reviewer.email in recipients
    assert len(recipients) == 2
    assert mailoutbox[0].subject == f"Application to review: {scope.key} for {app.name}"
    assert f"/admin/apps_registry/accessrequest/{access_request.pk}/change/" in mailoutbox[0].body


@pytest.mark.parametrize(
    ("scope_kwargs", "app_kwargs", "message"),
    [
        ({"kind": "public"}, {}, "is a Public scope: every app may use it without applying"),
        ({"is_active": False}, {}, "is no longer offered"),
        ({}, {"status": "suspended"}, "This app is suspended"),
    ],
)
def test_submit_refuses_public_inactive_scopes_and_suspended_apps(
    scope_kwargs, app_kwargs, message, mailoutbox
):
    app = factories.PartnerAppFactory(**app_kwargs)
    scope = factories.CustomScopeFactory(**scope_kwargs)

    with pytest.raises(InvalidTransitionError, match=message):
        access_requests.access_request_submit(
            app=app, scope=scope, answers=ANSWERS, acting_user=make_member(app.partner)
        )

    assert AccessRequest.objects.count() == 0
    assert ReviewEvent.objects.count() == 0
    assert mailoutbox == []


def test_submit_refuses_a_non_member_and_a_second_active_request():
    existing = make_request(status=Status.APPROVED)
    outsider = make_member(factories.PartnerFactory())

    with pytest.raises(PermissionRefusedError, match="Only members of the app's partner"):
        access_requests.access_request_submit(
            app=existing.app,
            scope=factories.CustomScopeFactory(),
            answers=ANSWERS,
            acting_user=outsider,
        )
    with pytest.raises(
        InvalidTransitionError, match="already has an open application or an approval"
    ):
        access_requests.access_request_submit(
            app=existing.app,
            scope=existing.scope,
            answers=ANSWERS,
            acting_user=make_member(existing.app.partner),
        )

    assert AccessRequest.objects.count() == 1
    assert ReviewEvent.objects.count() == 0


@pytest.mark.parametrize(
    ("answers", "field", "error"),
    [
        ({**ANSWERS, "justification": "   "}, "justification", "this answer is required"),
        ({**ANSWERS, "demo_url": "javascript:alert(1)"}, "demo_url", "enter a full web address"),
        ({**ANSWERS, "status": "approved"}, "status", "Unknown question."),
        ({**ANSWERS, "data_usage": "x" * 5001}, "data_usage", "under 5000 characters"),
    ],
)
def test_submit_refuses_bad_answers_naming_the_field(answers, field, error):
    app = factories.PartnerAppFactory()

    with pytest.raises(access_requests.InvalidAnswersError) as refused:
        access_requests.access_request_submit(
            app=app,
            scope=factories.CustomScopeFactory(),
            answers=answers,
            acting_user=make_member(app.partner),
        )

    assert list(refused.value.fields) == [field]
    [message] = refused.value.fields[field]
    assert error in message
    assert AccessRequest.objects.count() == 0


def test_resubmit_records_the_changed_answers_and_restarts_the_clock(
    reviewer, django_capture_on_commit_callbacks, mailoutbox
):
    long_ago = timezone.now() - timedelta(days=20)
    access_request = make_request(
        status=Status.CHANGES_REQUESTED, assigned_to=reviewer, submitted_at=long_ago, version=3
    )
    old_justification = access_request.justification

    with django_capture_on_commit_callbacks(execute=True):
        access_requests.access_request_resubmit(
            request_id=access_request.pk,
            answers={
                "justification": "Narrower scopes lack the message bodies.",
                "demo_url": ANSWERS["demo_url"],
            },
            acting_user=access_request.submitted_by,
        )

    access_request.refresh_from_db()
    assert access_request.status == Status.SUBMITTED
    assert access_request.version == 4
    assert access_request.justification == "Narrower scopes lack the message bodies."
    assert access_request.submitted_at > long_ago
    event = ReviewEvent.objects.get(request=access_request)
    assert (event.action, event.from_status, event.to_status) == (
        Action.RESUBMIT,
        Status.CHANGES_REQUESTED,
        Status.SUBMITTED,
    )
    assert event.details == {
        "changed": {
            "justification": {
                "old": old_justification,
                "new": "Narrower scopes lack the message bodies.",
            }
        }
    }
    assert [message.to for message in mailoutbox] == [[reviewer.email]]  # the assigned reviewer


def test_resubmit_without_a_change_is_refused(reviewer):
    access_request = make_request(status=Status.CHANGES_REQUESTED, assigned_to=reviewer)
    before = snapshot(access_request)

    with pytest.raises(InvalidTransitionError, match="Nothing changed"):
        access_requests.access_request_resubmit(
            request_id=access_request.pk, answers=ANSWERS, acting_user=access_request.submitted_by
        )

    assert snapshot(access_request) == before


@pytest.mark.parametrize("status", AccessRequest.OPEN_STATUSES)
def test_withdraw_closes_any_open_request(status, reviewer):
    access_request = make_request(status=status, assigned_to=reviewer)

    access_requests.access_request_withdraw(
        request_id=access_request.pk, acting_user=make_member(access_request.app.partner)
    )

    access_request.refresh_from_db()
    assert access_request.status == Status.WITHDRAWN
    assert access_request.version == 2
    assert events(access_request) == [(Action.WITHDRAW, status, Status.WITHDRAWN)]


@pytest.mark.parametrize(
    "call",
    [
        lambda r, u: access_requests.access_request_withdraw(request_id=r.pk, acting_user=u),
        lambda r, u: access_requests.access_request_resubmit(
            request_id=r.pk, answers={"justification": "new"}, acting_user=u
        ),
    ],
    ids=["withdraw", "resubmit"],
)
def test_partner_actions_refuse_members_of_other_partners_and_reviewers(call, reviewer):
    access_request = make_request(status=Status.CHANGES_REQUESTED)
    before = snapshot(access_request)

    for outsider in (make_member(factories.PartnerFactory()), reviewer):
        with pytest.raises(PermissionRefusedError):
            call(access_request, outsider)

    assert snapshot(access_request) == before


# --- Reviewer actions: the legal paths ---------------------------------------------------------


def test_assign_takes_a_submitted_request_into_review(reviewer):
    access_request = make_request()

    reviews.access_request_assign(request_id=access_request.pk, reviewer=reviewer)

    access_request.refresh_from_db()
    assert (access_request.status, access_request.assigned_to, access_request.version) == (
        Status.IN_REVIEW,
        reviewer,
        2,
    )
    assert events(access_request) == [(Action.ASSIGN, Status.SUBMITTED, Status.IN_REVIEW)]


def test_assign_reassigns_a_request_another_reviewer_holds(in_review, reviewer):
    other = make_reviewer()

    reviews.access_request_assign(request_id=in_review.pk, reviewer=other)

    in_review.refresh_from_db()
    assert (in_review.status, in_review.assigned_to) == (Status.IN_REVIEW, other)
    event = ReviewEvent.objects.get(request=in_review)
    assert (event.action, event.actor, event.details) == (
        Action.ASSIGN,
        other,
        {"previous_reviewer": str(reviewer)},
    )


def test_assign_refuses_a_request_already_yours(in_review, reviewer):
    before = snapshot(in_review)

    with pytest.raises(InvalidTransitionError, match="already assigned to you"):
        reviews.access_request_assign(request_id=in_review.pk, reviewer=reviewer)

    assert snapshot(in_review) == before


def test_approve_grants_until_the_default_expiry_and_mails_the_partner(
    in_review, reviewer, settings, django_capture_on_commit_callbacks, mailoutbox
):
    settings.APPROVAL_DEFAULT_DAYS = 100
    second_member = make_member(in_review.app.partner)
    before = timezone.now()

    with django_capture_on_commit_callbacks(execute=True):
        reviews.access_request_approve(request_id=in_review.pk, reviewer=reviewer, comment=" ok ")

    in_review.refresh_from_db()
    assert in_review.status == Status.APPROVED
    assert in_review.decided_by == reviewer
    assert in_review.decision_reason == "ok"
    assert before + timedelta(days=100) <= in_review.approval_expires_at
    assert in_review.approval_expires_at <= timezone.now() + timedelta(days=100)
    assert in_review.is_live_approval()
    assert events(in_review) == [(Action.APPROVE, Status.IN_REVIEW, Status.APPROVED)]
    assert sorted(message.to[0] for message in mailoutbox) == member_emails(in_review.app.partner)
    assert second_member.email in member_emails(in_review.app.partner)
    assert mailoutbox[0].subject == f"Approved: {in_review.scope.key} for {in_review.app.name}"


def test_approve_takes_an_explicit_expiry_and_refuses_one_in_the_past(in_review, reviewer):
    before = snapshot(in_review)
    with pytest.raises(DomainError, match="must be in the future"):
        reviews.access_request_approve(
            request_id=in_review.pk,
            reviewer=reviewer,
            expires_at=timezone.now() - timedelta(days=1),
        )
    assert snapshot(in_review) == before

    expires_at = timezone.now() + timedelta(days=30)
    reviews.access_request_approve(
        request_id=in_review.pk, reviewer=reviewer, expires_at=expires_at
    )

    in_review.refresh_from_db()
    assert in_review.approval_expires_at == expires_at


def test_reject_records_the_reason_and_mails_it_to_the_partner(
    in_review, reviewer, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        reviews.access_request_reject(
            request_id=in_review.pk, reviewer=reviewer, reason="  No data deletion policy.  "
        )

    in_review.refresh_from_db()
    assert (in_review.status, in_review.decision_reason, in_review.decided_by) == (
        Status.REJECTED,
        "No data deletion policy.",
        reviewer,
    )
    event = ReviewEvent.objects.get(request=in_review)
    assert (event.action, event.comment) == (Action.REJECT, "No data deletion policy.")
    assert len(mailoutbox) == 1
    assert "No data deletion policy." in mailoutbox[0].body


def test_request_changes_keeps_per_answer_comments_and_mails_them(
    in_review, reviewer, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        reviews.access_request_request_changes(
            request_id=in_review.pk,
            reviewer=reviewer,
            comment="Tell us more.",
            field_comments={"data_protection": "How long is data kept?", "justification": "  "},
        )

    in_review.refresh_from_db()
    assert in_review.status == Status.CHANGES_REQUESTED
    event = ReviewEvent.objects.get(request=in_review)
    assert (event.action, event.comment, event.details) == (
        Action.REQUEST_CHANGES,
        "Tell us more.",
        {"field_comments": {"data_protection": "How long is data kept?"}},
    )
    assert len(mailoutbox) == 1
    assert 'On "Data protection": How long is data kept?' in mailoutbox[0].body


def test_request_changes_refuses_comments_on_unknown_fields(in_review, reviewer):
    before = snapshot(in_review)

    with pytest.raises(DomainError, match="Unknown answer fields: status"):
        reviews.access_request_request_changes(
            request_id=in_review.pk, reviewer=reviewer, comment="x", field_comments={"status": "y"}
        )

    assert snapshot(in_review) == before


@pytest.mark.parametrize(
    ("status", "call"),
    [
        (
            Status.IN_REVIEW,
            lambda r, u: reviews.access_request_reject(request_id=r.pk, reviewer=u, reason=" "),
        ),
        (
            Status.IN_REVIEW,
            lambda r, u: reviews.access_request_request_changes(
                request_id=r.pk, reviewer=u, comment=""
            ),
        ),
        (
            Status.APPROVED,
            lambda r, u: reviews.access_request_revoke(request_id=r.pk, reviewer=u, reason="\n"),
        ),
    ],
    ids=["reject", "request_changes", "revoke"],
)
def test_decisions_that_need_a_written_reason_refuse_a_blank_one(status, call, reviewer):
    access_request = make_request(status=status, assigned_to=reviewer)
    before = snapshot(access_request)

    with pytest.raises(DomainError, match="the partner will see it"):
        call(access_request, reviewer)

    assert snapshot(access_request) == before


def test_full_lifecycle_with_changes_requested_and_resubmission(reviewer):
    app = factories.PartnerAppFactory()
    member = make_member(app.partner)
    access_request = access_requests.access_request_submit(
        app=app, scope=factories.CustomScopeFactory(), answers=ANSWERS, acting_user=member
    )
    reviews.access_request_assign(request_id=access_request.pk, reviewer=reviewer)
    reviews.access_request_request_changes(
        request_id=access_request.pk, reviewer=reviewer, comment="More."
    )
    access_requests.access_request_resubmit(
        request_id=access_request.pk, answers={"data_usage": "Changed."}, acting_user=member
    )
    reviews.access_request_assign(request_id=access_request.pk, reviewer=reviewer)
    reviews.access_request_approve(request_id=access_request.pk, reviewer=reviewer)
    reviews.access_request_revoke(request_id=access_request.pk, reviewer=reviewer, reason="Abuse.")

    access_request.refresh_from_db()
    assert access_request.status == Status.REVOKED
    assert access_request.version == 7
    assert events(access_request) == [
        (Action.SUBMIT, "", Status.SUBMITTED),
        (Action.ASSIGN, Status.SUBMITTED, Status.IN_REVIEW),
        (Action.REQUEST_CHANGES, Status.IN_REVIEW, Status.CHANGES_REQUESTED),
        (Action.RESUBMIT, Status.CHANGES_REQUESTED, Status.SUBMITTED),
        (Action.ASSIGN, Status.SUBMITTED, Status.IN_REVIEW),
        (Action.APPROVE, Status.IN_REVIEW, Status.APPROVED),
        (Action.REVOKE, Status.APPROVED, Status.REVOKED),
    ]


# --- Illegal transitions ------------------------------------------------------------------------


def _decide(name):
    return {
        "approve": lambda r, u: reviews.access_request_approve(request_id=r.pk, reviewer=u),
        "reject": lambda r, u: reviews.access_request_reject(
            request_id=r.pk, reviewer=u, reason="No."
        ),
        "request_changes": lambda r, u: reviews.access_request_request_changes(
            request_id=r.pk, reviewer=u, comment="More."
        ),
        "assign": lambda r, u: reviews.access_request_assign(request_id=r.pk, reviewer=u),
        "revoke": lambda r, u: reviews.access_request_revoke(
            request_id=r.pk, reviewer=u, reason="No."
        ),
    }[name]


ILLEGAL_REVIEWER_TRANSITIONS = [
    (action, status)
    for action, allowed in [
        ("assign", {Status.SUBMITTED, Status.IN_REVIEW}),
        ("approve", {Status.IN_REVIEW}),
        ("reject", {Status.IN_REVIEW}),
        ("request_changes", {Status.IN_REVIEW}),
        ("revoke", {Status.APPROVED}),
    ]
    for status in ALL_STATUSES
    if status not in allowed
]


@pytest.mark.parametrize(("action", "status"), ILLEGAL_REVIEWER_TRANSITIONS)
def test_reviewer_actions_refuse_every_illegal_transition(action, status, reviewer, mailoutbox):
    access_request = make_request(status=status, assigned_to=reviewer)
    before = snapshot(access_request)

    with pytest.raises(InvalidTransitionError, match="You cannot"):
        _decide(action)(access_request, reviewer)

    assert snapshot(access_request) == before


@pytest.mark.parametrize(
    ("action", "verb"),
    [("approve", "approve"), ("reject", "reject"), ("request_changes", "request changes on")],
)
def test_a_decision_on_an_untaken_application_says_to_take_it_first(action, verb, reviewer):
    access_request = make_request(status=Status.SUBMITTED)
    before = snapshot(access_request)

    with pytest.raises(InvalidTransitionError) as refused:
        _decide(action)(access_request, reviewer)

    assert str(refused.value) == (
        f"You cannot {verb} an application nobody has taken yet: assign it to yourself first."
    )
    assert snapshot(access_request) == before


@pytest.mark.parametrize(
    ("action", "status"),
    [("resubmit", status) for status in ALL_STATUSES if status != Status.CHANGES_REQUESTED]
    + [
        ("withdraw", status) for status in ALL_STATUSES if status not in AccessRequest.OPEN_STATUSES
    ],
)
def test_partner_actions_refuse_every_illegal_transition(action, status):
    access_request = make_request(status=status)
    before = snapshot(access_request)

    partner_action = {
        "resubmit": lambda: access_requests.access_request_resubmit(
            request_id=access_request.pk,
            answers={"justification": "Different."},
            acting_user=access_request.submitted_by,
        ),
        "withdraw": lambda: access_requests.access_request_withdraw(
            request_id=access_request.pk, acting_user=access_request.submitted_by
        ),
    }[action]

    with pytest.raises(InvalidTransitionError, match="You cannot"):
        partner_action()

    assert snapshot(access_request) == before


@pytest.mark.parametrize("action", ["approve", "reject", "request_changes"])
def test_deciding_needs_the_request_assigned_to_you(action, in_review):
    other = make_reviewer()
    before = snapshot(in_review)

    with pytest.raises(PermissionRefusedError, match="Assign the application to yourself"):
        _decide(action)(in_review, other)

    assert snapshot(in_review) == before


def test_stale_version_is_refused(in_review, reviewer):
    before = snapshot(in_review)

    with pytest.raises(StaleAccessRequestError, match="changed since you opened it"):
        reviews.access_request_approve(
            request_id=in_review.pk, reviewer=reviewer, expected_version=in_review.version - 1
        )

    assert snapshot(in_review) == before


def test_a_stale_page_cannot_approve_a_withdrawn_request(in_review, reviewer):
    seen_version = in_review.version
    access_requests.access_request_withdraw(
        request_id=in_review.pk, acting_user=in_review.submitted_by
    )
    before = snapshot(in_review)

    with pytest.raises(StaleAccessRequestError):
        reviews.access_request_approve(
            request_id=in_review.pk, reviewer=reviewer, expected_version=seen_version
        )

    assert snapshot(in_review) == before


def test_unknown_request_id_is_a_clear_error(reviewer):
    with pytest.raises(AccessRequestNotFoundError, match="No such application"):
        reviews.access_request_assign(request_id=987654, reviewer=reviewer)


# --- Who may review: separation of duties -------------------------------------------------------


@pytest.mark.parametrize("action", ["assign", "approve", "reject", "request_changes", "revoke"])
def test_a_reviewer_in_the_requesting_partner_is_refused(action, caplog):
    reviewer = make_reviewer()
    status = Status.APPROVED if action == "revoke" else Status.IN_REVIEW
    access_request = make_request(status=status, assigned_to=reviewer)
    factories.MembershipFactory(partner=access_request.app.partner, user=reviewer)
    before = snapshot(access_request)

    with pytest.raises(
        PermissionRefusedError, match="You are a member of the partner that applied"
    ):
        _decide(action)(access_request, reviewer)

    assert snapshot(access_request) == before
    assert f"SoD denied: user {reviewer.pk} on access request {access_request.pk}" in caplog.text


def test_a_reviewer_who_submitted_the_request_is_refused():
    reviewer = make_reviewer()
    access_request = make_request(submitted_by=reviewer)
    before = snapshot(access_request)

    with pytest.raises(PermissionRefusedError) as refusal:
        reviews.access_request_assign(request_id=access_request.pk, reviewer=reviewer)

    assert str(refusal.value) == (
        "You submitted this application, so another reviewer must handle it."
    )

    assert snapshot(access_request) == before


def _leave_partner(user, partner) -> None:
    membership = Membership.objects.get(partner=partner, user=user)
    partner_services.membership_remove(membership_id=membership.pk, acting_user=user)


def _submitted_it(reviewer, access_request):
    AccessRequest.objects.filter(pk=access_request.pk).update(submitted_by=reviewer)


def _submitted_it_then_left(reviewer, access_request):
    factories.MembershipFactory(partner=access_request.app.partner, user=reviewer)
    _submitted_it(reviewer, access_request)
    _leave_partner(reviewer, access_request.app.partner)


def _is_a_member(reviewer, access_request):
    factories.MembershipFactory(partner=access_request.app.partner, user=reviewer)


def _was_a_member(reviewer, access_request):
    _is_a_member(reviewer, access_request)
    _leave_partner(reviewer, access_request.app.partner)


@pytest.mark.parametrize(
    ("arrange", "message"),
    [
        (_submitted_it, "You submitted this application, so another reviewer must handle it."),
        (
            _submitted_it_then_left,
            "You submitted this application, so another reviewer must handle it.",
        ),
        (
            _is_a_member,
            "You are a member of the partner that applied, so another reviewer must handle it.",
        ),
        (
            _was_a_member,
            "You were a member of the partner that applied, so another reviewer must handle it.",
        ),
    ],
)
def test_a_conflict_of_interest_is_refused_with_what_is_true_of_the_reviewer(
    arrange, message, caplog
):
    reviewer = make_reviewer()
    access_request = make_request()
    factories.MembershipFactory(partner=access_request.app.partner, role="owner")
    arrange(reviewer, access_request)
    before = snapshot(access_request)

    with pytest.raises(PermissionRefusedError) as refusal:
        reviews.access_request_assign(request_id=access_request.pk, reviewer=reviewer)

    assert str(refusal.value) == message
    assert snapshot(access_request) == before
    assert f"SoD denied: user {reviewer.pk} on access request {access_request.pk}" in caplog.text
    assert str(rules.assign_refusal(reviewer=reviewer, access_request=access_request)) == message


def test_a_reviewer_cannot_approve_a_resubmission_they_made_as_a_former_member():
    access_request = make_request(status=Status.CHANGES_REQUESTED)
    reviewer = make_reviewer()
    membership = factories.MembershipFactory(partner=access_request.app.partner, user=reviewer)
    access_requests.access_request_resubmit(
        request_id=access_request.pk,
        answers={"justification": "Edited by the reviewer while a member."},
        acting_user=reviewer,
    )
    Membership.objects.filter(pk=membership.pk).delete()  # then left the partner
    before = snapshot(access_request)

    with pytest.raises(PermissionRefusedError, match="acted on this application for the partner"):
        reviews.access_request_assign(request_id=access_request.pk, reviewer=reviewer)

    assert snapshot(access_request) == before


def test_the_refusal_predicates_say_what_the_services_would_refuse_and_change_nothing():
    first, second = make_reviewer(), make_reviewer()
    access_request = make_first_approved(first)
    before = snapshot(access_request)

    def refusal(reviewer, action):
        found = rules.decision_refusal(
            reviewer=reviewer, access_request=access_request, action=action
        )
        return str(found) if found else None

    second_approval = (
        "You gave the first approval, so this application needs a second approval from a different "
        "reviewer."
    )
    assert refusal(first, ReviewEvent.Action.APPROVE) == second_approval
    assert refusal(first, ReviewEvent.Action.REJECT) is None
    assert refusal(first, ReviewEvent.Action.REQUEST_CHANGES) is None
    assert refusal(first, ReviewEvent.Action.REVOKE) == (
        "You cannot revoke an application that is “In review”."
    )
    assert refusal(second, ReviewEvent.Action.APPROVE) == (
        "Assign the application to yourself before you approve it."
    )
    assert rules.assign_refusal(reviewer=second, access_request=access_request) is None
    assert str(rules.assign_refusal(reviewer=first, access_request=access_request)) == (
        "This application is already assigned to you."
    )
    assert snapshot(access_request) == before
    with pytest.raises(PermissionRefusedError) as raised:
        reviews.access_request_approve(request_id=access_request.pk, reviewer=first)
    assert str(raised.value) == second_approval
    assert snapshot(access_request) == before


def _predicate_refusal(reviewer, access_request, action):
    if action == Action.ASSIGN:
        return rules.assign_refusal(reviewer=reviewer, access_request=access_request)
    return rules.decision_refusal(reviewer=reviewer, access_request=access_request, action=action)


@pytest.mark.parametrize("status", ALL_STATUSES)
def test_review_options_are_what_the_status_allows_with_the_predicates_refusals(status):
    assignee, other, member = make_reviewer(), make_reviewer(), make_reviewer()
    access_request = make_request(
        status=status,
        assigned_to=assignee,
        first_approved_by=assignee if status == Status.IN_REVIEW else None,
        scope=factories.CustomScopeFactory(requires_dual_approval=True),
    )
    factories.MembershipFactory(partner=access_request.app.partner, user=member)
    plain_staff = factories.UserFactory(is_staff=True)
    allowed = {
        Status.SUBMITTED: [Action.ASSIGN],
        Status.IN_REVIEW: [Action.ASSIGN, Action.APPROVE, Action.REQUEST_CHANGES, Action.REJECT],
        Status.APPROVED: [Action.REVOKE],
    }.get(status, [])

    for user in (assignee, other, member, plain_staff):
        options = rules.review_options(reviewer=user, access_request=access_request)

        assert list(options) == allowed
        for action, refusal in options.items():
            expected = _predicate_refusal(user, access_request, action)
            assert (type(refusal), str(refusal)) == (type(expected), str(expected))


def test_review_options_check_for_a_conflict_of_interest_once(
    reviewer, in_review, django_assert_num_queries
):
    rules.assign_refusal(reviewer=reviewer, access_request=in_review)  # caches the permissions
    with CaptureQueriesContext(connection) as one_action:
        rules.assign_refusal(reviewer=reviewer, access_request=in_review)

    with django_assert_num_queries(len(one_action.captured_queries)):
        options = rules.review_options(reviewer=reviewer, access_request=in_review)

    assert len(options) == 4


@pytest.mark.parametrize("action", ["assign", "approve", "reject", "request_changes", "revoke"])
def test_people_without_the_review_permission_are_refused(action):
    access_request = make_request(
        status=Status.APPROVED if action == "revoke" else Status.IN_REVIEW
    )
    partner_member = access_request.submitted_by
    plain_staff = factories.UserFactory(is_staff=True)
    inactive_reviewer = make_reviewer(is_active=False)
    before = snapshot(access_request)

    for user in (partner_member, plain_staff, inactive_reviewer):
        access_request.assigned_to = user
        AccessRequest.objects.filter(pk=access_request.pk).update(assigned_to=user)
        with pytest.raises(PermissionRefusedError, match="Only reviewers"):
            _decide(action)(access_request, user)

    AccessRequest.objects.filter(pk=access_request.pk).update(assigned_to=None)
    assert snapshot(access_request) == before


def test_dual_approval_needs_two_distinct_reviewers(django_capture_on_commit_callbacks, mailoutbox):
    first, second = make_reviewer(), make_reviewer()
    access_request = make_request(
        status=Status.IN_REVIEW,
        assigned_to=first,
        scope=factories.CustomScopeFactory(requires_dual_approval=True),
    )

    with django_capture_on_commit_callbacks(execute=True):
        reviews.access_request_approve(request_id=access_request.pk, reviewer=first)
    access_request.refresh_from_db()
    assert (
        access_request.status,
        access_request.first_approved_by,
        access_request.assigned_to,
    ) == (
        Status.IN_REVIEW,
        first,
        None,
    )
    assert [message.to for message in mailoutbox] == [[second.email]]
    assert mailoutbox[0].subject.startswith("Second approval needed")

    reviews.access_request_assign(request_id=access_request.pk, reviewer=first)
    before = snapshot(access_request)
    with pytest.raises(PermissionRefusedError, match="second approval from a different reviewer"):
        reviews.access_request_approve(request_id=access_request.pk, reviewer=first)
    assert snapshot(access_request) == before

    reviews.access_request_assign(request_id=access_request.pk, reviewer=second)
    reviews.access_request_approve(request_id=access_request.pk, reviewer=second)

    access_request.refresh_from_db()
    assert (access_request.status, access_request.decided_by) == (Status.APPROVED, second)
    assert [event[0] for event in events(access_request)] == [
        Action.FIRST_APPROVAL,
        Action.ASSIGN,
        Action.ASSIGN,
        Action.APPROVE,
    ]


def test_a_first_approval_by_someone_who_since_joined_the_partner_does_not_count(
    django_capture_on_commit_callbacks, mailoutbox
):
    first, second, third = make_reviewer(), make_reviewer(), make_reviewer()
    access_request = make_request(
        status=Status.IN_REVIEW,
        assigned_to=second,
        first_approved_by=first,
        scope=factories.CustomScopeFactory(requires_dual_approval=True),
    )
    factories.MembershipFactory(partner=access_request.app.partner, user=first)  # joined later

    with django_capture_on_commit_callbacks(execute=True):
        reviews.access_request_approve(request_id=access_request.pk, reviewer=second)

    access_request.refresh_from_db()
    assert (
        access_request.status,
        access_request.first_approved_by,
        access_request.assigned_to,
        access_request.decided_by,
    ) == (Status.IN_REVIEW, second, None, None)
    event = ReviewEvent.objects.get(request=access_request)
    assert (event.action, event.actor, event.details) == (
        Action.FIRST_APPROVAL,
        second,
        {"voided_first_approval_by": first.pk},
    )
    assert [(message.to, message.subject.split(":")[0]) for message in mailoutbox] == [
        ([third.email], "Second approval needed")
    ]


def _submit(scope) -> AccessRequest:
    app = factories.PartnerAppFactory()
    return access_requests.access_request_submit(
        app=app, scope=scope, answers=ANSWERS, acting_user=make_member(app.partner)
    )


def test_submission_records_the_scopes_review_rule():
    dual = _submit(factories.CustomScopeFactory(requires_dual_approval=True))
    single = _submit(factories.CustomScopeFactory(requires_dual_approval=False))

    assert (dual.requires_dual_approval, single.requires_dual_approval) == (True, False)


def test_application_keeps_dual_approval_when_the_scope_drops_it_after_submission():
    scope = factories.CustomScopeFactory(requires_dual_approval=True)
    access_request = _submit(scope)
    Scope.objects.filter(pk=scope.pk).update(requires_dual_approval=False)
    first = make_reviewer()
    reviews.access_request_assign(request_id=access_request.pk, reviewer=first)

    reviews.access_request_approve(request_id=access_request.pk, reviewer=first)

    # Still a first approval of two (the rest of the two-reviewer path is tested above).
    access_request.refresh_from_db()
    assert (access_request.status, access_request.first_approved_by) == (Status.IN_REVIEW, first)
    assert [event[0] for event in events(access_request)] == [
        Action.SUBMIT,
        Action.ASSIGN,
        Action.FIRST_APPROVAL,
    ]


def test_application_keeps_single_approval_when_the_scope_adds_dual_approval_later():
    scope = factories.CustomScopeFactory(requires_dual_approval=False)
    access_request = _submit(scope)
    Scope.objects.filter(pk=scope.pk).update(requires_dual_approval=True)
    reviewer = make_reviewer()
    reviews.access_request_assign(request_id=access_request.pk, reviewer=reviewer)

    reviews.access_request_approve(request_id=access_request.pk, reviewer=reviewer)

    access_request.refresh_from_db()
    assert (access_request.status, access_request.decided_by, access_request.first_approved_by) == (
        Status.APPROVED,
        reviewer,
        None,
    )


def test_request_changes_voids_a_first_approval():
    first, second = make_reviewer(), make_reviewer()
    access_request = make_request(
        status=Status.IN_REVIEW,
        assigned_to=second,
        first_approved_by=first,
        scope=factories.CustomScopeFactory(requires_dual_approval=True),
    )

    reviews.access_request_request_changes(
        request_id=access_request.pk, reviewer=second, comment="More."
    )

    access_request.refresh_from_db()
    assert access_request.first_approved_by is None


# --- What revocation and expiry take away -------------------------------------------------------


@pytest.fixture
def granted(reviewer):
    """An approved scope the app asks for, a seller granted, and tokens that carry it."""
    access_request = make_request(status=Status.APPROVED, assigned_to=reviewer)
    app, scope = access_request.app, access_request.scope
    public = factories.ScopeFactory()
    factories.AppScopeFactory(app=app, scope=scope)
    factories.AppScopeFactory(app=app, scope=public)
    authorization = factories.ShopAuthorizationFactory(app=app, scopes=[scope, public])
    seller = authorization.shop.owner
    both = make_access_token(
        app=app, user=seller, scope=f"{public.key} {scope.key}", raw="tok-both"
    )
    only = make_access_token(app=app, user=seller, scope=scope.key, raw="tok-only")
    other_app_token = make_access_token(
        app=factories.PartnerAppFactory(), user=seller, scope=scope.key, raw="tok-other"
    )
    return {
        "request": access_request,
        "scope": scope,
        "public": public,
        "authorization": authorization,
        "both": both,
        "only": only,
        "other_app_token": other_app_token,
    }


def assert_scope_stripped(granted):
    app, scope, public = granted["request"].app, granted["scope"], granted["public"]
    assert list(AppScope.objects.filter(app=app).values_list("scope__key", flat=True)) == [
        public.key
    ]
    assert list(granted["authorization"].scopes.values_list("key", flat=True)) == [public.key]
    assert AccessToken.objects.get(pk=granted["both"].pk).scope == public.key
    assert not AccessToken.objects.filter(pk=granted["only"].pk).exists()
    assert RefreshToken.objects.filter(revoked__isnull=False).count() == 1  # "only"'s refresh token
    assert AccessToken.objects.get(pk=granted["other_app_token"].pk).scope == scope.key


def test_revoke_strips_the_scope_from_app_scopes_authorizations_and_tokens(
    granted, reviewer, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        reviews.access_request_revoke(
            request_id=granted["request"].pk, reviewer=reviewer, reason="Data misuse."
        )

    access_request = granted["request"]
    access_request.refresh_from_db()
    assert access_request.status == Status.REVOKED
    assert_scope_stripped(granted)
    event = ReviewEvent.objects.get(request=access_request)
    assert (event.action, event.comment, event.details) == (
        Action.REVOKE,
        "Data misuse.",
        {
            "app_scopes_removed": 1,
            "authorizations_changed": 1,
            "authorizations_closed": 0,
            "tokens_changed": 2,
        },
    )
    assert len(mailoutbox) == 1
    assert mailoutbox[0].subject.startswith("Access revoked")


def test_expire_due_expires_only_past_approvals_and_strips_them(
    granted, django_capture_on_commit_callbacks, mailoutbox
):
    AccessRequest.objects.filter(pk=granted["request"].pk).update(
        approval_expires_at=timezone.now() - timedelta(minutes=1)
    )
    still_live = make_request(status=Status.APPROVED)

    with django_capture_on_commit_callbacks(execute=True):
        assert access_request_jobs.access_requests_expire_due() == 1

    granted["request"].refresh_from_db()
    still_live.refresh_from_db()
    assert granted["request"].status == Status.EXPIRED
    assert still_live.status == Status.APPROVED
    assert_scope_stripped(granted)
    event = ReviewEvent.objects.get(request=granted["request"])
    assert (event.action, event.actor, event.from_status) == (Action.EXPIRE, None, Status.APPROVED)
    assert [message.subject.split(":")[0] for message in mailoutbox] == ["Approval expired"]
    assert access_request_jobs.access_requests_expire_due() == 0


def test_reapplying_after_the_approval_ended_but_before_the_sweep_expires_it_first(
    granted, reviewer, django_capture_on_commit_callbacks, mailoutbox
):
    ended = granted["request"]
    AccessRequest.objects.filter(pk=ended.pk).update(
        approval_expires_at=timezone.now() - timedelta(minutes=1)
    )
    member = make_member(ended.app.partner)

    with django_capture_on_commit_callbacks(execute=True):
        reapplied = access_requests.access_request_submit(
            app=ended.app, scope=ended.scope, answers=ANSWERS, acting_user=member
        )

    ended.refresh_from_db()
    assert ended.status == Status.EXPIRED
    assert reapplied.status == Status.SUBMITTED
    assert_scope_stripped(granted)
    assert [
        (event.request_id, event.action, event.from_status, event.to_status, event.actor)
        for event in ReviewEvent.objects.order_by("created_at", "pk")
    ] == [
        (ended.pk, Action.EXPIRE, Status.APPROVED, Status.EXPIRED, None),
        (reapplied.pk, Action.SUBMIT, "", Status.SUBMITTED, member),
    ]
    assert sorted((message.subject.split(":")[0], message.to[0]) for message in mailoutbox) == [
        ("Application to review", reviewer.email),
        *(("Approval expired", email) for email in member_emails(ended.app.partner)),
    ]


def test_reapplying_while_the_approval_is_live_is_refused_and_changes_nothing(granted, mailoutbox):
    live = granted["request"]
    AccessRequest.objects.filter(pk=live.pk).update(
        approval_expires_at=timezone.now() + timedelta(minutes=1)
    )
    before = snapshot(live)

    with pytest.raises(
        InvalidTransitionError, match="already has an open application or an approval"
    ):
        access_requests.access_request_submit(
            app=live.app,
            scope=live.scope,
            answers=ANSWERS,
            acting_user=make_member(live.app.partner),
        )

    assert snapshot(live) == before
    assert AccessRequest.objects.count() == 1
    assert AppScope.objects.filter(app=live.app, scope=live.scope).count() == 1
    assert AccessToken.objects.get(pk=granted["only"].pk).scope == live.scope.key
    assert mailoutbox == []


def test_a_failed_transition_sends_no_mail(
    in_review, reviewer, django_capture_on_commit_callbacks, mailoutbox
):
    def reject_then_fail():
        with transaction.atomic():
            reviews.access_request_reject(request_id=in_review.pk, reviewer=reviewer, reason="No.")
            raise RuntimeError("rolled back after the service ran")

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        reject_then_fail()

    assert snapshot(in_review)["status"] == Status.IN_REVIEW
    assert mailoutbox == []


# --- The history is append-only -----------------------------------------------------------------


@pytest.fixture
def event(in_review, reviewer):
    reviews.access_request_reject(request_id=in_review.pk, reviewer=reviewer, reason="Original.")
    return ReviewEvent.objects.get(request=in_review)


@pytest.mark.parametrize(
    "tamper",
    [
        lambda e: (setattr(e, "comment", "Rewritten."), e.save()),
        lambda e: e.delete(),
        lambda e: ReviewEvent.objects.filter(pk=e.pk).update(comment="Rewritten."),
        lambda e: ReviewEvent.objects.filter(pk=e.pk).delete(),
        lambda e: e.request.events.all().delete(),
        lambda e: ReviewEvent.objects.bulk_update([e], ["comment"]),
    ],
    ids=["save", "delete", "queryset-update", "queryset-delete", "related-delete", "bulk-update"],
)
def test_history_cannot_be_changed_through_the_orm(tamper, event):
    with pytest.raises(PermissionRefusedError, match="append-only"):
        tamper(event)

    stored = ReviewEvent.objects.get(pk=event.pk)
    assert stored.comment == "Original."


@pytest.mark.postgres
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE apps_registry_reviewevent SET comment = 'Rewritten.' WHERE id = %s",
        "DELETE FROM apps_registry_reviewevent WHERE id = %s",
    ],
    ids=["update", "delete"],
)
def test_history_cannot_be_changed_with_raw_sql_on_postgresql(sql, event):
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, [event.pk])

    assert ReviewEvent.objects.filter(pk=event.pk, comment="Original.").count() == 1
