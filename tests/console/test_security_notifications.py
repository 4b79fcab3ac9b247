"""allauth's security notifications (ACCOUNT_EMAIL_NOTIFICATIONS), each sent by going through
the real page: a branded message in the platform's layout that says what changed, when, from which
address and browser, and what to do if it was not the person (an absolute password reset link).

The one that matters most is "Authenticator app activated": whoever holds an owner's password
can enrol their own app and then pass the second-factor check for client secrets (ADR 0018)."""

from __future__ import annotations

import re
import time
from html import escape

import pytest
from allauth.account.authentication import AUTHENTICATION_METHODS_SESSION_KEY
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY, format_hotp_value, hotp_value
from django.core import mail
from django.test import Client
from django.utils import timezone
from django.utils.formats import date_format

from apps_registry.allauth_internals import totp_activate
from tests import factories
from tests.console.test_emails import assert_branded, assert_no_username, person, site

pytestmark = pytest.mark.django_db

ADDRESS = "203.0.113.7"
# A browser's self-description is the caller's to write: the HTML part must escape it.
USER_AGENT = 'Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0 "<b>"'
NEW_PASSWORD = "a-Different-and-unusual-passphrase-43"


@pytest.fixture
def browser() -> Client:
    """A test client whose requests come from a known address and browser."""
    return Client(REMOTE_ADDR=ADDRESS, HTTP_USER_AGENT=USER_AGENT)


@pytest.fixture
def ada():
    return person(
        email="ada@example.com", username="u-7f3a9c", first_name="Ada", last_name="Lovelace"
    )


def sign_in_with_password(client: Client, user) -> None:
    """Signed in, and the password confirmed just now, as allauth's reauthentication asks before
    the email and two-factor pages change anything."""
    client.force_login(user)
    session = client.session
    session[AUTHENTICATION_METHODS_SESSION_KEY] = [
        {"method": "password", "at": time.time(), "email": user.email, "reauthenticated": True}
    ]
    session["account_authentication_methods_user"] = str(user.pk)
    session.save()


def moments(since) -> set[str]:
    """How the mail prints a time from `since` until now (a minute may turn meanwhile)."""
    return {date_format(moment, "DATETIME_FORMAT") for moment in (since, timezone.now())}


def assert_notification(message, *, subject: str, to: str, user, change: str, since) -> str:
    """A security notification in the layout, greeting `user` by name; returns its text part."""
    reset_url = f"{site()}/accounts/password/reset/"
    html = assert_branded(
        message, subject=subject, to=to, greeting="Ada Lovelace", links=[reset_url]
    )
    body = message.body
    assert body.startswith(f"Hello Ada Lovelace,\n\n{change}\n\nWhen: ")
    assert f"<p>{escape(change)}</p>" in html
    when = re.search(r"\nWhen: (.+)\n", body)[1]
    assert when in moments(since)
    assert f"\nIP address: {ADDRESS}\nBrowser: {USER_AGENT}\n" in body
    assert f"When: {when}\nIP address: {ADDRESS}\nBrowser: {escape(USER_AGENT)}</p>" in html
    assert "<b>" not in html.replace('"<b>"', "")  # escaped, so no tag reaches the mail
    assert f"<title>{subject}</title>" in html
    assert "Reset your password</a>" in html
    assert_no_username(message, user)
    return body


NOT_YOU = (
    "If this was not you, someone else knows your password. Reset it now: the new password signs "
    "everyone else out."
)


def test_changing_the_password_tells_the_owner(browser, ada):
    browser.force_login(ada)
    since = timezone.now()

    browser.post(
        "/accounts/password/change/",
        {"oldpassword": factories.PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )

    [message] = mail.outbox
    body = assert_notification(
        message,
        subject="Your password was changed",
        to="ada@example.com",
        user=ada,
        change="The password of your Partner Console account was changed.",
        since=since,
    )
    assert f"\n\n{NOT_YOU}\n\n{site()}/accounts/password/reset/\n" in body


def test_setting_a_first_password_tells_the_owner(browser, ada):
    ada.set_unusable_password()
    ada.save()
    browser.force_login(ada)
    since = timezone.now()

    browser.post("/accounts/password/set/", {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})

    [message] = mail.outbox
    assert_notification(
        message,
        subject="A password was set for your account",
        to="ada@example.com",
        user=ada,
        change=(
            "A password was set for your Partner Console account: you can now sign in with your "
            "email address and this password."
        ),
        since=since,
    )
    ada.refresh_from_db()
    assert ada.check_password(NEW_PASSWORD)


def test_resetting_the_password_tells_the_owner_after_the_reset_link(browser, ada):
    browser.post("/accounts/password/reset/", {"email": "ada@example.com"})
    [reset_mail] = mail.outbox
    key_path = re.search(r"http://testserver(/accounts/password/reset/key/\S+/)", reset_mail.body)[
        1
    ]
    form_path = browser.get(key_path).url  # allauth moves the key out of the address
    since = timezone.now()

    browser.post(form_path, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})

    assert [message.subject for message in mail.outbox] == [
        "Reset your password",
        "Your password was reset",
    ]
    body = assert_notification(
        mail.outbox[1],
        subject="Your password was reset",
        to="ada@example.com",
        user=ada,
        change=(
            "The password of your Partner Console account was reset through a link sent to your "
            "email address."
        ),
        since=since,
    )
    assert "someone else can read your email. Secure your email account first" in body
    ada.refresh_from_db()
    assert ada.check_password(NEW_PASSWORD)


