"""Apps, credentials, redirect URIs, requested scopes, and the owner-scoped selectors."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError
from django.utils import timezone

from apps_registry.models import AccessRequest, AppScope, Membership, PartnerApp, ReviewEvent
from apps_registry.selectors import partners as selectors
from apps_registry.services import apps as services
from apps_registry.validators import validate_redirect_uri, validate_redirect_uris
from core.errors import DomainError, InvalidTransitionError, PermissionRefusedError
from tests import factories

pytestmark = pytest.mark.django_db


def member_of(partner, role=Membership.Role.DEVELOPER):
    return factories.MembershipFactory(partner=partner, role=role).user


def create_app(partner, user, **overrides):
    arguments = {
        "name": "Helpdesk Sync",
        "redirect_uris": ["https://app.example.com/callback"],
        "description": "Answers buyer messages.",
        "category": PartnerApp.Category.CUSTOMER_SERVICE,
        "homepage_url": "https://app.example.com",
        "privacy_policy_url": "https://app.example.com/privacy",
        **overrides,
    }
    return services.app_create(partner=partner, acting_user=user, **arguments)


def app_snapshot(app: PartnerApp) -> dict:
    app = PartnerApp.objects.get(pk=app.pk)
    return {
        "client_secret": app.client_secret,
        "redirect_uris": app.redirect_uris,
        "status": app.status,
        "name": app.name,
        "scopes": sorted(app.requested_scopes.values_list("scope__key", "is_required")),
    }


# --- redirect URI rules -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "uri",
    [
        "https://app.example.com/callback",
        "https://app.example.com:8443/oauth/cb?tenant=eu",
        "http://127.0.0.1:8765/callback",
        "http://[::1]/callback",
        "http://localhost:3000/cb",
        "https://localhost/cb",
        "https://xn--pple-43d.com/cb",
        "https://shop.xn--bcher-kva.example/cb",
    ],
)
def test_acceptable_redirect_uris(uri):
    validate_redirect_uri(uri)


@pytest.mark.parametrize(
    ("uri", "code"),
    [
        ("http://app.example.com/callback", "insecure_scheme"),
        ("javascript:alert(1)", "not_absolute"),
        ("data:text/html,hi", "not_absolute"),
        ("ftp://app.example.com/cb", "scheme"),
        ("https://*.example.com/cb", "wildcard"),
        ("https://app.example.com/cb#frag", "fragment"),
        ("https://app.example.com/cb#", "fragment"),
        ("https://evil@app.example.com/cb", "userinfo"),
        ("https://user:pw@app.example.com/cb", "userinfo"),
        ("/callback", "not_absolute"),
        ("app.example.com/callback", "not_absolute"),
        ("https://203.0.113.7/cb", "ip_literal"),
        ("https://[2001:db8::1]/cb", "ip_literal"),
        ("https://app.example.com/cb?code=abc", "reserved_parameter"),
        ("https://app.example.com/cb?state=x", "reserved_parameter"),
        ("https://app.example.com/c b", "invalid_characters"),
        ("https://app.example.com:99999/cb", "invalid"),
        ("https://" + "a" * 2000 + ".com/", "too_long"),
        ("https://аpple.com/cb", "not_ascii"),
        ("https://app.example.com/rückruf", "not_ascii"),
    ],
)
def test_unacceptable_redirect_uris(uri, code):
    with pytest.raises(ValidationError) as raised:
        validate_redirect_uri(uri)
    assert raised.value.code == code


@pytest.mark.parametrize(
    ("uri", "example"),
    [
        ("https://аpple.com/cb", "https://xn--pple-43d.com/cb"),
        (
            "https://bücher.example:8443/rückruf?a=ü",
            "https://xn--bcher-kva.example:8443/r%C3%BCckruf?a=%C3%BC",
        ),
    ],
)
def test_an_international_redirect_uri_is_refused_with_its_ascii_form_to_register(uri, example):
    with pytest.raises(ValidationError) as raised:
        validate_redirect_uri(uri)
    assert raised.value.messages == [
        f"“{uri}” has characters outside ASCII; register it as your app sends it, with the host "
        f"in its xn-- form and the path percent-encoded, e.g. “{example}”."
    ]


@pytest.mark.parametrize(
    ("uri", "label", "reason"),
    [
        (
            "https://xn--ls8h.example/cb",
            "xn--ls8h",
            "Codepoint U+1F4A9 at position 1 of '💩' not allowed",
        ),
        ("https://app.xn--x.com/cb", "xn--x", "Invalid A-label"),
        (
            "https://XN--Bcher-kva-.example/cb",
            "xn--bcher-kva-",
            "A-label must not end with a hyphen",
        ),
    ],
)
def test_an_xn_label_that_is_not_valid_idna_is_refused(uri, label, reason):
    # Browsers refuse (or display as something else) a host whose xn-- label decodes to no valid
    # international name, so such a redirect URI is a mistake at best.
    with pytest.raises(ValidationError) as raised:
        validate_redirect_uri(uri)
    assert raised.value.code == "invalid_idna"
    assert raised.value.messages == [
        f"“{uri}” has a host label “{label}” that is not a valid international domain name "
        f"({reason}). Convert the host's Unicode name to its xn-- form again and register that."
    ]


def test_redirect_uri_list_needs_one_and_at_most_ten():
    with pytest.raises(ValidationError, match="at least one"):
        validate_redirect_uris([])
    with pytest.raises(ValidationError, match="at most 10"):
        validate_redirect_uris([f"https://app.example.com/cb{n}" for n in range(11)])


# --- app_create ---------------------------------------------------------------------------------


def test_app_create_fixes_the_oauth_settings_and_hashes_the_secret():
    partner = factories.PartnerFactory()
    user = member_of(partner)

    app, raw_secret = create_app(partner, user)

    app = PartnerApp.objects.get(pk=app.pk)
    assert app.partner == partner
    assert app.user == user
    assert app.client_type == PartnerApp.CLIENT_CONFIDENTIAL
    assert app.authorization_grant_type == PartnerApp.GRANT_AUTHORIZATION_CODE
    assert app.skip_authorization is False
    assert app.hash_client_secret is True
    assert app.status == PartnerApp.Status.DRAFT
    assert app.redirect_uris == "https://app.example.com/callback"
    assert len(raw_secret) >= 64
    assert app.client_secret.startswith("hmac_sha256$")
    assert raw_secret not in app.client_secret
    assert check_password(raw_secret, app.client_secret)
    assert app.secret_hint == raw_secret[-4:]


def test_app_create_refuses_a_non_member_and_creates_nothing():
    partner = factories.PartnerFactory()
    outsider = factories.MembershipFactory().user

    with pytest.raises(PermissionRefusedError):
        create_app(partner, outsider)

    assert PartnerApp.objects.count() == 0


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"name": "  "}, "name"),
        ({"redirect_uris": ["http://app.example.com/cb"]}, "uses http"),
        ({"redirect_uris": []}, "at least one"),
        ({"category": "gambling"}, "categories"),
        ({"homepage_url": "http://app.example.com"}, "homepage URL"),
        ({"privacy_policy_url": "not a url"}, "privacy policy URL"),
        # Sellers follow these links: a public domain name, an international one as xn--.
        ({"homepage_url": "https://10.0.0.1/"}, "homepage URL"),
        ({"homepage_url": "https://localhost/"}, "homepage URL"),
        ({"privacy_policy_url": "https://bücher.example/privacy"}, "privacy policy URL"),
        ({"privacy_policy_url": "https://app.example.com/100%"}, "privacy policy URL"),
    ],
)
def test_app_create_refuses_bad_input_and_creates_nothing(overrides, message):
    partner = factories.PartnerFactory()
    user = member_of(partner)

    with pytest.raises(DomainError, match=message):
        create_app(partner, user, **overrides)

    assert PartnerApp.objects.count() == 0


@pytest.mark.parametrize(
    "url", ["https://shop.xn--p1ai/privacy", "https://app.example.com:8443/privacy?lang=en"]
)
def test_app_create_takes_any_public_https_address_for_its_links(url):
    partner = factories.PartnerFactory()

    app, _secret = create_app(partner, member_of(partner), homepage_url=url, privacy_policy_url=url)

    assert (app.homepage_url, app.privacy_policy_url) == (url, url)


# --- credentials and redirect URIs --------------------------------------------------------------


def test_rotating_the_secret_replaces_it_and_records_when():
    app = factories.PartnerAppFactory()
    user = member_of(app.partner)
    old_hash = PartnerApp.objects.get(pk=app.pk).client_secret

    rotated, raw_secret = services.app_rotate_secret(app_id=app.pk, acting_user=user)

    rotated = PartnerApp.objects.get(pk=app.pk)
    assert rotated.client_secret != old_hash
    assert check_password(raw_secret, rotated.client_secret)
    assert not check_password("test-client-secret-0123456789", rotated.client_secret)
    assert rotated.secret_hint == raw_secret[-4:]
    assert rotated.secret_rotated_at is not None


def test_rotating_another_partners_secret_is_refused_and_changes_nothing():
    app = factories.PartnerAppFactory()
    outsider = factories.MembershipFactory().user
    before = app_snapshot(app)

    with pytest.raises(PermissionRefusedError):
        services.app_rotate_secret(app_id=app.pk, acting_user=outsider)

    assert app_snapshot(app) == before
    assert PartnerApp.objects.get(pk=app.pk).secret_rotated_at is None


def test_a_suspended_app_can_still_rotate_its_secret():
    app = factories.PartnerAppFactory(status=PartnerApp.Status.SUSPENDED)
    user = member_of(app.partner)

    _, raw_secret = services.app_rotate_secret(app_id=app.pk, acting_user=user)

    assert check_password(raw_secret, PartnerApp.objects.get(pk=app.pk).client_secret)


def test_setting_redirect_uris_replaces_them():
    app = factories.PartnerAppFactory()
    user = member_of(app.partner)

    services.app_set_redirect_uris(
        app_id=app.pk,
        redirect_uris=["https://new.example.com/cb", "http://127.0.0.1:8080/cb"],
        acting_user=user,
    )

    assert (
        PartnerApp.objects.get(pk=app.pk).redirect_uris
        == "https://new.example.com/cb http://127.0.0.1:8080/cb"
    )


@pytest.mark.parametrize(
    "uris", [["https://*.example.com/cb"], ["https://ok.example.com/cb", "https://x/cb#a"]]
)
def test_bad_redirect_uris_are_refused_and_the_old_ones_kept(uris):
    app = factories.PartnerAppFactory()
    user = member_of(app.partner)
    before = app_snapshot(app)

    with pytest.raises(DomainError):
        services.app_set_redirect_uris(app_id=app.pk, redirect_uris=uris, acting_user=user)

    assert app_snapshot(app) == before


def test_a_suspended_app_cannot_change_its_redirect_uris():
    app = factories.PartnerAppFactory(status=PartnerApp.Status.SUSPENDED)
    user = member_of(app.partner)
    before = app_snapshot(app)

    with pytest.raises(InvalidTransitionError, match="suspended"):
        services.app_set_redirect_uris(
            app_id=app.pk, redirect_uris=["https://new.example.com/cb"], acting_user=user
        )

    assert app_snapshot(app) == before


def test_update_details_changes_what_sellers_see():
    app = factories.PartnerAppFactory()
    user = member_of(app.partner)

    services.app_update_details(
        app_id=app.pk,
        acting_user=user,
        name="Renamed",
        description="New words",
        category=PartnerApp.Category.ANALYTICS,
        homepage_url="https://renamed.example.com",
        privacy_policy_url="https://renamed.example.com/privacy",
    )

    app = PartnerApp.objects.get(pk=app.pk)
    assert (app.name, app.category, app.homepage_url) == (
        "Renamed",
        "analytics",
        "https://renamed.example.com",
    )


# --- publish ------------------------------------------------------------------------------------


def test_publish_turns_a_draft_live():
    app = factories.PartnerAppFactory(status=PartnerApp.Status.DRAFT)
    user = member_of(app.partner)

    services.app_publish(app_id=app.pk, acting_user=user)

    assert PartnerApp.objects.get(pk=app.pk).status == PartnerApp.Status.LIVE


@pytest.mark.parametrize(
    ("arrange", "error", "message"),
    [
        ({"status": PartnerApp.Status.LIVE}, InvalidTransitionError, "Only a draft"),
        ({"status": PartnerApp.Status.SUSPENDED}, InvalidTransitionError, "suspended"),
        (
            {"status": PartnerApp.Status.DRAFT, "privacy_policy_url": ""},
            DomainError,
            "privacy policy",
        ),
    ],
)
def test_publish_is_refused_unless_a_ready_draft(arrange, error, message):
    app = factories.PartnerAppFactory(**arrange)
    user = member_of(app.partner)

    with pytest.raises(error, match=message):
        services.app_publish(app_id=app.pk, acting_user=user)

    assert PartnerApp.objects.get(pk=app.pk).status == arrange["status"]


def test_publish_by_an_outsider_is_refused():
    app = factories.PartnerAppFactory(status=PartnerApp.Status.DRAFT)
    outsider = factories.MembershipFactory().user

    with pytest.raises(PermissionRefusedError):
        services.app_publish(app_id=app.pk, acting_user=outsider)

    assert PartnerApp.objects.get(pk=app.pk).status == PartnerApp.Status.DRAFT


# --- requested scopes ---------------------------------------------------------------------------


def test_set_requested_scopes_adds_updates_and_removes():
    app = factories.PartnerAppFactory()
    user = member_of(app.partner)
    kept, dropped, added = factories.ScopeFactory.create_batch(3)
    factories.AppScopeFactory(app=app, scope=kept, is_required=True)
    factories.AppScopeFactory(app=app, scope=dropped)
    approved = factories.CustomScopeFactory()
    factories.ApprovedAccessRequestFactory(app=app, scope=approved)

    services.app_set_requested_scopes(
        app=app,
        selections={kept.key: False, added.key: True, approved.key: True},
        acting_user=user,
    )

    assert dict(AppScope.objects.filter(app=app).values_list("scope__key", "is_required")) == {
        kept.key: False,
        added.key: True,
        approved.key: True,
    }


@pytest.mark.parametrize(
    "request_status",
    [None, "submitted", "in_review", "changes_requested", "rejected", "revoked", "expired"],
)
def test_a_custom_scope_without_a_live_approval_cannot_be_requested(request_status):
    app = factories.PartnerAppFactory()
    user = member_of(app.partner)
    public = factories.ScopeFactory()
    factories.AppScopeFactory(app=app, scope=public)
    custom = factories.CustomScopeFactory()
    if request_status:
        factories.AccessRequestFactory(app=app, scope=custom, status=request_status)
    before = app_snapshot(app)

    with pytest.raises(DomainError, match=custom.key):
        services.app_set_requested_scopes(
            app=app, selections={public.key: True, custom.key: True}, acting_user=user
        )

    assert app_snapshot(app) == before


def test_an_approval_past_its_expiry_does_not_count():
    app = factories.PartnerAppFactory()
    user = member_of(app.partner)
    custom = factories.CustomScopeFactory()
    factories.ApprovedAccessRequestFactory(
        app=app, scope=custom, approval_expires_at=timezone.now() - timedelta(minutes=1)
    )

    with pytest.raises(DomainError):
        services.app_set_requested_scopes(app=app, selections={custom.key: True}, acting_user=user)

    assert not AppScope.objects.filter(app=app).exists()


def test_inactive_or_unknown_scopes_cannot_be_requested():
    app = factories.PartnerAppFactory()
    user = member_of(app.partner)
    inactive = factories.ScopeFactory(is_active=False)

    with pytest.raises(DomainError):
        services.app_set_requested_scopes(
            app=app, selections={inactive.key: True, "no.such.scope": False}, acting_user=user
        )

    assert not AppScope.objects.filter(app=app).exists()


def test_a_suspended_app_cannot_change_its_scopes():
    app = factories.PartnerAppFactory(status=PartnerApp.Status.SUSPENDED)
    user = member_of(app.partner)
    public = factories.ScopeFactory()

    with pytest.raises(InvalidTransitionError):
        services.app_set_requested_scopes(app=app, selections={public.key: True}, acting_user=user)

    assert not AppScope.objects.filter(app=app).exists()


def test_an_outsider_cannot_set_scopes():
    app = factories.PartnerAppFactory()
    outsider = factories.MembershipFactory().user
    public = factories.ScopeFactory()

    with pytest.raises(PermissionRefusedError):
        services.app_set_requested_scopes(
            app=app, selections={public.key: True}, acting_user=outsider
        )

    assert not AppScope.objects.filter(app=app).exists()


# --- selectors: owner scoping -------------------------------------------------------------------


def test_selectors_reach_only_the_users_own_organisation():
    mine = factories.PartnerAppFactory()
    user = member_of(mine.partner)
    theirs = factories.PartnerAppFactory()
    my_request = factories.AccessRequestFactory(app=mine)
    their_request = factories.AccessRequestFactory(app=theirs)
    their_member = member_of(theirs.partner)

    assert list(selectors.apps_for_user(user=user)) == [mine]
    assert selectors.app_get_for_user(user=user, app_id=mine.pk) == mine
    assert selectors.app_get_for_user(user=user, app_id=theirs.pk) is None
    assert list(selectors.access_requests_for_user(user=user)) == [my_request]
    assert selectors.access_request_get_for_user(user=user, request_id=their_request.pk) is None
    assert (
        selectors.membership_get_for_user(
            user=user, membership_id=Membership.objects.get(user=their_member).pk
        )
        is None
    )
    assert selectors.partner_for_user(user=user) == mine.partner


def test_a_user_without_an_organisation_sees_nothing():
    factories.PartnerAppFactory()
    loner = factories.UserFactory()

    assert selectors.partner_for_user(user=loner) is None
    assert list(selectors.apps_for_user(user=loner)) == []
    assert list(selectors.access_requests_for_user(user=loner)) == []


def test_scope_statuses_cover_every_state_of_an_app():
    app = factories.PartnerAppFactory()
    public = factories.ScopeFactory(group="Product", key="seller.product.basic")
    never = factories.CustomScopeFactory(key="seller.never")
    pending = factories.CustomScopeFactory(key="seller.pending")
    approved = factories.CustomScopeFactory(key="seller.approved")
    lapsed = factories.CustomScopeFactory(key="seller.lapsed")
    rejected = factories.CustomScopeFactory(key="seller.rejected")
    factories.ScopeFactory(key="seller.hidden", is_active=False)
    factories.AccessRequestFactory(app=app, scope=pending, status="in_review")
    expires = timezone.now() + timedelta(days=30)
    factories.ApprovedAccessRequestFactory(app=app, scope=approved, approval_expires_at=expires)
    factories.ApprovedAccessRequestFactory(
        app=app, scope=lapsed, approval_expires_at=timezone.now() - timedelta(days=1)
    )
    factories.AccessRequestFactory(
        app=app, scope=rejected, status="rejected", decision_reason="Too broad."
    )
    factories.AccessRequestFactory(scope=never, status="approved", decided_at=timezone.now())
    factories.AppScopeFactory(app=app, scope=public, is_required=False)

    rows = {
        row.scope.key: row for group in selectors.app_scope_statuses(app=app) for row in group.rows
    }

    assert {key: row.status for key, row in rows.items()} == {
        "seller.product.basic": "available",
        "seller.never": "not_applied",
        "seller.pending": "in_review",
        "seller.approved": "approved",
        "seller.lapsed": "expired",
        "seller.rejected": "rejected",
    }
    assert rows["seller.approved"].approval_expires_at == expires
    assert rows["seller.rejected"].reason == "Too broad."
    assert rows["seller.product.basic"].requested.is_required is False
    assert [key for key, row in rows.items() if row.can_apply] == [
        "seller.never",
        "seller.lapsed",
        "seller.rejected",
    ]


def test_scope_statuses_search_by_endpoint_path():
    app = factories.PartnerAppFactory()
    chat = factories.CustomScopeFactory(key="seller.customer_service")
    factories.ScopeFactory(key="seller.product.basic")
    factories.EndpointFactory(path="/customer_service/202309/conversations", scopes=[chat])

    groups = selectors.app_scope_statuses(app=app, query="conversations")

    assert [row.scope.key for group in groups for row in group.rows] == [chat.key]


def test_expected_decision_date_counts_from_the_last_submission(settings):
    settings.REVIEW_TARGET_BUSINESS_DAYS = 5
    submitted = datetime(2026, 3, 2, 10, 0, tzinfo=timezone.UTC)
    access_request = factories.AccessRequestFactory(submitted_at=submitted)

    assert selectors.expected_decision_date(access_request) == date(2026, 3, 9)

    ReviewEvent.objects.create(
        request=access_request,
        action=ReviewEvent.Action.RESUBMIT,
        created_at=datetime(2026, 3, 5, 9, 0, tzinfo=timezone.UTC),
    )
    assert selectors.expected_decision_date(access_request) == date(2026, 3, 12)

    access_request.status = AccessRequest.Status.REJECTED
    assert selectors.expected_decision_date(access_request) is None
