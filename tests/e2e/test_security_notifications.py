"""The security notification that matters most, in a real browser: an owner sets up an
authenticator app on allauth's page, the "Authenticator app activated" email arrives in the
layout, and its button leads to the password reset (ADR 0018: someone who knows an owner's
password could enrol their own app, and this email is how the owner finds out)."""

from __future__ import annotations

from pathlib import Path

from allauth.account.models import EmailAddress
from django.core import mail
from playwright.sync_api import Page, expect

from apps_registry.models import Membership
from tests import factories
from tests.e2e.mfa_helpers import set_up_totp

SHOTS = Path("/work/notes/shots")


def test_activating_an_authenticator_app_mails_the_owner_a_way_to_reset_the_password(
    live_server, page: Page, settings, tmp_path
):
    settings.OAUTH_ISSUER = live_server.url  # the mail's links point at the console under test
    owner = factories.MembershipFactory(
        role=Membership.Role.OWNER, user__first_name="Ada", user__last_name="Lovelace"
    ).user
    EmailAddress.objects.create(user=owner, email=owner.email, verified=True, primary=True)
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email").fill(owner.email)
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{live_server.url}/console/")

    page.goto(f"{live_server.url}/accounts/2fa/totp/activate/")
    set_up_totp(page, factories.PASSWORD)

    [message] = mail.outbox
    assert (message.to, message.subject) == ([owner.email], "Authenticator app activated")
    opened = tmp_path / "totp-activated.html"
    opened.write_text(message.alternatives[0][0])
    page.goto(opened.as_uri())
    expect(page.get_by_text("Hello Ada Lovelace,")).to_be_visible()
    expect(page.get_by_text("An authenticator app was activated for your")).to_be_visible()
    expect(page.get_by_text("contact partner support to have the app removed")).to_be_visible()
    if SHOTS.is_dir():
        page.screenshot(path=SHOTS / "notify-totp-activated.png", full_page=True)

    page.get_by_role("link", name="Reset your password").click()
    expect(page).to_have_url(f"{live_server.url}/accounts/password/reset/")
    page.get_by_label("Email").fill(owner.email)
    page.get_by_role("button", name="Reset my password").click()
    expect(page).to_have_url(f"{live_server.url}/accounts/password/reset/done/")
    assert [m.subject for m in mail.outbox] == [
        "Authenticator app activated",
        "Reset your password",
    ]
