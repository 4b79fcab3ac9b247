"""Partner console pages: the main paths, bad input (4xx with a message, nothing lost), owner
scoping (another partner's object is a 404 and nothing changes) and a number of queries that does
not grow with what a page lists."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import check_password
from django.core import mail
from django.utils import timezone

from apps_registry.hashers import invitation_token_hash
from apps_registry.models import (
    AccessRequest,
    AccessRequestAttachment,
    AppScope,
    GateDenialCount,
    Invitation,
    Membership,
    Partner,
    PartnerApp,
    PartnerAuditEvent,
    ReviewEvent,
)
from tests import factories

pytestmark = pytest.mark.django_db

ANSWERS = {
    "data_usage": "We show buyer conversations in our help desk.",
    "justification": "Only this scope exposes conversations; product scopes do not.",
    "endpoints_used": "GET /customer_service/202309/conversations",
    "data_protection": "Encrypted at rest, deleted 90 days after the shop disconnects.",
    "demo_url": "https://app.example.com/demo",
}


@pytest.fixture
def other_app():
    return factories.PartnerAppFactory()


def recently_reauthenticated(client, user):
    """What allauth's reauthentication page adds to the session's records after the password is
    re-entered."""
    session = client.session
    session["account_authentication_methods"] = [
        *session.get("account_authentication_methods", []),
        {"method": "password", "at": time.time(), "reauthenticated": True},
    ]
    session["account_authentication_methods_user"] = str(user.pk)
    session.save()


def app_state(app):
    app = PartnerApp.objects.get(pk=app.pk)
    return (app.client_secret, app.redirect_uris, app.status, app.name, app.secret_rotated_at)


# --- access -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/console/", "/console/apps/", "/console/apps/new/", "/console/team/"]
)
def test_anonymous_visitors_are_sent_to_sign_in(client, path):
    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={path}"


def test_a_user_without_an_organisation_is_onboarded(client):
    user = factories.UserFactory()
    client.force_login(user)

    page = client.get("/console/")
    assert page.status_code == 200
    assert "Create your organisation" in page.text
    assert client.get("/console/apps/")["Location"] == "/console/"

    response = client.post("/console/", {"name": "Acme Tools"})

    assert response.status_code == 302
    assert response["Location"] == "/console/apps/new/"
    membership = Membership.objects.get(user=user)
    assert (membership.partner.name, membership.role) == ("Acme Tools", "owner")


def test_onboarding_with_a_blank_name_is_a_400_with_a_message(client):
    client.force_login(factories.UserFactory())

    response = client.post("/console/", {"name": ""})

    assert response.status_code == 400
    assert "This field is required." in response.text
    assert Partner.objects.count() == 0


# --- apps ---------------------------------------------------------------------------------------


def test_creating_an_app_shows_the_secret_once(client, member):
    response = client.post(
        "/console/apps/new/",
        {
            "name": "Helpdesk Sync",
            "description": "Answers buyers.",
            "category": "customer_service",
            "homepage_url": "https://app.example.com",
            "privacy_policy_url": "https://app.example.com/privacy",
            "redirect_uris": "https://app.example.com/callback\r\nhttp://127.0.0.1:8765/cb\r\n",
        },
    )

    app = PartnerApp.objects.get(partner=member.partner)
    assert response.status_code == 302
    assert response["Location"] == f"/console/apps/{app.pk}/"
    first = client.get(response["Location"])
    secret = re.search(r'data-testid="client-secret">([^<]+)<', first.text).group(1)
    assert check_password(secret, app.client_secret)
    assert app.client_id in first.text
    assert "no-store" in first["Cache-Control"].split(", ")
    assert first["Pragma"] == "no-cache"
    assert app.redirect_uris == "https://app.example.com/callback http://127.0.0.1:8765/cb"

    second = client.get(response["Location"])
    assert secret not in second.text
    assert f"••••••••{secret[-4:]}" in second.text


def test_creating_an_app_with_a_bad_redirect_uri_re_renders_with_the_reason(client, member):
    response = client.post(
        "/console/apps/new/",
        {
            "name": "Helpdesk Sync",
            "category": "other",
            "redirect_uris": "http://app.example.com/callback",
        },
    )

    assert response.status_code == 400
    assert "uses http; use https" in response.text
    assert 'value="Helpdesk Sync"' in response.text
    assert PartnerApp.objects.count() == 0


def test_app_list_shows_only_the_partners_apps(client, app, other_app):
    response = client.get("/console/apps/")

    assert response.status_code == 200
    assert app.name in response.text
    assert other_app.name not in response.text


def test_publishing_a_draft(client, app):
    response = client.post(f"/console/apps/{app.pk}/publish/")

    assert response.status_code == 302
    assert PartnerApp.objects.get(pk=app.pk).status == PartnerApp.Status.LIVE


def test_publishing_without_a_privacy_policy_explains_why(client, member):
    app = factories.PartnerAppFactory(
        partner=member.partner, status=PartnerApp.Status.DRAFT, privacy_policy_url=""
    )

    response = client.post(f"/console/apps/{app.pk}/publish/", follow=True)

    assert "Add a privacy policy URL before publishing" in response.text
    assert PartnerApp.objects.get(pk=app.pk).status == PartnerApp.Status.DRAFT


def test_a_suspended_app_says_so(client, member):
    app = factories.PartnerAppFactory(partner=member.partner, status=PartnerApp.Status.SUSPENDED)

    response = client.get(f"/console/apps/{app.pk}/")

    assert "This app is suspended" in response.text
    assert "its access tokens no longer work" in response.text


def test_saving_app_details(client, app):
    response = client.post(
        f"/console/apps/{app.pk}/",
        {"name": "Renamed", "category": "analytics", "description": "", "homepage_url": ""},
    )

    assert response.status_code == 302
    assert PartnerApp.objects.get(pk=app.pk).name == "Renamed"


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


def test_rotating_the_secret_asks_for_the_password_first(client, member, app):
    before = app_state(app)

    response = client.post(f"/console/apps/{app.pk}/rotate-secret/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/reauthenticate/")
    assert app_state(app) == before


def test_rotating_the_secret_after_reauthenticating_shows_the_new_one_once(client, member, app):
    recently_reauthenticated(client, member.user)

    response = client.post(f"/console/apps/{app.pk}/rotate-secret/", follow=True)

    app.refresh_from_db()
    secret = re.search(r'data-testid="client-secret">([^<]+)<', response.text).group(1)
    assert check_password(secret, app.client_secret)
    assert app.secret_rotated_at is not None
    assert "the old one no longer works" in response.text
    assert "no-store" in response["Cache-Control"].split(", ")
    assert response["Pragma"] == "no-cache"


def test_changing_redirect_uris_asks_for_the_password_first(client, member, app):
    before = app_state(app)

    response = client.post(
        f"/console/apps/{app.pk}/redirect-uris/", {"redirect_uris": "https://new.example.com/cb"}
    )

    assert response["Location"].startswith("/accounts/reauthenticate/")
    assert app_state(app) == before


def test_changing_redirect_uris(client, member, app):
    recently_reauthenticated(client, member.user)

    response = client.post(
        f"/console/apps/{app.pk}/redirect-uris/",
        {"redirect_uris": "https://new.example.com/cb\nhttps://new.example.com/cb2"},
    )

    assert response.status_code == 302
    assert (
        PartnerApp.objects.get(pk=app.pk).redirect_uris
        == "https://new.example.com/cb https://new.example.com/cb2"
    )


def test_bad_redirect_uris_are_a_400_with_the_reason_and_nothing_changes(client, member, app):
    recently_reauthenticated(client, member.user)
    before = app_state(app)

    response = client.post(
        f"/console/apps/{app.pk}/redirect-uris/",
        {"redirect_uris": "https://*.example.com/cb"},
    )

    assert response.status_code == 400
    assert "contains a wildcard" in response.text
    assert app_state(app) == before


# --- another partner's objects: 404, nothing changes --------------------------------------------


@pytest.mark.parametrize(
    "suffix", ["", "api/", "api/seller.customer_service/apply/", "redirect-uris/"]
)
def test_another_partners_app_pages_are_404(client, member, other_app, suffix):
    factories.CustomScopeFactory(key="seller.customer_service")

    assert client.get(f"/console/apps/{other_app.pk}/{suffix}").status_code in (404,)


@pytest.mark.parametrize(
    ("suffix", "data"),
    [
        ("", {"name": "Hijacked", "category": "other"}),
        ("publish/", {}),
        ("rotate-secret/", {}),
        ("redirect-uris/", {"redirect_uris": "https://evil.example.com/cb"}),
        ("api/", {"scope:seller.product.basic": "required"}),
        ("api/seller.customer_service/apply/", ANSWERS),
    ],
)
def test_writes_to_another_partners_app_are_404_and_change_nothing(
    client, member, other_app, suffix, data
):
    factories.ScopeFactory(key="seller.product.basic")
    factories.CustomScopeFactory(key="seller.customer_service")
    recently_reauthenticated(client, member.user)
    other_app.status = PartnerApp.Status.DRAFT
    other_app.save(update_fields=["status"])
    before = app_state(other_app)

    response = client.post(f"/console/apps/{other_app.pk}/{suffix}", data)

    assert response.status_code == 404
    assert app_state(other_app) == before
    assert not AppScope.objects.exists()
    assert not AccessRequest.objects.exists()


def test_another_partners_request_is_404_and_cannot_be_withdrawn(client, member):
    theirs = factories.AccessRequestFactory()

    assert client.get(f"/console/requests/{theirs.pk}/").status_code == 404
    assert client.post(f"/console/requests/{theirs.pk}/", ANSWERS).status_code == 404
    assert client.post(f"/console/requests/{theirs.pk}/withdraw/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == AccessRequest.Status.SUBMITTED
    assert not ReviewEvent.objects.exists()


def test_another_partners_member_and_invitation_are_404(client, member):
    their_membership = factories.MembershipFactory(role=Membership.Role.DEVELOPER)
    their_invitation = Invitation.objects.create(
        partner=their_membership.partner,
        email="x@example.com",
        token_hash="h" * 64,
        invited_by=their_membership.user,
        expires_at=timezone.now() + timedelta(days=1),
    )

    assert client.post(f"/console/team/members/{their_membership.pk}/remove/").status_code == 404
    assert (
        client.post(f"/console/team/invitations/{their_invitation.pk}/revoke/").status_code == 404
    )
    assert Membership.objects.filter(pk=their_membership.pk).exists()
    their_invitation.refresh_from_db()
    assert their_invitation.revoked_at is None


# --- Manage API ---------------------------------------------------------------------------------


def test_manage_api_lists_every_scope_with_its_status(client, app):
    public = factories.ScopeFactory(name="Product Basic", key="seller.product.basic")
    custom = factories.CustomScopeFactory(name="Customer Service", key="seller.customer_service")
    rejected = factories.CustomScopeFactory(name="Buyer Info", key="seller.buyer_info")
    factories.AccessRequestFactory(
        app=app, scope=rejected, status="rejected", decision_reason="Not needed for ERP."
    )

    response = client.get(f"/console/apps/{app.pk}/api/")

    assert response.status_code == 200
    text = response.text
    assert public.name in text
    assert custom.name in text
    assert f'name="scope:{public.key}"' in text
    assert f'name="scope:{custom.key}"' not in text
    assert f'href="/console/apps/{app.pk}/api/{custom.key}/apply/"' in text
    assert "Not needed for ERP." in text
    assert "Apply again" in text


def test_manage_api_search_by_endpoint(client, app):
    chat = factories.CustomScopeFactory(name="Customer Service", key="seller.customer_service")
    factories.ScopeFactory(name="Product Basic", key="seller.product.basic")
    factories.EndpointFactory(path="/customer_service/202309/conversations", scopes=[chat])

    response = client.get(f"/console/apps/{app.pk}/api/", {"q": "conversations"})

    assert "Customer Service" in response.text
    assert "Product Basic" not in response.text


def test_choosing_required_and_optional_scopes(client, app):
    basic = factories.ScopeFactory(key="seller.product.basic")
    orders = factories.ScopeFactory(key="seller.order.info")
    factories.ScopeFactory(key="seller.finance.info")
    approved = factories.CustomScopeFactory(key="seller.customer_service")
    factories.ApprovedAccessRequestFactory(app=app, scope=approved)

    response = client.post(
        f"/console/apps/{app.pk}/api/",
        {
            f"scope:{basic.key}": "required",
            f"scope:{orders.key}": "optional",
            "scope:seller.finance.info": "",
            f"scope:{approved.key}": "required",
        },
    )

    assert response.status_code == 302
    assert dict(AppScope.objects.values_list("scope__key", "is_required")) == {
        basic.key: True,
        orders.key: False,
        approved.key: True,
    }


def test_a_filtered_save_keeps_the_scopes_not_shown(client, app):
    kept = factories.ScopeFactory(key="seller.product.basic")
    shown = factories.ScopeFactory(key="seller.order.info")
    factories.AppScopeFactory(app=app, scope=kept, is_required=False)

    client.post(f"/console/apps/{app.pk}/api/?q=order", {f"scope:{shown.key}": "required"})

    assert dict(AppScope.objects.values_list("scope__key", "is_required")) == {
        kept.key: False,
        shown.key: True,
    }


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


def test_choosing_an_unapproved_custom_scope_is_a_400_and_changes_nothing(client, app):
    basic = factories.ScopeFactory(key="seller.product.basic")
    factories.AppScopeFactory(app=app, scope=basic)
    factories.CustomScopeFactory(key="seller.customer_service")

    response = client.post(
        f"/console/apps/{app.pk}/api/",
        {f"scope:{basic.key}": "optional", "scope:seller.customer_service": "required"},
    )

    assert response.status_code == 400
    assert "not available to this app: seller.customer_service" in response.text
    assert list(AppScope.objects.values_list("scope__key", "is_required")) == [(basic.key, True)]


def test_a_garbage_requirement_value_is_a_400(client, app):
    basic = factories.ScopeFactory(key="seller.product.basic")

    response = client.post(f"/console/apps/{app.pk}/api/", {f"scope:{basic.key}": "always"})

    assert response.status_code == 400
    assert "Select a valid choice" in response.text
    assert not AppScope.objects.exists()


# --- applying for a Custom scope ----------------------------------------------------------------


def test_apply_form_offers_the_scopes_endpoints(client, app):
    scope = factories.CustomScopeFactory(key="seller.customer_service", name="Customer Service")
    factories.EndpointFactory(
        method="GET", path="/customer_service/202309/conversations", scopes=[scope]
    )

    response = client.get(f"/console/apps/{app.pk}/api/{scope.key}/apply/")

    assert response.status_code == 200
    assert "/customer_service/202309/conversations" in response.text
    assert "Why this scope, and why will a narrower one not do?" in response.text


def test_a_public_or_unknown_scope_has_no_application_form(client, app):
    public = factories.ScopeFactory()

    assert client.get(f"/console/apps/{app.pk}/api/{public.key}/apply/").status_code == 404
    assert client.get(f"/console/apps/{app.pk}/api/no.such/apply/").status_code == 404


def test_applying_submits_and_shows_the_request_page(client, member, app, settings):
    settings.REVIEW_TARGET_BUSINESS_DAYS = 5
    scope = factories.CustomScopeFactory(key="seller.customer_service", name="Customer Service")
    factories.conversations_endpoint(scope)

    response = client.post(f"/console/apps/{app.pk}/api/{scope.key}/apply/", ANSWERS)

    access_request = AccessRequest.objects.get(app=app, scope=scope)
    assert response.status_code == 302
    assert response["Location"] == f"/console/requests/{access_request.pk}/"
    assert access_request.submitted_by == member.user
    assert access_request.data_usage == ANSWERS["data_usage"]
    assert access_request.endpoints_used == "GET /customer_service/202309/conversations"
    assert access_request.chosen_endpoints == [
        {"method": "GET", "path": "/customer_service/202309/conversations"}
    ]
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert 'data-testid="request-status"' in page.text
    assert ">Submitted</span>" in page.text
    assert "Expected decision" in page.text


def test_incomplete_answers_re_render_with_messages_and_keep_what_was_typed(client, app):
    scope = factories.CustomScopeFactory(key="seller.customer_service")

    response = client.post(
        f"/console/apps/{app.pk}/api/{scope.key}/apply/",
        {**ANSWERS, "justification": "", "demo_url": "not a url"},
    )

    assert response.status_code == 400
    assert "This field is required." in response.text
    assert "Enter a valid URL." in response.text
    assert ANSWERS["data_usage"] in response.text
    assert not AccessRequest.objects.exists()


def test_a_second_open_application_is_refused_with_a_message(client, app):
    scope = factories.CustomScopeFactory(key="seller.customer_service")
    factories.conversations_endpoint(scope)
    first = factories.AccessRequestFactory(app=app, scope=scope)

    response = client.post(f"/console/apps/{app.pk}/api/{scope.key}/apply/", ANSWERS)

    assert response.status_code == 409
    assert "already has an open application" in response.text
    assert f'<a href="/console/requests/{first.pk}/">the open application #{first.pk}</a>' in (
        response.text
    )
    assert '<a href="/console/requests/">Applications</a>' in response.text
    assert list(AccessRequest.objects.all()) == [first]


def test_the_request_page_shows_the_reviewers_comments_next_to_the_answers(client, member, app):
    access_request = factories.AccessRequestFactory(
        app=app, status="changes_requested", submitted_by=member.user
    )
    reviewer = factories.UserFactory(is_staff=True)
    ReviewEvent.objects.create(request=access_request, actor=member.user, action="submit")
    ReviewEvent.objects.create(
        request=access_request,
        actor=reviewer,
        action="request_changes",
        from_status="in_review",
        to_status="changes_requested",
        comment="Tell us more about retention.",
        details={"field_comments": {"data_protection": "How long do you keep messages?"}},
    )

    response = client.get(f"/console/requests/{access_request.pk}/")

    text = response.text
    assert "The reviewer asked for changes" in text
    assert "Tell us more about retention." in text
    comment_at = text.index("How long do you keep messages?")
    assert text.index("How is the data stored, protected and deleted?") > comment_at
    assert reviewer.email not in text
    assert "the review team" in text
    assert access_request.data_usage in text  # the resubmit form is prefilled
    assert "Resubmit for review" in text


def test_resubmitting_changed_answers(client, member, app):
    access_request = factories.AccessRequestFactory(
        app=app, status="changes_requested", submitted_by=member.user
    )
    factories.conversations_endpoint(access_request.scope)

    response = client.post(
        f"/console/requests/{access_request.pk}/",
        {**ANSWERS, "data_protection": "Deleted after 30 days."},
    )

    assert response.status_code == 302
    access_request.refresh_from_db()
    assert access_request.status == AccessRequest.Status.SUBMITTED
    assert access_request.data_protection == "Deleted after 30 days."


def test_resubmitting_a_request_that_is_not_awaiting_changes_is_refused(client, app):
    access_request = factories.AccessRequestFactory(app=app, status="in_review")
    factories.conversations_endpoint(access_request.scope)

    response = client.post(f"/console/requests/{access_request.pk}/", ANSWERS)

    assert response.status_code == 409
    assert "You cannot resubmit" in response.text
    access_request.refresh_from_db()
    assert access_request.status == AccessRequest.Status.IN_REVIEW


def test_a_rejected_request_shows_the_reason(client, app):
    access_request = factories.AccessRequestFactory(
        app=app, status="rejected", decision_reason="Your app does not need buyer messages."
    )

    response = client.get(f"/console/requests/{access_request.pk}/")

    assert "Your app does not need buyer messages." in response.text
    assert "Withdraw application" not in response.text


def test_withdrawing_an_open_request(client, app):
    access_request = factories.AccessRequestFactory(app=app)

    response = client.post(f"/console/requests/{access_request.pk}/withdraw/", follow=True)

    access_request.refresh_from_db()
    assert access_request.status == AccessRequest.Status.WITHDRAWN
    assert "Your application was withdrawn." in response.text


def test_withdrawing_a_closed_request_is_refused_with_a_message(client, app):
    access_request = factories.AccessRequestFactory(app=app, status="rejected")

    response = client.post(f"/console/requests/{access_request.pk}/withdraw/", follow=True)

    assert "You cannot withdraw" in response.text
    access_request.refresh_from_db()
    assert access_request.status == AccessRequest.Status.REJECTED


def test_dashboard_lists_the_partners_applications(client, app):
    mine = factories.AccessRequestFactory(app=app, status="in_review")
    theirs = factories.AccessRequestFactory(scope=factories.CustomScopeFactory(name="Secret"))

    response = client.get("/console/")

    assert f"/console/requests/{mine.pk}/" in response.text
    assert f"/console/requests/{theirs.pk}/" not in response.text
    assert "In review" in response.text


# --- team and invitations -----------------------------------------------------------------------


def test_owner_invites_a_colleague(client, member, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/console/team/", {"email": "dev@example.com", "role": "developer"}, follow=True
        )

    assert "Invitation sent to dev@example.com." in response.text
    assert Invitation.objects.get().email == "dev@example.com"
    assert len(mail.outbox) == 1
    assert "http://testserver/console/invitations/" in mail.outbox[0].body


def test_a_developer_cannot_invite(client):
    membership = factories.MembershipFactory(role=Membership.Role.DEVELOPER)
    client.force_login(membership.user)

    page = client.get("/console/team/")
    response = client.post("/console/team/", {"email": "dev@example.com", "role": "owner"})

    assert "Only owners can invite members." in page.text
    assert response.status_code == 403
    assert "Only an owner of the organisation can do this." in response.text
    assert not Invitation.objects.exists()
    assert mail.outbox == []


def test_inviting_an_overlong_email_address_is_a_400_with_a_message(client, member):
    email = "a" * 250 + "@example.com"

    response = client.post("/console/team/", {"email": email, "role": "developer"})

    assert response.status_code == 400
    assert "at most 254 characters" in response.text
    assert email in response.text
    assert not Invitation.objects.exists()


def test_an_invitee_follows_the_link_and_joins(client, member, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/console/team/", {"email": "dev@example.com", "role": "developer"})
    link = re.search(r"http://testserver(/console/invitations/\S+/)", mail.outbox[0].body)[1]
    client.logout()

    anonymous = client.get(link)
    assert anonymous.status_code == 200
    assert f"Join {member.partner.name}" in anonymous.text
    # Following the link proved control of the address, so allauth may treat it as verified.
    assert client.session["account_verified_email"] == "dev@example.com"

    invitee = factories.UserFactory(email="dev@example.com")
    EmailAddress.objects.create(user=invitee, email=invitee.email, verified=True, primary=True)
    client.force_login(invitee)
    response = client.post(link)

    assert response.status_code == 302
    assert Membership.objects.get(user=invitee).partner == member.partner
    assert client.get(link).status_code == 409  # used


@pytest.fixture
def invitee():
    """The invited developer, with the invited address verified, not signed in."""
    user = factories.UserFactory(email="dev@example.com")
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


def invitation_state() -> list:
    """What a refused acceptance must leave untouched."""
    return [
        *Invitation.objects.values_list("pk", "accepted_at", "accepted_by", "revoked_at"),
        *Membership.objects.values_list("pk", "partner", "user", "role"),
        PartnerAuditEvent.objects.count(),
    ]


def test_a_forged_invitation_link_is_404_on_get_and_post_and_nothing_changes(client, invitee):
    message = "This invitation link is not valid. Ask the owner for a new one."
    factories.MembershipFactory(role=Membership.Role.OWNER)
    before = invitation_state()

    page = client.get("/console/invitations/forged-token/")
    client.force_login(invitee)
    accepted = client.post("/console/invitations/forged-token/")

    assert (page.status_code, accepted.status_code) == (404, 404)
    assert f"<p>{message}</p>" in page.text
    assert f"<p>{message}</p>" in accepted.text
    assert invitation_state() == before


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"revoked_at": timezone.now()},
            "This invitation was withdrawn. Ask the owner for a new one.",
        ),
        ({"accepted_at": timezone.now()}, "This invitation has already been used."),
        (
            {"expires_at": timezone.now() - timedelta(minutes=1)},
            "This invitation has expired. Ask the owner for a new one.",
        ),
    ],
)
def test_an_unusable_invitation_is_409_on_get_and_post_and_nothing_changes(
    client, invitee, change, message
):
    owner = factories.MembershipFactory(role=Membership.Role.OWNER)
    raw_token = "unusable-invitation-token"
    invitation = Invitation.objects.create(
        partner=owner.partner,
        email="dev@example.com",
        role=Membership.Role.DEVELOPER,
        invited_by=owner.user,
        token_hash=invitation_token_hash(raw_token),
        expires_at=timezone.now() + timedelta(days=7),
    )
    Invitation.objects.filter(pk=invitation.pk).update(**change)
    link = f"/console/invitations/{raw_token}/"
    before = invitation_state()

    page = client.get(link)
    client.force_login(invitee)
    accepted = client.post(link)

    assert (page.status_code, accepted.status_code) == (409, 409)
    assert f"<p>{message}</p>" in page.text
    assert f"<p>{message}</p>" in accepted.text
    assert invitation_state() == before


def test_owner_removes_a_member(client, member):
    developer = factories.MembershipFactory(partner=member.partner, role="developer")

    response = client.post(f"/console/team/members/{developer.pk}/remove/", follow=True)

    assert "was removed from the organisation" in response.text
    assert not Membership.objects.filter(pk=developer.pk).exists()


def test_the_last_owner_is_told_how_to_leave(client, member):
    response = client.post(f"/console/team/members/{member.pk}/remove/", follow=True)

    assert "invite a colleague as an owner first" in response.text
    assert Membership.objects.filter(pk=member.pk).exists()


# --- pages keep a constant number of queries ----------------------------------------------------
# Each budget includes the one query for the header's roles (console/navigation.py).


@pytest.mark.parametrize("count", [1, 8])
def test_dashboard_queries_do_not_grow_with_apps(client, member, count, django_assert_num_queries):
    factories.add_partner_apps_and_members(member, count)

    with django_assert_num_queries(7):
        assert client.get("/console/").status_code == 200


@pytest.mark.parametrize("count", [1, 8])
def test_app_list_queries_do_not_grow_with_apps(client, member, count, django_assert_num_queries):
    factories.add_partner_apps_and_members(member, count)

    with django_assert_num_queries(5):
        assert client.get("/console/apps/").status_code == 200


@pytest.mark.parametrize("count", [1, 8])
def test_team_queries_do_not_grow_with_members(client, member, count, django_assert_num_queries):
    factories.add_partner_apps_and_members(member, count)

    with django_assert_num_queries(6):
        assert client.get("/console/team/").status_code == 200


@pytest.mark.parametrize("count", [1, 8])
def test_app_detail_queries_do_not_grow_with_scopes_and_requests(
    client, member, count, django_assert_num_queries
):
    app = factories.PartnerAppFactory(partner=member.partner)
    now = timezone.now()
    for index in range(count):
        factories.AppScopeFactory(app=app)
        factories.AccessRequestFactory(app=app, submitted_by=member.user)
        GateDenialCount.objects.create(
            app=app, reason="shop_required", day=(now - timedelta(days=index)).date(), count=1,
            last_denied_at=now,
        )  # fmt: skip

    # 11: two of them read the app's recent failed client authentications and denied calls, one
    # its webhook.
    with django_assert_num_queries(11):
        assert client.get(f"/console/apps/{app.pk}/").status_code == 200


@pytest.mark.parametrize("count", [1, 41])
def test_manage_api_queries_do_not_grow_with_the_catalog(
    client, member, count, django_assert_num_queries
):
    app = factories.PartnerAppFactory(partner=member.partner)
    for index in range(count):
        scope = factories.CustomScopeFactory() if index % 2 else factories.ScopeFactory()
        factories.EndpointFactory(scopes=[scope])
        if index % 2:
            factories.ApprovedAccessRequestFactory(app=app, scope=scope)
        factories.AppScopeFactory(app=app, scope=scope)

    with django_assert_num_queries(12):
        assert client.get(f"/console/apps/{app.pk}/api/").status_code == 200


@pytest.mark.parametrize("count", [1, 8])
def test_request_detail_queries_do_not_grow_with_its_history(
    client, member, count, django_assert_num_queries
):
    access_request = factories.AccessRequestFactory(
        app=factories.PartnerAppFactory(partner=member.partner), submitted_by=member.user
    )
    for index in range(count):
        factories.EndpointFactory(scopes=[access_request.scope])
        ReviewEvent.objects.create(
            request=access_request, action=ReviewEvent.Action.SUBMIT, actor=member.user
        )
        AccessRequestAttachment.objects.create(
            access_request=access_request,
            file=f"elsewhere/{index}.pdf",  # the page lists files; it never opens one
            original_name=f"{index}.pdf",
            content_type="application/pdf",
            size=100,
            sha256="0" * 64,
            uploaded_by=member.user,
        )

    # One lists its supporting files; the timeline reads the partner-visible events itself
    # (events.review.partner_visible_events), apart from the selector's prefetch.
    with django_assert_num_queries(10):
        assert client.get(f"/console/requests/{access_request.pk}/").status_code == 200
