"""Security review of the Custom-scope workflow and the reviewers' admin: paths around separation
of duties, e-mail failures after a committed decision, malformed admin input and query counts."""

from __future__ import annotations

import smtplib
from datetime import timedelta

import pytest
from django.core.mail.backends import locmem
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from apps_registry.models import AccessRequest, Membership, ReviewEvent
from apps_registry.services import access_requests, reviews
from core.errors import PermissionRefusedError
from tests import factories
from tests.apps_registry.review_helpers import make_request, make_reviewer, snapshot
from tests.conftest import sign_in_with_mfa

pytestmark = pytest.mark.django_db

Status = AccessRequest.Status
Action = ReviewEvent.Action
QUEUE_URL = reverse("admin:apps_registry_accessrequest_changelist")


@pytest.fixture
def failing_mail(monkeypatch):
    """The mail server refuses every message (down, quota, bad credentials)."""

    def refuse(backend, messages):
        raise smtplib.SMTPServerDisconnected("mail server went away")

    monkeypatch.setattr(locmem.EmailBackend, "send_messages", refuse)


# --- Separation of duties -----------------------------------------------------------------------


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


# --- E-mail failures never undo or hide a committed decision ------------------------------------


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


@pytest.mark.django_db(transaction=True)
def test_a_mail_failure_does_not_stop_a_bulk_approval_halfway(client, failing_mail):
    reviewer = make_reviewer()
    sign_in_with_mfa(client, reviewer)
    requests = [make_request(status=Status.IN_REVIEW, assigned_to=reviewer) for _ in range(2)]

    response = client.post(
        QUEUE_URL, {"action": "approve_selected", "_selected_action": [r.pk for r in requests]}
    )

    assert response.status_code == 302
    assert [
        AccessRequest.objects.get(pk=access_request.pk).status for access_request in requests
    ] == [Status.APPROVED, Status.APPROVED]


@pytest.mark.django_db(transaction=True)
def test_a_mail_failure_does_not_stop_the_daily_expiry(failing_mail):
    past = timezone.now() - timedelta(minutes=1)
    due = [
        make_request(status=Status.APPROVED, approval_expires_at=past),
        make_request(status=Status.APPROVED, approval_expires_at=past),
    ]

    call_command("send_review_reminders")

    assert [AccessRequest.objects.get(pk=r.pk).status for r in due] == [
        Status.EXPIRED,
        Status.EXPIRED,
    ]


# --- Malformed admin input ----------------------------------------------------------------------


@pytest.mark.parametrize("selected", ["abc", "1.5", "99999999999999999999999"])
def test_a_bulk_action_on_malformed_ids_is_a_clear_refusal(client, selected):
    reviewer = make_reviewer()
    sign_in_with_mfa(client, reviewer)
    access_request = make_request(status=Status.SUBMITTED)
    before = snapshot(access_request)

    response = client.post(
        QUEUE_URL, {"action": "assign_to_me", "_selected_action": [selected]}, follow=True
    )

    assert response.redirect_chain == [(QUEUE_URL, 302)]
    assert [str(message) for message in response.context["messages"]] == [
        "Select the items from the list, then run the action."
    ]
    assert snapshot(access_request) == before


# --- Query counts -------------------------------------------------------------------------------


def test_the_app_page_runs_a_constant_number_of_queries(client, admin_user):
    sign_in_with_mfa(client, admin_user)
    app = factories.PartnerAppFactory()
    url = reverse("admin:apps_registry_partnerapp_change", args=[app.pk])
    make_request(app=app, scope=factories.CustomScopeFactory())
    factories.AppScopeFactory(app=app, scope=factories.ScopeFactory())
    client.get(url)  # the first page of a session also refreshes the session
    with CaptureQueriesContext(connection) as one_each:
        assert client.get(url).status_code == 200

    for _ in range(5):
        make_request(app=app, scope=factories.CustomScopeFactory(), status=Status.REJECTED)
        factories.AppScopeFactory(app=app, scope=factories.ScopeFactory())
    with CaptureQueriesContext(connection) as six_each:
        assert client.get(url).status_code == 200

    assert len(six_each.captured_queries) == len(one_each.captured_queries)
