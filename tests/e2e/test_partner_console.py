"""Partner journeys in a real browser: sign up and verify by e-mail, create the organisation and
an app (the secret is shown once), open Manage API, apply for a Custom scope, choose the scopes
the app asks sellers for, and find out why the API gateway denies a call."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from allauth.account.models import EmailAddress
from django.core import mail
from django.utils import timezone
from playwright.sync_api import Page, expect

from apps_registry.allauth_internals import totp_activate
from apps_registry.models import AccessRequest, AppScope, GateDenialCount, Membership, PartnerApp
from scopes.models import Scope
from tests import factories
from tests.e2e.mfa_helpers import current_totp, enter_code, set_up_totp

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-results"
PASSWORD = "a-Long-and-unusual-passphrase-42"


def shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"partner-{name}.png", full_page=True)


def sign_in(page: Page, live_server, user, *, totp_secret: str | None = None) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    if totp_secret:
        expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/"))
        page.locator('input[name="code"]').fill(current_totp(totp_secret))
        page.locator('form button[type="submit"]').first.click()


def partner_with_app(live_server, page: Page, *, with_totp: bool = False):
    """A signed-in owner with one live app (and TOTP, used to sign in, if `with_totp`); returns
    the app."""
    membership = factories.MembershipFactory(role=Membership.Role.OWNER, partner__name="Acme")
    user = membership.user
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    app = factories.PartnerAppFactory(partner=membership.partner, name="Helpdesk Sync")
    sign_in(page, live_server, user, totp_secret=totp_activate(user) if with_totp else None)
    expect(page).to_have_url(f"{live_server.url}/console/")
    return app


def test_a_new_partner_signs_up_creates_an_app_and_sees_its_secret_once(
    live_server, page: Page, catalog
):
    page.goto(f"{live_server.url}/")
    page.get_by_role("link", name="Sign up").click()
    page.get_by_label("Email").fill("dev@acme.test")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password (again)").fill(PASSWORD)
    shot(page, "signup")
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Verify your email address")

    link = re.search(r"https?://[^/\s]+(/accounts/confirm-email/\S+/)", mail.outbox[-1].body)[1]
    page.goto(f"{live_server.url}{link}")
    page.get_by_role("button", name="Confirm").click()

    page.goto(f"{live_server.url}/console/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Create your organisation")
    page.get_by_label("Organisation name").fill("Acme Tools")
    shot(page, "onboarding")
    page.get_by_role("button", name="Create organisation").click()

    # An owner sees client secrets only with two-factor authentication (ADR 0018).
    expect(page.get_by_role("status")).to_contain_text(
        "Owners must use two-factor authentication to see client secrets"
    )
    recovery_codes = set_up_totp(page, PASSWORD)
    page.get_by_role("link", name="go back to where you were").click()
    enter_code(page, recovery_codes[0])
    expect(page.get_by_role("heading", level=1)).to_have_text("Create an app")
    page.get_by_label("Name").fill("Helpdesk Sync")
    page.get_by_label("Description").fill("Answers buyer messages from one inbox.")
    page.get_by_label("Category").select_option("customer_service")
    page.get_by_label("Homepage URL").fill("https://helpdesk.example.com")
    page.get_by_label("Privacy policy URL").fill("https://helpdesk.example.com/privacy")
    page.get_by_label("Redirect URIs").fill(
        "https://helpdesk.example.com/oauth/callback\nhttp://127.0.0.1:8765/callback"
    )
    shot(page, "app-create")
    page.get_by_role("button", name="Create app").click()

    app = PartnerApp.objects.get(name="Helpdesk Sync")
    expect(page).to_have_url(f"{live_server.url}/console/apps/{app.pk}/")
    secret = page.get_by_test_id("client-secret")
    expect(secret).to_be_visible()
    raw_secret = secret.inner_text().strip()
    assert raw_secret.endswith(app.secret_hint)
    expect(page.get_by_text(app.client_id)).to_be_visible()
    shot(page, "app-secret-once")

    page.reload()
    expect(page.get_by_test_id("client-secret")).to_have_count(0)
    expect(page.get_by_test_id("secret-hint")).to_have_text(f"••••••••{raw_secret[-4:]}")
    assert raw_secret not in page.content()
    shot(page, "app-detail")

    page.get_by_role("link", name="Manage API").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Manage API")
    customer_service = page.locator("li[data-scope='seller.customer_service']")
    expect(customer_service.get_by_test_id("scope-status")).to_have_text("Apply to use")
    expect(customer_service.get_by_role("link", name="Apply for Customer Service")).to_be_visible()
    shot(page, "manage-api")


def test_a_partner_applies_for_customer_service_and_chooses_public_scopes(
    live_server, page: Page, catalog
):
    app = partner_with_app(live_server, page)
    page.get_by_role("link", name="Helpdesk Sync").first.click()
    page.get_by_role("link", name="Manage API").first.click()

    page.get_by_label("Search by scope or API").fill("conversations")
    page.get_by_role("button", name="Search").click()
    customer_service = page.locator("li[data-scope='seller.customer_service']")
    expect(customer_service).to_be_visible()
    customer_service.get_by_role("link", name="Apply for Customer Service").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Apply for Customer Service")
    page.get_by_label("What does your app do with this data?").fill(
        "Shows buyer conversations in a shared help-desk inbox so agents can answer them."
    )
    page.get_by_label("Why this scope, and why will a narrower one not do?").fill(
        "Only Customer Service exposes conversations and messages; no Public scope does."
    )
    endpoints = page.get_by_role("group", name="Which endpoints will the app call?")
    endpoints.get_by_label("GET /customer_service/202309/conversations · Get Conversations").check()
    endpoints.get_by_label(
        "POST /customer_service/202309/conversations/{conversation_id}/messages · Send Message"
    ).check()
    page.get_by_label("How is the data stored, protected and deleted?").fill(
        "Encrypted at rest in the EU; agents see only their shops; deleted 90 days after "
        "the shop disconnects."
    )
    page.get_by_label("Link to a demo or test instructions").fill(
        "https://helpdesk.example.com/demo"
    )
    shot(page, "apply")
    page.get_by_role("button", name="Submit application").click()

    access_request = AccessRequest.objects.get(app=app, scope__key="seller.customer_service")
    expect(page).to_have_url(f"{live_server.url}/console/requests/{access_request.pk}/")
    expect(page.get_by_test_id("request-status")).to_have_text("Submitted")
    expect(page.get_by_test_id("expected-decision")).to_contain_text("by ")
    expect(page.locator(".timeline")).to_contain_text("Submitted")
    shot(page, "request")

    page.get_by_role("navigation", name="Partner console").get_by_role(
        "link", name="Overview"
    ).click()
    expect(page.get_by_role("row").filter(has_text="Customer Service")).to_contain_text("Submitted")
    shot(page, "dashboard")

    page.goto(f"{live_server.url}/console/apps/{app.pk}/api/")
    page.get_by_label("Ask sellers for Product Basic").select_option("required")
    page.get_by_label("Ask sellers for Order Information").select_option("optional")
    page.get_by_role("button", name="Save scope selection").click()

    expect(page.get_by_role("status").filter(has_text="were saved")).to_be_visible()
    assert dict(AppScope.objects.filter(app=app).values_list("scope__key", "is_required")) == {
        "seller.product.basic": True,
        "seller.order.info": False,
    }
    customer_service = page.locator("li[data-scope='seller.customer_service']")
    expect(customer_service.get_by_test_id("scope-status")).to_have_text("Submitted")
    shot(page, "manage-api-saved")


def test_rotating_the_secret_asks_for_the_password_then_shows_the_new_secret(
    live_server, page: Page, catalog
):
    app = partner_with_app(live_server, page, with_totp=True)
    page.goto(f"{live_server.url}/console/apps/{app.pk}/")
    page.get_by_text("Rotate the client secret").click()
    page.get_by_role("button", name="Generate a new secret").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm access")
    shot(page, "reauthenticate")
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Confirm").click()

    expect(page).to_have_url(f"{live_server.url}/console/apps/{app.pk}/")
    expect(page.get_by_test_id("client-secret")).to_be_visible()
    app.refresh_from_db()
    assert app.secret_rotated_at is not None
    assert page.get_by_test_id("client-secret").inner_text().strip().endswith(app.secret_hint)
    activity = page.get_by_test_id("app-activity")
    expect(activity.get_by_role("listitem").first).to_contain_text("Client secret rotated")
    expect(activity).to_contain_text(f"Secret ends in …{app.secret_hint}")
    shot(page, "app-activity")


def test_an_owner_without_two_factor_who_rotates_is_sent_to_set_it_up_and_nothing_changes(
    live_server, page: Page, catalog
):
    app = partner_with_app(live_server, page)
    secret_before = PartnerApp.objects.get(pk=app.pk).client_secret
    page.goto(f"{live_server.url}/console/apps/{app.pk}/")
    page.get_by_text("Rotate the client secret").click()
    page.get_by_role("button", name="Generate a new secret").click()

    expect(page.get_by_role("status")).to_contain_text(
        "Owners must use two-factor authentication to see client secrets"
    )
    assert "/accounts/" in page.url
    shot(page, "owner-needs-two-factor")
    app.refresh_from_db()
    assert (app.client_secret, app.secret_rotated_at) == (secret_before, None)

    recovery_codes = set_up_totp(page, factories.PASSWORD)
    page.get_by_role("link", name="go back to where you were").click()
    expect(page).to_have_url(f"{live_server.url}/console/apps/{app.pk}/")
    page.get_by_text("Rotate the client secret").click()
    page.get_by_role("button", name="Generate a new secret").click()
    enter_code(page, recovery_codes[0])

    expect(page).to_have_url(f"{live_server.url}/console/apps/{app.pk}/")
    expect(page.get_by_test_id("client-secret")).to_be_visible()
    app.refresh_from_db()
    assert app.client_secret != secret_before


def test_an_owner_invites_a_colleague_who_signs_up_from_the_link_and_joins(
    live_server, page: Page, browser, catalog
):
    app = partner_with_app(live_server, page)
    # Enrolled after this session signed in with the password alone (or a stolen session): a
    # member may rotate secrets, so the invitation waits for a code (ADR 0018).
    totp_secret = totp_activate(app.partner.memberships.get().user)
    page.get_by_role("navigation", name="Partner console").get_by_role("link", name="Apps").click()
    expect(page.get_by_role("row").filter(has_text="Helpdesk Sync")).to_contain_text("Live")
    page.get_by_role("navigation", name="Partner console").get_by_role("link", name="Team").click()
    page.get_by_label("Email address").fill("colleague@acme.test")
    page.get_by_label("Role").select_option("developer")
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_role("status")).to_contain_text(
        "owners see client secrets and invite members only after using two-factor"
    )
    assert mail.outbox == []
    enter_code(page, current_totp(totp_secret))
    expect(page).to_have_url(f"{live_server.url}/console/team/")
    expect(page.get_by_role("status").filter(has_text="Invitation sent")).to_be_visible()
    expect(page.get_by_role("row").filter(has_text="colleague@acme.test")).to_contain_text(
        "Developer"
    )
    shot(page, "team")

    link = re.search(r"https?://[^/\s]+(/console/invitations/\S+/)", mail.outbox[-1].body)[1]
    colleague = browser.new_page()
    colleague.goto(f"{live_server.url}{link}")
    expect(colleague.get_by_role("heading", level=1)).to_have_text("Join Acme")
    colleague.get_by_role("link", name="Create an account").click()
    colleague.get_by_label("Email").fill("colleague@acme.test")
    colleague.get_by_label("Password", exact=True).fill(PASSWORD)
    colleague.get_by_label("Password (again)").fill(PASSWORD)
    colleague.get_by_role("button", name="Sign up").click()

    # The link proved the address, so no verification e-mail: straight back to the invitation.
    expect(colleague).to_have_url(f"{live_server.url}{link}")
    shot(colleague, "invitation")
    colleague.get_by_role("button", name="Accept and join").click()
    expect(colleague.get_by_role("heading", level=1)).to_have_text("Acme")
    expect(colleague.get_by_text("Helpdesk Sync")).to_be_visible()
    assert Membership.objects.get(user__email="colleague@acme.test").partner == app.partner
    colleague.close()


def test_a_partner_explains_a_denied_call_and_follows_its_fix(live_server, page: Page, catalog):
    app = partner_with_app(live_server, page)
    shop = factories.ShopFactory(name="Northwind Goods")
    factories.ShopAuthorizationFactory(
        app=app, shop=shop, scopes=[Scope.objects.get(key="seller.product.basic")]
    )
    page.get_by_role("navigation", name="Partner console").get_by_role("link", name="Apps").click()
    page.get_by_role("link", name="Helpdesk Sync").click()
    page.get_by_role("link", name="Explain a call").first.click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("Explain a call")
    expect(page.locator("#authorized-shops option")).to_have_attribute("value", shop.cipher)
    page.get_by_label("Method").select_option("GET")
    page.get_by_label("Path").fill("/customer_service/202309/conversations")
    page.get_by_label("Shop cipher").fill(shop.cipher)
    page.get_by_role("button", name="Explain").click()

    decision = page.get_by_test_id("gate-decision")
    expect(decision.get_by_role("heading", level=2)).to_have_text("Denied 403")
    expect(decision.get_by_test_id("reason-code")).to_have_text("scope_not_available_to_app")
    expect(decision).to_contain_text(
        "GET /customer_service/202309/conversations · Get Conversations"
    )
    expect(decision).to_contain_text("seller.customer_service")
    assert "method=GET" in page.url
    assert f"shop={shop.cipher}" in page.url
    shot(page, "explain-denied")

    decision.get_by_test_id("gate-fix").get_by_role("link", name="Apply for the scope").click()
    expect(page).to_have_url(
        f"{live_server.url}/console/apps/{app.pk}/api/seller.customer_service/apply/"
    )
    expect(page.get_by_role("heading", level=1)).to_have_text("Apply for Customer Service")


def test_the_app_page_shows_recent_denials_by_reason(live_server, page: Page, catalog):
    app = partner_with_app(live_server, page)
    now = timezone.now()
    for days_ago, count in [(0, 4), (3, 2)]:
        at = now - timedelta(days=days_ago)
        GateDenialCount.objects.create(
            app=app, reason="shop_not_authorized", day=at.date(), count=count, last_denied_at=at
        )
    GateDenialCount.objects.create(
        app=app, reason="unknown_endpoint", day=(now - timedelta(days=2)).date(), count=1,
        last_denied_at=now - timedelta(days=2),
    )  # fmt: skip

    page.goto(f"{live_server.url}/console/apps/{app.pk}/")
    denials = page.get_by_test_id("recent-denials")
    rows = denials.locator("tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_have_attribute("data-reason", "shop_not_authorized")
    expect(rows.first).to_contain_text("Shop not authorized")
    expect(rows.first.locator("td").nth(1)).to_have_text("6")
    expect(rows.first).to_contain_text("Ask the seller to authorize the app for that shop.")
    expect(rows.nth(1)).to_contain_text("Unknown endpoint")
    denials.scroll_into_view_if_needed()
    shot(page, "recent-denials")

    denials.get_by_role("link", name="Explain a call").click()
    expect(page).to_have_url(f"{live_server.url}/console/apps/{app.pk}/explain/")
