"""The review history as partners and reviewers see it, read through the event schema (ADR 0014):
the partner's application page and API show the partner timeline, the admin request page the
typed details, including rows written before a detail existed."""

from __future__ import annotations

import pytest
from django.urls import reverse

from apps_registry.models import AccessRequest, ReviewEvent
from apps_registry.services import reviews
from tests import factories
from tests.apps_registry.review_helpers import make_request, make_reviewer

pytestmark = pytest.mark.django_db


@pytest.fixture
def changes_requested(app):
    """The member's application sent back by a reviewer who took it over from another."""
    first, second = (
        make_reviewer(email="first@staff.example"),
        make_reviewer(email="second@staff.example"),
    )
    access_request = make_request(app=app, status=AccessRequest.Status.IN_REVIEW, assigned_to=first)
    reviews.access_request_assign(request_id=access_request.pk, reviewer=second)
    reviews.access_request_request_changes(
        request_id=access_request.pk,
        reviewer=second,
        comment="Please be specific.",
        field_comments={"data_protection": "Say where the data is kept."},
    )
    return access_request


def test_the_application_page_shows_the_partner_timeline(client, changes_requested):
    page = client.get(f"/console/requests/{changes_requested.pk}/").content.decode()

    assert "Changes requested" in page
    assert "by the review team" in page
    assert "Say where the data is kept." in page
    assert "staff.example" not in page


def test_the_api_lists_events_with_what_partners_may_see(api, changes_requested):
    """Not the reviewer taking the application: the partner's timeline leaves internal steps out."""
    events = api.get(f"/api/v1/requests/{changes_requested.pk}/").json()["events"]

    assert [(event["action"], event["details"]) for event in events] == [
        ("request_changes", {"field_comments": {"data_protection": "Say where the data is kept."}}),
    ]
    assert "staff.example" not in str(events)


def test_the_admin_request_page_reads_a_revocation_recorded_before_closures_were_counted(
    mfa_admin_client,
):
    access_request = make_request(status=AccessRequest.Status.REVOKED)
    ReviewEvent.objects.create(
        request=access_request,
        actor=factories.UserFactory(),
        action=ReviewEvent.Action.REVOKE,
        from_status=AccessRequest.Status.APPROVED,
        to_status=AccessRequest.Status.REVOKED,
        details={"app_scopes_removed": 1, "authorizations_changed": 2, "tokens_changed": 3},
    )

    page = mfa_admin_client.get(
        reverse("admin:apps_registry_accessrequest_change", args=[access_request.pk])
    ).content.decode()

    assert "Removed from 1 scope selection(s), 2 seller authorization(s) and 3 token(s)." in page