def test_a_new_primary_address_is_announced_to_the_previous_one(browser, ada):
    EmailAddress.objects.create(user=ada, email="ada@work.example", verified=True)
    sign_in_with_password(browser, ada)
    since = timezone.now()

    browser.post("/accounts/email/", {"email": "ada@work.example", "action_primary": ""})

    [message] = mail.outbox
    assert_notification(
        message,
        subject="Your email address was changed",
        to="ada@example.com",
        user=ada,
        change=(
            "The email address of your Partner Console account changed from ada@example.com to "
            "ada@work.example: its emails go to the new address from now on."
        ),
        since=since,
    )
    assert EmailAddress.objects.get(user=ada, primary=True).email == "ada@work.example"


def test_removing_an_address_tells_the_primary_one(browser, ada):
    EmailAddress.objects.create(user=ada, email="ada@work.example", verified=True)
    sign_in_with_password(browser, ada)
    since = timezone.now()

    browser.post("/accounts/email/", {"email": "ada@work.example", "action_remove": ""})

    [message] = mail.outbox
    assert_notification(
        message,
        subject="An email address was removed from your account",
        to="ada@example.com",
        user=ada,
        change="ada@work.example was removed from your Partner Console account.",
        since=since,
    )
    assert list(EmailAddress.objects.filter(user=ada).values_list("email", flat=True)) == [
        "ada@example.com"
    ]


# allauth sends this mail and the recovery codes' one once the change commits, while the request
# is still being served: a transactional test commits then too.
@pytest.mark.django_db(transaction=True)
def test_activating_an_authenticator_app_tells_the_owner_what_to_do_if_it_was_not_them(
    browser, ada
):
    sign_in_with_password(browser, ada)
    browser.get("/accounts/2fa/totp/activate/")
    secret = browser.session[SECRET_SESSION_KEY]
    since = timezone.now()

    browser.post(
        "/accounts/2fa/totp/activate/",
        {"code": format_hotp_value(hotp_value(secret, int(time.time()) // 30))},
    )

    # Only this one: the recovery codes that come with the app send no mail of their own.
    [message] = mail.outbox
    body = assert_notification(
        message,
        subject="Authenticator app activated",
        to="ada@example.com",
        user=ada,
        change=(
            "An authenticator app was activated for your Partner Console account. Signing in, and "
            "seeing a client secret as an owner, now ask for a code from it."
        ),
        since=since,
    )
    assert (
        "\n\nIf this was not you, someone who knows your password set up their own app and can "
        "now sign in as you with it. Reset your password now, then contact partner support to "
        f"have the app removed.\n\n{site()}/accounts/password/reset/\n"
    ) in body
    assert Authenticator.objects.filter(user=ada, type=Authenticator.Type.TOTP).exists()


def test_deactivating_the_authenticator_app_tells_the_owner(browser, ada):
    totp_activate(ada)
    sign_in_with_password(browser, ada)
    since = timezone.now()

    browser.post("/accounts/2fa/totp/deactivate/")

    [message] = mail.outbox
    assert_notification(
        message,
        subject="Authenticator app deactivated",
        to="ada@example.com",
        user=ada,
        change=(
            "The authenticator app of your Partner Console account was deactivated, and its "
            "recovery codes with it: signing in no longer asks for a code."
        ),
        since=since,
    )
    assert not Authenticator.objects.filter(user=ada).exists()


@pytest.mark.django_db(transaction=True)
def test_new_recovery_codes_tell_the_owner(browser, ada):
    totp_activate(ada)
    sign_in_with_password(browser, ada)
    since = timezone.now()

    browser.post("/accounts/2fa/recovery-codes/generate/")

    [message] = mail.outbox
    assert_notification(
        message,
        subject="New recovery codes generated",
        to="ada@example.com",
        user=ada,
        change=(
            "New recovery codes were generated for your Partner Console account; the previous "
            "ones no longer work."
        ),
        since=since,
    )
    assert Authenticator.objects.filter(user=ada, type=Authenticator.Type.RECOVERY_CODES).exists()
