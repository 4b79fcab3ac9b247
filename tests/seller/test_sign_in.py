"""Signing in from an app's authorization link (console/sign_in.py): "Sign in to continue to
<app>" and no partner sign-up; anything else is the ordinary sign-in page, never an error."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from django.test import RequestFactory

from apps_registry.models import PartnerApp
from console.sign_in import app_continued_to
from tests import factories

pytestmark = pytest.mark.django_db


def _authorize(client_id: str) -> str:
    return "/oauth/authorize/?" + urlencode(
        {"response_type": "code", "client_id": client_id, "state": "xyz"}
    )


@pytest.fixture
def live_app():
    return factories.PartnerAppFactory(name="Acme Sync", status=PartnerApp.Status.LIVE)


def _lookup(next_url):
    request = RequestFactory().get("/accounts/login/")
    return app_continued_to(request=request, next_url=next_url)


def test_an_authorization_link_names_its_app(live_app):
    assert _lookup(_authorize(live_app.client_id)) == live_app
    # An absolute link to this very site is the same link.
    assert _lookup("http://testserver" + _authorize(live_app.client_id)) == live_app


@pytest.mark.parametrize(
    "next_url",
    [
        None,
        "",
        "/console/",
        "/oauth/authorize/",
        "/oauth/authorize/?client_id=",
        "/oauth/authorize/?client_id=unknown-client",
        "/oauth/authorize/?client_id=" + "x" * 101,
        "/oauth/authorize/?client_id=%00",
        "/oauth/token/?client_id={client_id}",
        # Off-site: allauth would not go there, so the page does not name the app either.
        "https://evil.example{authorize}",
        "//evil.example{authorize}",
        "/\\evil.example{authorize}",
        # Two client ids: which app would that be?
        "{authorize}&client_id=other",
    ],
)
def test_anything_else_names_no_app(live_app, next_url):
    if next_url:
        next_url = next_url.format(
            client_id=live_app.client_id, authorize=_authorize(live_app.client_id)
        )
    assert _lookup(next_url) is None


def test_a_suspended_app_is_not_named(live_app):
    live_app.status = PartnerApp.Status.SUSPENDED
    live_app.save(update_fields=["status"])

    assert _lookup(_authorize(live_app.client_id)) is None


def test_the_sign_in_page_continues_to_the_app_without_a_partner_sign_up(client, live_app):
    next_url = _authorize(live_app.client_id)

    response = client.get("/accounts/login/", {"next": next_url})

    html = response.content.decode()
    assert response.status_code == 200
    assert 'Sign in to continue to <span class="sign-in-app">Acme Sync</span>' in html
    assert "/accounts/signup/" not in html
    assert "<title>Sign in · Commerce Platform</title>" in html
    assert "Partner Console</a>" not in html  # the platform's header, not the console's
    assert f'name="next" value="{next_url.replace("&", "&amp;")}"' in html


@pytest.mark.parametrize(
    "next_url",
    [
        "/oauth/authorize/?client_id=unknown-client",
        "/oauth/authorize/?client_id=%00",
        "https://evil.example/oauth/authorize/?client_id={client_id}",
        "/console/",
    ],
)
def test_otherwise_the_sign_in_page_is_the_ordinary_one(client, live_app, next_url):
    response = client.get(
        "/accounts/login/", {"next": next_url.format(client_id=live_app.client_id)}
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Sign in</h1>" in html
    assert "<title>Sign in · Partner Console</title>" in html
    assert "Acme Sync" not in html
    assert 'href="/accounts/signup/' in html
