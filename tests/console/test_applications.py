"""The partner's applications: the Applications page (owner-scoped, paginated, each row's next
step), one open application per app and scope (the apply page leads to it), the endpoints ticked
from the scope's list, and the partner's timeline without the reviewers' internal steps."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps_registry.error_codes import AccessRequestErrorCode
from apps_registry.events import review as review_events
from apps_registry.models import AccessRequest, ReviewEvent
from apps_registry.selectors import partners as selectors
from apps_registry.services import access_requests as access_request_services
from apps_registry.services import reviews
from console.views.partner.access_requests import APPLICATIONS_PER_PAGE
from console.views.partner.presenters import application_row, partner_timeline_page
from core.errors import InvalidInputError, InvalidTransitionError
from tests import factories
from tests.apps_registry.review_helpers import (
    ANSWERS,
    ask_about_data_protection_and_resubmit,
    make_reviewer,
)

pytestmark = pytest.mark.django_db

Status = AccessRequest.Status
WRITTEN_ANSWERS = {name: value for name, value in ANSWERS.items() if name != "endpoints_used"}
CONVERSATIONS = factories.CONVERSATIONS_ENDPOINT
MESSAGES = "POST /customer_service/202309/conversations/{conversation_id}/messages"


@pytest.fixture
def scope():
    scope = factories.CustomScopeFactory(key="seller.customer_service", name="Customer Service")
    factories.conversations_endpoint(scope)
    factories.EndpointFactory(
        method="POST",
        path="/customer_service/202309/conversations/{conversation_id}/messages",
        title="Send Message",
        scopes=[scope],
    )
    return scope


@pytest.fixture
def other_scope():
    scope = factories.CustomScopeFactory(key="seller.buyer_details", name="Buyer details")
    factories.EndpointFactory(method="GET", path="/buyer/202309/buyers", scopes=[scope])
    return scope


def apply_url(app, scope) -> str:
    return f"/console/apps/{app.pk}/api/{scope.key}/apply/"


def stored_state() -> tuple:
    return (
        list(AccessRequest.objects.values_list("pk", "status", "endpoints_used")),
        ReviewEvent.objects.count(),
    )


# --- The Applications page ----------------------------------------------------------------------


def test_the_selector_lists_only_the_users_organisations_applications(member, app):
    mine = factories.AccessRequestFactory(app=app)
    other_app_of_mine = factories.PartnerAppFactory(partner=member.partner)
    also_mine = factories.AccessRequestFactory(app=other_app_of_mine, status=Status.REJECTED)
    factories.AccessRequestFactory()  # another partner's

    listed = selectors.access_requests_for_user(user=member.user)

    assert set(listed) == {mine, also_mine}


def test_the_page_lists_status_age_and_next_step_and_never_another_partners(client, app):
    now = timezone.now()
    waiting = factories.AccessRequestFactory(app=app, submitted_at=now - timedelta(days=3))
    theirs = factories.AccessRequestFactory(
        scope=factories.CustomScopeFactory(name="Their secret scope")
    )

    response = client.get("/console/requests/")

    assert response.status_code == 200
    text = response.text
    assert f'href="/console/requests/{waiting.pk}/"' in text
    assert f"/console/requests/{theirs.pk}/" not in text
    assert "Their secret scope" not in text
    iso_day = waiting.submitted_at.strftime("%Y-%m-%d")
    assert f'title="{iso_day}">submitted 3\xa0days ago</time>' in text
    assert "<td>Waiting for review</td>" in text
    assert '<a href="/console/requests/" aria-current="page">Applications</a>' in text


def test_the_dashboard_links_to_the_applications_page(client, app):
    factories.AccessRequestFactory(app=app)

    response = client.get("/console/")

    assert '<a href="/console/requests/">All applications</a>' in response.text


def test_the_page_is_paginated_with_a_constant_number_of_queries(
    client, app, django_assert_num_queries
):
    factories.AccessRequestFactory(app=app)
    with CaptureQueriesContext(connection) as one_row:
        client.get("/console/requests/")
    factories.AccessRequestFactory.create_batch(APPLICATIONS_PER_PAGE + 4, app=app)

    with django_assert_num_queries(len(one_row)):
        first_page = client.get("/console/requests/")
    older = re.search(r'href="\?cursor=([^"]+)" rel="next"', first_page.text).group(1)
    with django_assert_num_queries(len(one_row)):
        second_page = client.get("/console/requests/", {"cursor": older})

    assert first_page.text.count('data-testid="application-row"') == APPLICATIONS_PER_PAGE
    assert second_page.text.count('data-testid="application-row"') == 5
    assert 'rel="next"' not in second_page.text


NOW = timezone.now()


def listed(member, access_request) -> AccessRequest:
    """The application as the Applications page reads it."""
    return selectors.applications_for_user(user=member.user).get(pk=access_request.pk)


def test_an_expired_application_followed_by_a_newer_one_does_not_say_apply_again(
    member, app, scope
):
    expired = factories.AccessRequestFactory(
        app=app, scope=scope, status=Status.EXPIRED, submitted_at=NOW - timedelta(days=400)
    )
    factories.AccessRequestFactory(app=app, scope=scope, submitted_at=NOW - timedelta(hours=1))

    row = application_row(listed(member, expired), now=NOW)

    assert (row.next_action, row.next_action_url) == ("Expired — a newer application follows", "")


@pytest.mark.parametrize(
    ("status", "extra", "shown_status", "next_action", "links_to"),
    [
        (Status.SUBMITTED, {}, Status.SUBMITTED, "Waiting for review", ""),
        (Status.IN_REVIEW, {}, Status.IN_REVIEW, "Waiting for review", ""),
        (
            Status.CHANGES_REQUESTED,
            {},
            Status.CHANGES_REQUESTED,
            "Respond to changes requested",
            "detail",
        ),
        (
            Status.APPROVED,
            {"decided_at": NOW, "approval_expires_at": NOW.replace(2031, 3, 5)},
            Status.APPROVED,
            "Approved — expires 5 Mar 2031",
            "",
        ),
        (
            Status.APPROVED,
            {"decided_at": NOW, "approval_expires_at": NOW - timedelta(days=1)},
            Status.EXPIRED,
            "Expired — apply again from Manage API",
            "manage-api",
        ),
        (Status.REJECTED, {}, Status.REJECTED, "Read the reviewer's reason", "detail"),
        (Status.REVOKED, {}, Status.REVOKED, "Read the reviewer's reason", "detail"),
        (Status.EXPIRED, {}, Status.EXPIRED, "Expired — apply again from Manage API", "manage-api"),
        (Status.WITHDRAWN, {}, Status.WITHDRAWN, "Nothing to do: withdrawn", ""),
    ],
)
def test_each_status_has_its_next_step(
    member, app, status, extra, shown_status, next_action, links_to
):
    access_request = factories.AccessRequestFactory(
        app=app, status=status, submitted_at=NOW - timedelta(hours=2), **extra
    )

    row = application_row(listed(member, access_request), now=NOW)

    urls = {
        "": "",
        "detail": f"/console/requests/{access_request.pk}/",
        "manage-api": f"/console/apps/{app.pk}/api/",
    }
    assert (row.status, row.next_action, row.next_action_url, row.age) == (
        shown_status,
        next_action,
        urls[links_to],
        "submitted 2\xa0hours ago",
    )


# --- One open application per app and scope ----------------------------------------------------


def test_a_second_application_is_refused_and_nothing_is_created(member, app, scope):
    open_application = factories.AccessRequestFactory(
        app=app, scope=scope, status=Status.CHANGES_REQUESTED
    )
    before = stored_state()

    with pytest.raises(InvalidTransitionError) as refusal:
        access_request_services.access_request_submit(
            app=app,
            scope=scope,
            answers=WRITTEN_ANSWERS,
            endpoints=[CONVERSATIONS],
            acting_user=member.user,
        )

    assert refusal.value.code == AccessRequestErrorCode.APPLICATION_ALREADY_OPEN
    assert stored_state() == before
    assert selectors.active_application_for_app_scope(app=app, scope=scope) == open_application


def test_opening_the_apply_page_with_an_open_application_leads_to_it(client, app, scope):
    open_application = factories.AccessRequestFactory(app=app, scope=scope, status=Status.IN_REVIEW)

    response = client.get(apply_url(app, scope))

    assert response.status_code == 302
    assert response["Location"] == f"/console/requests/{open_application.pk}/"
    assert [str(message) for message in get_messages(response.wsgi_request)] == [
        f"{app.name} already has this application for Customer Service (in review): follow it here."
    ]


@pytest.mark.parametrize(
    ("status", "extra"),
    [
        (Status.REJECTED, {}),
        (Status.WITHDRAWN, {}),
        (Status.APPROVED, {"decided_at": NOW, "approval_expires_at": NOW - timedelta(days=1)}),
    ],
)
def test_after_a_closed_or_ended_application_the_apply_page_offers_the_form(
    client, app, scope, status, extra
):
    factories.AccessRequestFactory(app=app, scope=scope, status=status, **extra)

    response = client.get(apply_url(app, scope))

    assert response.status_code == 200
    assert "Submit application" in response.text


def test_manage_api_links_an_open_application_instead_of_the_apply_form(client, app, scope):
    open_application = factories.AccessRequestFactory(app=app, scope=scope)

    text = client.get(f"/console/apps/{app.pk}/api/").text

    assert f'href="/console/requests/{open_application.pk}/"' in text
    assert apply_url(app, scope) not in text


# --- Endpoints ticked from the scope's list ------------------------------------------------------


def test_the_form_offers_the_scopes_endpoints_as_checkboxes(client, app, scope, other_scope):
    text = client.get(apply_url(app, scope)).text

    assert text.count('type="checkbox" name="endpoints_used"') == 2
    assert f'value="{CONVERSATIONS}"' in text
    assert "GET /buyer/202309/buyers" not in text


def test_ticked_endpoints_are_stored_as_a_list_and_written_as_the_answer(member, app, scope):
    access_request = access_request_services.access_request_submit(
        app=app,
        scope=scope,
        answers=WRITTEN_ANSWERS,
        endpoints=[MESSAGES, CONVERSATIONS],
        acting_user=member.user,
    )

    access_request.refresh_from_db()
    assert access_request.chosen_endpoints == [
        {"method": "GET", "path": "/customer_service/202309/conversations"},
        {
            "method": "POST",
            "path": "/customer_service/202309/conversations/{conversation_id}/messages",
        },
    ]
    assert access_request.endpoints_used == f"{CONVERSATIONS}\n{MESSAGES}"


def test_an_endpoint_of_another_scope_is_refused_by_name_and_nothing_is_stored(
    member, app, scope, other_scope
):
    before = stored_state()

    with pytest.raises(InvalidInputError) as refusal:
        access_request_services.access_request_submit(
            app=app,
            scope=scope,
            answers=WRITTEN_ANSWERS,
            endpoints=[CONVERSATIONS, "GET /buyer/202309/buyers"],
            acting_user=member.user,
        )

    assert refusal.value.code == AccessRequestErrorCode.INVALID_ANSWERS
    assert refusal.value.fields == {
        "endpoints_used": [
            "Endpoints used: GET /buyer/202309/buyers is not an endpoint of "
            "seller.customer_service. Tick only endpoints from the scope's list."
        ]
    }
    assert stored_state() == before


def test_no_endpoint_ticked_is_refused_and_nothing_is_stored(member, app, scope):
    before = stored_state()

    with pytest.raises(InvalidInputError) as refusal:
        access_request_services.access_request_submit(
            app=app, scope=scope, answers=WRITTEN_ANSWERS, endpoints=[], acting_user=member.user
        )

    assert refusal.value.fields == {
        "endpoints_used": ["Endpoints used: tick at least one endpoint your app will call."]
    }
    assert stored_state() == before


def test_the_page_refuses_an_unknown_endpoint_and_keeps_the_answers(client, app, scope):
    response = client.post(
        apply_url(app, scope),
        {**WRITTEN_ANSWERS, "endpoints_used": [CONVERSATIONS, "DELETE /shop/202309/everything"]},
    )

    assert response.status_code == 400
    assert response.context["form"].errors["endpoints_used"] == [
        "DELETE /shop/202309/everything is not an endpoint of this scope. "
        "Tick only endpoints from the list."
    ]
    assert WRITTEN_ANSWERS["data_usage"] in response.text
    assert not AccessRequest.objects.exists()


def test_resubmitting_with_other_endpoints_records_the_change(member, app, scope):
    access_request = factories.AccessRequestFactory(
        app=app,
        scope=scope,
        status=Status.CHANGES_REQUESTED,
        chosen_endpoints=[{"method": "GET", "path": "/customer_service/202309/conversations"}],
    )

    access_request_services.access_request_resubmit(
        request_id=access_request.pk,
        answers={},
        endpoints=[CONVERSATIONS, MESSAGES],
        acting_user=member.user,
    )

    access_request.refresh_from_db()
    assert len(access_request.chosen_endpoints) == 2
    resubmitted = access_request.events.get(action=ReviewEvent.Action.RESUBMIT)
    assert resubmitted.details["changed"] == {
        "endpoints_used": {"old": CONVERSATIONS, "new": f"{CONVERSATIONS}\n{MESSAGES}"}
    }


def test_the_resubmit_form_ticks_what_was_chosen(client, member, app, scope):
    access_request = factories.AccessRequestFactory(
        app=app,
        scope=scope,
        status=Status.CHANGES_REQUESTED,
        chosen_endpoints=[{"method": "GET", "path": "/customer_service/202309/conversations"}],
    )

    form = client.get(f"/console/requests/{access_request.pk}/").context["form"]

    assert form["endpoints_used"].value() == [CONVERSATIONS]


# --- The partner's timeline ----------------------------------------------------------------------


def worked_application(member, app, scope) -> AccessRequest:
    """Submitted, taken by three reviewers in turn, a first of two approvals, changes requested,
    resubmitted and taken again: the partner sees four of its events."""
    scope.requires_dual_approval = True
    scope.save(update_fields=["requires_dual_approval"])
    access_request = access_request_services.access_request_submit(
        app=app,
        scope=scope,
        answers=WRITTEN_ANSWERS,
        endpoints=[CONVERSATIONS],
        acting_user=member.user,
    )
    first, second, third = (make_reviewer(email=f"r{n}@staff.example") for n in range(3))
    for reviewer in (first, second):
        reviews.access_request_assign(request_id=access_request.pk, reviewer=reviewer)
    reviews.access_request_approve(
        request_id=access_request.pk, reviewer=second, comment="Internal: looks fine to me."
    )
    reviews.access_request_assign(request_id=access_request.pk, reviewer=third)
    ask_about_data_protection_and_resubmit(
        access_request,
        reviewer=third,
        revised="Deleted after 30 days.",
        acting_user=member.user,
        endpoints=[CONVERSATIONS],
    )
    reviews.access_request_assign(request_id=access_request.pk, reviewer=first)
    return access_request


def test_the_partner_timeline_keeps_only_what_the_partner_needs(member, app, scope):
    access_request = worked_application(member, app, scope)
    assert access_request.events.count() == 8  # everything is recorded for reviewers

    loaded = selectors.access_request_get_for_user(user=member.user, request_id=access_request.pk)
    entries = partner_timeline_page(loaded)

    assert [
        (entry["event"].action, entry["actor"], entry["event"].comment, entry["field_comments"])
        for entry in entries
    ] == [
        (ReviewEvent.Action.SUBMIT, member.user.email, "", []),
        (
            ReviewEvent.Action.REQUEST_CHANGES,
            "the review team",
            "Say how long you keep data.",
            [("How is the data stored, protected and deleted?", "Retention period?")],
        ),
        (ReviewEvent.Action.RESUBMIT, member.user.email, "", []),
    ]
    assert entries[2]["changed"] == ["How is the data stored, protected and deleted?"]
    assert review_events.partner_timeline(access_request) == [
        review_events.partner_timeline_entry(entry["event"]) for entry in entries
    ]


def test_the_request_page_shows_no_internal_step_nor_reviewer(client, member, app, scope):
    access_request = worked_application(member, app, scope)

    text = client.get(f"/console/requests/{access_request.pk}/").text

    assert "Internal: looks fine to me." not in text
    assert "Assigned" not in text
    assert "First approval" not in text
    assert "staff.example" not in text
    assert text.count("<li>\n        <p><strong>") == 3


def test_the_expected_decision_is_hidden_while_the_request_waits_on_the_partner(
    client, member, app, scope
):
    access_request = factories.AccessRequestFactory(
        app=app, scope=scope, status=Status.CHANGES_REQUESTED
    )
    waiting = factories.AccessRequestFactory(app=app, status=Status.IN_REVIEW)

    assert selectors.expected_decision_date(access_request) is None
    assert selectors.expected_decision_date(waiting) is not None
    assert "Expected decision" not in client.get(f"/console/requests/{access_request.pk}/").text
    assert "Expected decision" in client.get(f"/console/requests/{waiting.pk}/").text
