"""The consent page says who is consenting (never the generated username) and lets someone else
sign in instead, coming back to the same authorization request."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from tests import factories
from tests.oauth.flow import Flow, consent_post_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def named_seller(seller):
    seller.first_name, seller.last_name = "Ada", "Lovelace"
    seller.save(update_fields=["first_name", "last_name"])
    return seller


def test_the_page_names_the_account_by_name_and_e_mail_never_username(
    client, app, named_seller, shop
):
    client.force_login(named_seller)

    response = client.get(Flow.start(app).authorize_url())

    html = response.content.decode()
    assert "Signed in as <strong>Ada Lovelace</strong>" in html
    assert f'<span class="consent-account-email">{named_seller.email}</span>' in html
    assert named_seller.username not in html.replace(named_seller.email, "")


def test_an_unnamed_account_is_named_by_its_e_mail(client, app, seller, shop):
    client.force_login(seller)

    html = client.get(Flow.start(app).authorize_url()).content.decode()

    assert f'Signed in as <strong class="consent-account-email">{seller.email}</strong>' in html


def test_the_page_is_the_platforms_not_the_consoles(client, app, seller, shop):
    client.force_login(seller)

    html = client.get(Flow.start(app).authorize_url()).content.decode()

    assert "<title>Authorize Acme Sync · Commerce Platform</title>" in html
    assert '<span class="platform-header-purpose">Authorize app</span>' in html
    for console_link in ('href="/console/"', 'href="/scopes/"', "Partner Console"):
        assert console_link not in html


def test_switching_account_signs_out_and_resumes_the_same_request(client, app, seller, shop):
    client.force_login(seller)
    authorize_url = Flow.start(app).authorize_url()
    page = client.get(authorize_url)
    switch_next = page.context["consenting_account"].switch_next
    assert switch_next == "/accounts/login/?" + urlencode({"next": authorize_url})

    signed_out = client.post("/accounts/logout/", {"next": switch_next})

    assert signed_out["Location"] == switch_next
    assert "_auth_user_id" not in client.session
    login_page = client.get(switch_next).content.decode()
    assert "Sign in to continue to" in login_page

    someone_else = factories.UserFactory()
    factories.ShopFactory(owner=someone_else)
    client.force_login(someone_else)
    resumed = client.get(parse_qs(urlsplit(switch_next).query)["next"][0])
    assert resumed.status_code == 200
    assert resumed.context["consenting_account"].email == someone_else.email


def test_after_a_refused_post_the_switch_still_resumes_the_request(client, app, seller, shop):
    client.force_login(seller)
    flow = Flow.start(app)
    page = client.get(flow.authorize_url())

    response = client.post("/oauth/authorize/", consent_post_data(page, shops=[]))

    assert response.status_code == 400  # no shop chosen: the page again, with the error
    resumed = parse_qs(urlsplit(response.context["consenting_account"].switch_next).query)
    # The same request, with the scopes DOT resolved for it spelled out.
    assert parse_qs(urlsplit(resumed["next"][0]).query) == parse_qs(
        urlsplit(flow.authorize_url(scope=page.context["form"].initial["scope"])).query
    )
