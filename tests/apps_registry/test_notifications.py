"""Who gets which e-mail, and what it says; a failed send never undoes a committed decision."""

from __future__ import annotations

import pytest

from apps_registry import notifications
from apps_registry.events import review as review_events
from apps_registry.models import AccessRequest
from apps_registry.services import reviews
from core.errors import InvalidTransitionError
from tests import factories
from tests.apps_registry.review_helpers import make_member, make_request, make_reviewer

pytestmark = pytest.mark.django_db

Status = AccessRequest.Status


def test_submission_mail_goes_to_each_eligible_reviewer_separately(mailoutbox):
    access_request = make_request()
    reviewers = [make_reviewer(), make_reviewer()]
    superuser = factories.UserFactory(is_staff=True, is_superuser=True)
    factories.UserFactory(is_staff=True)  # staff without the permission
    make_reviewer(is_active=False)
    member_reviewer = make_reviewer()
    factories.MembershipFactory(partner=access_request.app.partner, user=member_reviewer)

    assert notifications.notify_reviewers_of_submission(request_id=access_request.pk) == 3

    assert sorted(message.to[0] for message in mailoutbox) == sorted(
        [reviewers[0].email, reviewers[1].email, superuser.email]
    )
    assert all(len(message.to) == 1 for message in mailoutbox)


def test_decision_mail_goes_to_every_member_with_the_reviewers_words(mailoutbox):
    reviewer = make_reviewer()
    access_request = make_request(status=Status.IN_REVIEW, assigned_to=reviewer)
    second_member = make_member(access_request.app.partner)
    reviews.access_request_reject(
        request_id=access_request.pk, reviewer=reviewer, reason="Your <b>policy</b> & terms."
    )

    assert notifications.notify_partner_of_decision(request_id=access_request.pk) == 2

    assert sorted(m.to[0] for m in mailoutbox) == sorted(
        [access_request.submitted_by.email, second_member.email]
    )
    message = mailoutbox[0]
    assert (
        message.subject == f"Not approved: {access_request.scope.key} for {access_request.app.name}"
    )
    assert "Your <b>policy</b> & terms." in message.body  # plain text: not HTML-escaped
    assert f"/console/requests/{access_request.pk}/" in message.body


def test_decision_mail_never_quotes_a_reviewers_internal_note_written_after_it(mailoutbox):
    reviewer = make_reviewer()
    access_request = make_request(status=Status.IN_REVIEW, assigned_to=reviewer)
    reviews.access_request_reject(
        request_id=access_request.pk, reviewer=reviewer, reason="No privacy policy."
    )
    decision = access_request.events.get(action=review_events.Action.REJECT)
    review_events.record_review_event(
        access_request,
        review_events.Commented(),
        actor=reviewer,
        now=decision.created_at,  # same instant: only the row order says it came later
        comment="Internal: the vendor looked shady on the call.",
    )

    notifications.notify_partner_of_decision(request_id=access_request.pk)

    body = mailoutbox[0].body
    assert "No privacy policy." in body
    assert "shady" not in body


@pytest.mark.parametrize(
    ("status", "subject"),
    [
        (Status.APPROVED, "Approved"),
        (Status.CHANGES_REQUESTED, "Changes requested"),
        (Status.REVOKED, "Access revoked"),
        (Status.EXPIRED, "Approval expired"),
    ],
)
def test_every_partner_facing_state_has_its_mail(status, subject, mailoutbox):
    access_request = make_request(status=status)

    notifications.notify_partner_of_decision(request_id=access_request.pk)

    assert [m.subject.split(":")[0] for m in mailoutbox] == [subject]
    assert access_request.scope.key in mailoutbox[0].body


def test_approve_twice_mails_once(django_capture_on_commit_callbacks, mailoutbox):
    reviewer = make_reviewer()
    access_request = make_request(status=Status.IN_REVIEW, assigned_to=reviewer)

    with django_capture_on_commit_callbacks(execute=True):
        reviews.access_request_approve(request_id=access_request.pk, reviewer=reviewer)
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(InvalidTransitionError),
    ):
        reviews.access_request_approve(request_id=access_request.pk, reviewer=reviewer)

    assert len(mailoutbox) == 1


def test_a_mail_failure_after_commit_does_not_turn_a_decision_into_an_error(
    failing_mail, django_capture_on_commit_callbacks, caplog
):
    reviewer = make_reviewer()
    access_request = make_request(status=Status.IN_REVIEW, assigned_to=reviewer)

    with django_capture_on_commit_callbacks(execute=True):
        reviews.access_request_reject(
            request_id=access_request.pk, reviewer=reviewer, reason="Not needed."
        )

    access_request.refresh_from_db()
    assert access_request.status == Status.REJECTED
    assert "mail server went away" in caplog.text
