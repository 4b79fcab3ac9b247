"""The admin's confirm pages (a reviewer's decision, an app's suspension) show a refusal the way
every page does (ADR 0013): the form again, with the refusal's status (400 input, 403 permission,
409 state) and its message on the form or on its field; nothing changes. The buttons (assign to me,
reinstate) go back to the object with the refusal as an error message."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from oauth2_provider.models import AccessToken

from apps_registry.models import AccessRequest, PartnerApp, PartnerAuditEvent
from apps_registry.services import access_requests
from tests import factories
from tests.apps_registry.review_helpers import (
    make_access_token,
    make_first_approved,
    make_request,
    make_reviewer,
    snapshot,
)

pytestmark = pytest.mark.django_db

Status = AccessRequest.Status


def decide_url(access_request, decision: str) -> str:
    return reverse("admin:apps_registry_accessrequest_decide", args=[access_request.pk, decision])


def suspend_url(app) -> str:
    return reverse("admin:apps_registry_partnerapp_suspend", args=[app.pk])


def refused_on_top(response, message: str) -> bool:
    """The message as the form's own error, where the confirm page shows it."""
    return (
        response.context["form"].errors == {"__all__": [message]}
        and f'<div class="errornote" role="alert" id="action-refusal">{escape(message)} </div>'
        in response.text
    )


def refused_on_field(response, field: str, message: str) -> bool:
    return (
        response.context["form"].errors == {field: [message]}
        and f"<li>{escape(message)}</li>" in response.text
    )


# --- Decision pages -----------------------------------------------------------------------------


def test_a_decision_without_a_reason_is_a_400_on_the_reason(client, in_review):
    before = snapshot(in_review)

    response = client.post(
        decide_url(in_review, "reject"), {"version": in_review.version, "reason": "   "}
    )

    assert response.status_code == 400
    assert refused_on_field(
        response, "reason", "Write a reason: the partner sees it and needs it to act."
    )
    assert snapshot(in_review) == before


def test_an_approval_ending_today_is_a_400_on_its_date(client, in_review):
    before = snapshot(in_review)

    response = client.post(
        decide_url(in_review, "approve"),
        {"version": in_review.version, "expires_on": timezone.localdate().isoformat()},
    )

    assert response.status_code == 400
    assert refused_on_field(response, "expires_on", "Pick a date after today.")
    assert snapshot(in_review) == before


def test_a_reviewer_from_the_partner_that_applied_is_a_403(client, reviewer, in_review):
    factories.MembershipFactory(partner=in_review.app.partner, user=reviewer)
    before = snapshot(in_review)

    response = client.post(
        decide_url(in_review, "reject"), {"version": in_review.version, "reason": "No."}
    )

    assert response.status_code == 403
    assert refused_on_top(
        response,
        "You are a member of the partner that applied, so another reviewer must handle it.",
    )
    assert snapshot(in_review) == before


def test_the_first_approver_approving_again_is_a_403(client, reviewer):
    first_approved = make_first_approved(reviewer)
    before = snapshot(first_approved)

    response = client.post(
        decide_url(first_approved, "approve"), {"version": first_approved.version}
    )

    assert response.status_code == 403
    assert refused_on_top(
        response,
        "You gave the first approval, so this application needs a second approval from a "
        "different reviewer.",
    )
    assert snapshot(first_approved) == before


def test_deciding_an_application_assigned_to_someone_else_is_a_403(client, reviewer):
    theirs = make_request(status=Status.IN_REVIEW, assigned_to=make_reviewer())
    before = snapshot(theirs)

    response = client.post(
        decide_url(theirs, "request-changes"), {"version": theirs.version, "comment": "More."}
    )

    assert response.status_code == 403
    assert refused_on_top(
        response, "Assign the application to yourself before you request changes on it."
    )
    assert snapshot(theirs) == before


def test_a_decision_on_a_page_opened_before_a_change_is_a_409(client, in_review):
    seen_version = in_review.version
    access_requests.access_request_withdraw(
        request_id=in_review.pk, acting_user=in_review.submitted_by
    )
    before = snapshot(in_review)

    response = client.post(
        decide_url(in_review, "reject"), {"version": seen_version, "reason": "No."}
    )

    assert response.status_code == 409
    assert refused_on_top(
        response,
        "This application changed since you opened it (it is now “Withdrawn”). "
        "Reload it and check before acting.",
    )
    assert snapshot(in_review) == before


