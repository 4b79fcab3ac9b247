"""Review findings on the partner console and its API: each test pins a defect that was fixed
(a 500 on bad input, a rule a path could walk around, a leak) or a page that must not grow its
query count with the data it lists."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from apps_registry.models import (
    AccessRequest,
    AppScope,
    Invitation,
    Membership,
    PartnerApp,
    PartnerAuditEvent,
    ReviewEvent,
)
from tests import factories

pytestmark = pytest.mark.django_db

REVIEWER_EMAIL = "alice.reviewer@platform.example"


# --- bad input is a 4xx, never a 500 ------------------------------------------------------------


@pytest.mark.parametrize(("parameter", "value"), [("q", "product\x00"), ("group", "Product\x00")])
def test_manage_api_filters_with_a_nul_character_are_a_400(client, app, parameter, value):
    response = client.get(f"/console/apps/{app.pk}/api/", {parameter: value})

    assert response.status_code == 400
    assert "contains a NUL character (%00)" in response.text


def test_app_scopes_api_search_with_a_nul_character_is_a_400(api, app):
    response = api.get(f"/api/v1/apps/{app.pk}/scopes/", {"q": "product\x00"})

    assert response.status_code == 400
    assert "contains a NUL character (%00)" in response.json()["message"]


@pytest.mark.postgres
def test_applying_for_a_scope_key_with_a_nul_character_is_a_404(client, app):
    response = client.get(f"/console/apps/{app.pk}/api/seller.x%00/apply/")

    assert response.status_code == 404


def test_inviting_an_overlong_email_address_is_a_400_with_a_message(client, member):
    email = "a" * 250 + "@example.com"

    response = client.post("/console/team/", {"email": email, "role": "developer"})

    assert response.status_code == 400
    assert "at most 254 characters" in response.text
    assert email in response.text
    assert not Invitation.objects.exists()


def test_create_app_command_with_an_overlong_url_is_refused_and_creates_nothing(member):
    long_url = "https://app.example.com/" + "a" * 200

    with pytest.raises(CommandError, match="homepage URL can be at most 200 characters"):
        call_command(
            "create_app",
            "--partner-id",
            str(member.partner_id),
            "--name",
            "Helpdesk Sync",
            "--redirect-uri",
            "https://app.example.com/callback",
            "--homepage-url",
            long_url,
        )

    assert not PartnerApp.objects.exists()


def test_duplicate_redirect_uris_from_the_api_are_registered_once(api):
    response = api.post(
        "/api/v1/apps/",
        {
            "name": "Helpdesk Sync",
            "redirect_uris": [
                "https://app.example.com/callback",
                "https://app.example.com/callback",
            ],
        },
        format="json",
    )

    assert response.status_code == 201
    assert response.json()["redirect_uris"] == ["https://app.example.com/callback"]
    assert PartnerApp.objects.get().redirect_uris == "https://app.example.com/callback"


# --- rules that a path could walk around --------------------------------------------------------


def test_a_live_app_cannot_drop_its_privacy_policy(client, member):
    app = factories.PartnerAppFactory(partner=member.partner, status=PartnerApp.Status.LIVE)
    events_before = PartnerAuditEvent.objects.count()

    response = client.post(
        f"/console/apps/{app.pk}/",
        {"name": "Renamed", "category": "other", "privacy_policy_url": ""},
    )

    assert response.status_code == 400
    assert "A live app needs a privacy policy URL" in response.text
    assert 'value="Renamed"' in response.text
    saved = PartnerApp.objects.get(pk=app.pk)
    assert (saved.name, saved.privacy_policy_url) == (app.name, "https://app.example.com/privacy")
    assert PartnerAuditEvent.objects.count() == events_before


def test_manage_api_still_saves_when_a_chosen_scope_is_no_longer_available(client, app):
    """A scope leaves the catalog (or a Custom approval lapses before the expiry job runs): the
    partner can still change the other scopes, and the stale choice is dropped."""
    kept = factories.ScopeFactory(key="seller.product.basic")
    retired = factories.ScopeFactory(key="seller.retired.basic", is_active=False)
    factories.AppScopeFactory(app=app, scope=kept, is_required=True)
    factories.AppScopeFactory(app=app, scope=retired, is_required=True)

    response = client.post(
        f"/console/apps/{app.pk}/api/", {"scope:seller.product.basic": "optional"}
    )

    assert response.status_code == 302
    assert list(AppScope.objects.filter(app=app).values_list("scope__key", "is_required")) == [
        ("seller.product.basic", False)
    ]


def test_the_last_owner_is_told_how_to_leave(client, member):
    response = client.post(f"/console/team/members/{member.pk}/remove/", follow=True)

    assert "invite a colleague as an owner first" in response.text
    assert Membership.objects.filter(pk=member.pk).exists()


# --- what the partner API reveals ---------------------------------------------------------------


def test_the_request_api_does_not_name_reviewers(api, member):
    access_request = factories.AccessRequestFactory(
        app=factories.PartnerAppFactory(partner=member.partner),
        status=AccessRequest.Status.IN_REVIEW,
    )
    ReviewEvent.objects.create(
        request=access_request,
        action=ReviewEvent.Action.ASSIGN,
        from_status="in_review",
        to_status="in_review",
        details={"previous_reviewer": REVIEWER_EMAIL},
    )

    response = api.get(f"/api/v1/requests/{access_request.pk}/")

    assert response.status_code == 200
    assert REVIEWER_EMAIL not in response.text
    assert response.json()["events"][0]["details"] == {}


def test_the_request_api_keeps_the_reviewers_field_comments(api, member):
    access_request = factories.AccessRequestFactory(
        app=factories.PartnerAppFactory(partner=member.partner),
        status=AccessRequest.Status.CHANGES_REQUESTED,
    )
    ReviewEvent.objects.create(
        request=access_request,
        action=ReviewEvent.Action.REQUEST_CHANGES,
        from_status="in_review",
        to_status="changes_requested",
        comment="Say how long you keep messages.",
        details={"field_comments": {"data_protection": "How long?"}},
    )

    response = api.get(f"/api/v1/requests/{access_request.pk}/")

    assert response.json()["events"][0]["details"] == {
        "field_comments": {"data_protection": "How long?"}
    }


# --- list pages keep a constant number of queries -----------------------------------------------


def _partner_data(member, count: int) -> PartnerApp:
    """`count` apps, each with a requested scope and a Custom-scope application; returns one."""
    apps = []
    for _ in range(count):
        app = factories.PartnerAppFactory(partner=member.partner)
        factories.AppScopeFactory(app=app)
        factories.AccessRequestFactory(app=app, submitted_by=member.user)
        factories.MembershipFactory(partner=member.partner, role=Membership.Role.DEVELOPER)
        apps.append(app)
    return apps[0]


@pytest.mark.parametrize("count", [1, 8])
def test_dashboard_queries_do_not_grow_with_apps(
    client, member, count, django_assert_max_num_queries
):
    _partner_data(member, count)

    with django_assert_max_num_queries(6):
        assert client.get("/console/").status_code == 200


@pytest.mark.parametrize("count", [1, 8])
def test_app_list_queries_do_not_grow_with_apps(
    client, member, count, django_assert_max_num_queries
):
    _partner_data(member, count)

    with django_assert_max_num_queries(4):
        assert client.get("/console/apps/").status_code == 200


@pytest.mark.parametrize("count", [1, 8])
def test_team_queries_do_not_grow_with_members(
    client, member, count, django_assert_max_num_queries
):
    _partner_data(member, count)

    with django_assert_max_num_queries(5):
        assert client.get("/console/team/").status_code == 200


@pytest.mark.parametrize("count", [1, 8])
def test_app_detail_queries_do_not_grow_with_scopes_and_requests(
    client, member, count, django_assert_max_num_queries
):
    app = factories.PartnerAppFactory(partner=member.partner)
    for _ in range(count):
        factories.AppScopeFactory(app=app)
        factories.AccessRequestFactory(app=app, submitted_by=member.user)

    # 8: one of them reads the app's recent failed client authentications.
    with django_assert_max_num_queries(8):
        assert client.get(f"/console/apps/{app.pk}/").status_code == 200


@pytest.mark.parametrize("count", [1, 41])
def test_manage_api_queries_do_not_grow_with_the_catalog(
    client, member, count, django_assert_max_num_queries
):
    app = factories.PartnerAppFactory(partner=member.partner)
    for index in range(count):
        scope = factories.CustomScopeFactory() if index % 2 else factories.ScopeFactory()
        factories.EndpointFactory(scopes=[scope])
        if index % 2:
            factories.ApprovedAccessRequestFactory(app=app, scope=scope)
        factories.AppScopeFactory(app=app, scope=scope)

    with django_assert_max_num_queries(11):
        assert client.get(f"/console/apps/{app.pk}/api/").status_code == 200


@pytest.mark.parametrize("count", [1, 8])
def test_request_detail_queries_do_not_grow_with_its_history(
    client, member, count, django_assert_max_num_queries
):
    access_request = factories.AccessRequestFactory(
        app=factories.PartnerAppFactory(partner=member.partner), submitted_by=member.user
    )
    for _ in range(count):
        factories.EndpointFactory(scopes=[access_request.scope])
        ReviewEvent.objects.create(
            request=access_request, action=ReviewEvent.Action.SUBMIT, actor=member.user
        )

    with django_assert_max_num_queries(7):
        assert client.get(f"/console/requests/{access_request.pk}/").status_code == 200


@pytest.mark.parametrize("count", [1, 8])
def test_partner_api_lists_do_not_grow_with_data(api, member, count, django_assert_max_num_queries):
    _partner_data(member, count)

    with django_assert_max_num_queries(6):
        assert api.get("/api/v1/apps/").status_code == 200
    with django_assert_max_num_queries(5):
        assert api.get("/api/v1/requests/").status_code == 200
