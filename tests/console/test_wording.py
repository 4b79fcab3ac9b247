"""One wording (docs/wording.md): the main pages, anonymous and signed in, use sentence case and
"email", and name people by name or address, never by username; the English catalog that gives
allauth's and the admin's strings in sentence case is compiled from its source."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from allauth.account.models import EmailAddress
from django.utils import translation

from apps_registry.models import Membership
from tests import factories
from tests.apps_registry.review_helpers import make_request, make_reviewer
from tests.conftest import sign_in_with_mfa

pytestmark = pytest.mark.django_db

CATALOG = Path(__file__).resolve().parents[2] / "locale" / "en" / "LC_MESSAGES" / "django.po"
BANNED = re.compile(
    r"\bSign In\b|\bSign Up\b|\bSign Out\b|\bSignup\b|\bLog [Ii]n\b|\bLog [Oo]ut\b|\bLogin\b"
    r"|\bLogout\b|\bLogged in\b|\blogged in\b|\b[Ee]-mail|Two-Factor|Client Secret|Remember Me"
    r"|Email Address|Forgot Password|Change Password|Reset My Password|Password Reset\b"
)
# Text a person reads: what is between the tags, and the attributes a browser shows or speaks.
SHOWN_ATTRIBUTES = re.compile(r'(?:placeholder|aria-label|title|alt|value)="([^"]*)"')
TAGS = re.compile(r"<script\b.*?</script>|<style\b.*?</style>|<[^>]+>", re.S)


def shown_text(html: str) -> str:
    return " ".join([TAGS.sub(" ", html), *SHOWN_ATTRIBUTES.findall(html)])


def banned_in(client, path: str) -> list[str]:
    response = client.get(path)
    assert response.status_code == 200, path
    return BANNED.findall(shown_text(response.text))


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/accounts/login/",
        "/accounts/signup/",
        "/accounts/password/reset/",
        "/accounts/password/reset/done/",
        "/accounts/confirm-email/",
        "/scopes/",
    ],
)
def test_anonymous_pages_use_the_house_wording(client, catalog, path):
    assert banned_in(client, path) == []


def test_signing_in_for_an_app_uses_the_house_wording(client, catalog):
    app = factories.PartnerAppFactory()
    authorize = f"/oauth/authorize/?client_id={app.client_id}&response_type=code"

    response = client.get("/accounts/login/", {"next": authorize})

    assert f"Sign in to continue to {app.name}" in " ".join(shown_text(response.text).split())
    assert BANNED.findall(shown_text(response.text)) == []


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/scopes/",
        "/console/",
        "/console/apps/",
        "/console/team/",
        "/seller/",
        "/seller/apps/",
        "/accounts/email/",
        "/accounts/password/change/",
        "/accounts/2fa/",
        "/accounts/logout/",
    ],
)
def test_signed_in_pages_use_the_house_wording(client, catalog, path):
    membership = factories.MembershipFactory(role=Membership.Role.OWNER)
    factories.PartnerAppFactory(partner=membership.partner)
    factories.ShopFactory(owner=membership.user)
    client.force_login(membership.user)

    assert banned_in(client, path) == []


def test_the_admin_names_reviewers_by_name_or_address(client):
    reviewer = make_reviewer(username="r-55e1", email="rita@platform.test", first_name="Rita")
    make_request(assigned_to=reviewer)
    sign_in_with_mfa(client, reviewer)

    queue = client.get("/admin/apps_registry/accessrequest/").text

    assert "Welcome, <strong>Rita</strong>." in queue
    assert "r-55e1" not in queue
    assert BANNED.findall(shown_text(queue)) == []


def test_the_admin_lists_people_by_email_not_username(mfa_admin_client):
    factories.UserFactory(username="u-7f3a9c", email="ada@example.com")

    people = mfa_admin_client.get("/admin/auth/user/").text

    assert "ada@example.com" in people
    assert "u-7f3a9c" not in people


def test_signing_in_says_signed_in_as_the_address(client):
    user = factories.UserFactory(username="u-7f3a9c", email="ada@example.com")
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)

    response = client.post(
        "/accounts/login/",
        {"login": "ada@example.com", "password": factories.PASSWORD},
        follow=True,
    )

    assert "Successfully signed in as ada@example.com." in response.text
    assert "u-7f3a9c" not in response.text


def catalog_entries() -> list[tuple[str | None, str, str]]:
    entries = []
    for block in CATALOG.read_text().split("\n\n"):
        found = re.search(r'(?:^msgctxt "(.*)"\n)?^msgid "(.+)"\nmsgstr "(.+)"$', block, re.M)
        if found:
            entries.append(found.groups())
    return entries


def test_the_compiled_catalog_matches_its_source():
    entries = catalog_entries()
    assert len(entries) > 50
    with translation.override("en-us"):
        for context, source, wording in entries:
            shown = (
                translation.pgettext(context, source) if context else translation.gettext(source)
            )
            assert shown == wording, f"{source!r}: run msgfmt on {CATALOG.name} (docs/wording.md)"