def test_a_decision_the_status_does_not_allow_is_a_409(client, reviewer):
    rejected = make_request(status=Status.REJECTED, assigned_to=reviewer)
    before = snapshot(rejected)

    response = client.post(
        decide_url(rejected, "revoke"), {"version": rejected.version, "reason": "Misuse."}
    )

    assert response.status_code == 409
    assert refused_on_top(response, "You cannot revoke an application that is “Rejected”.")
    assert snapshot(rejected) == before


# --- The suspension page ------------------------------------------------------------------------


def app_snapshot(app: PartnerApp) -> dict:
    """What a refused suspension must leave untouched."""
    app = PartnerApp.objects.get(pk=app.pk)
    return {
        "status": app.status,
        "updated": app.updated,
        "audit_events": PartnerAuditEvent.objects.filter(app=app).count(),
        "tokens": AccessToken.objects.filter(application=app).count(),
    }


def test_a_suspension_without_a_reason_is_a_400_on_the_reason(client, superuser):
    app = factories.PartnerAppFactory()
    make_access_token(app=app, user=factories.UserFactory(), scope="a", raw="raw-token-1")
    before = app_snapshot(app)

    response = client.post(suspend_url(app), {"reason": "  "})

    assert response.status_code == 400
    assert refused_on_field(response, "reason", "Write why the app is suspended.")
    assert app_snapshot(app) == before


def test_suspending_a_suspended_app_is_a_409(client, superuser):
    app = factories.PartnerAppFactory(
        status=PartnerApp.Status.SUSPENDED, updated=timezone.now() - timedelta(days=1)
    )
    before = app_snapshot(app)

    response = client.post(suspend_url(app), {"reason": "Phishing reports."})

    assert response.status_code == 409
    assert refused_on_top(response, "This app is already suspended.")
    assert app_snapshot(app) == before


# --- Buttons (assign to me, reinstate) ------------------------------------------------------------


def assign_url(access_request) -> str:
    return reverse("admin:apps_registry_accessrequest_assign", args=[access_request.pk])


def unsuspend_url(app) -> str:
    return reverse("admin:apps_registry_partnerapp_unsuspend", args=[app.pk])


def flashed(response) -> list[tuple[str, str]]:
    return [(message.level_tag, message.message) for message in response.context["messages"]]


def test_assigning_a_page_opened_before_a_change_goes_back_with_the_refusal(client, reviewer):
    access_request = make_request(status=Status.SUBMITTED)
    opened_version = access_request.version
    # Another reviewer's change since the page was opened.
    AccessRequest.objects.filter(pk=access_request.pk).update(version=opened_version + 1)
    before = snapshot(access_request)

    response = client.post(assign_url(access_request), {"version": opened_version}, follow=True)

    assert response.redirect_chain == [
        (reverse("admin:apps_registry_accessrequest_change", args=[access_request.pk]), 302)
    ]
    assert flashed(response) == [
        (
            "error",
            "This application changed since you opened it (it is now “Submitted”). "
            "Reload it and check before acting.",
        )
    ]
    assert snapshot(access_request) == before


def test_reinstating_an_app_that_is_not_suspended_goes_back_with_the_refusal(client, superuser):
    app = factories.PartnerAppFactory(
        status=PartnerApp.Status.LIVE, updated=timezone.now() - timedelta(days=1)
    )
    before = app_snapshot(app)

    response = client.post(unsuspend_url(app), follow=True)

    assert response.redirect_chain == [
        (reverse("admin:apps_registry_partnerapp_change", args=[app.pk]), 302)
    ]
    assert flashed(response) == [("error", "Only a suspended app can be reinstated.")]
    assert app_snapshot(app) == before


def test_the_buttons_take_only_a_post(client, superuser):
    app = factories.PartnerAppFactory(status=PartnerApp.Status.SUSPENDED)

    response = client.get(unsuspend_url(app))

    assert response.status_code == 405
    assert PartnerApp.objects.get(pk=app.pk).status == PartnerApp.Status.SUSPENDED
