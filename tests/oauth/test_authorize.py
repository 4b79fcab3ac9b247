"""The authorization endpoint and the consent page (docs/security.md A, B5, E1–E3)."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.test import Client
from django.utils.http import MAX_URL_REDIRECT_LENGTH
from oauth2_provider.models import get_access_token_model, get_grant_model

from apps_registry.models import AccessRequest, AuthorizationEvent, PartnerApp, ShopAuthorization
from tests import factories
from tests.oauth.flow import (
    REDIRECT_URI,
    Flow,
    app_with_scopes,
    authorize,
    consent_post_data,
    issue_tokens,
    query_of,
)

Grant = get_grant_model()
AccessToken = get_access_token_model()
ISSUER = settings.OAUTH2_PROVIDER["OIDC_ISS_ENDPOINT"]

pytestmark = pytest.mark.django_db


def _nothing_granted():
    return (
        Grant.objects.count(),
        ShopAuthorization.objects.count(),
        AuthorizationEvent.objects.count(),
    ) == (0, 0, 0)


def test_consent_page_shows_app_partner_redirect_host_and_scopes(client, app, seller, shop):
    app.partner.is_verified = True
    app.partner.save(update_fields=["is_verified"])
    endpoint = factories.EndpointFactory(
        method="GET",
        path="/product/202309/products/{product_id}",
        scopes=[app.requested_scopes.get(is_required=True).scope],
    )
    client.force_login(seller)

    response = client.get(Flow.start(app).authorize_url())

    assert response.status_code == 200
    html = response.content.decode()
    assert "Acme Sync" in html
    assert app.partner.name in html
    assert "Verified partner" in html
    assert "app.example.com" in html  # the redirect host
    assert "See and edit your product listings." in html
    assert "See your orders." in html
    assert endpoint.path in html  # behind <details>
    assert "Northwind Goods" in html
    assert [group for group, _ in response.context["scope_groups"]] == ["Product", "Order"]
    # Framing is refused on the consent page.
    assert response["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert _nothing_granted()


def test_consent_page_escapes_the_app_name(client, seller, shop, product_scope):
    app = app_with_scopes(required=[product_scope], name='<script>alert("x")</script>')
    client.force_login(seller)

    html = client.get(Flow.start(app).authorize_url()).content.decode()

    assert '<script>alert("x")</script>' not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html


def test_anonymous_seller_is_sent_to_login_first(client, app):
    response = client.get(Flow.start(app).authorize_url())

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/oauth/authorize/")


def test_anonymous_seller_with_an_over_long_link_gets_a_clear_400_page(client, app):
    # The login redirect carries the whole request in `next=`; past Django's limit on redirect
    # URLs it cannot be built.
    url = Flow.start(app, state="s" * MAX_URL_REDIRECT_LENGTH).authorize_url()

    response = client.get(url)

    assert response.status_code == 400
    assert response.context["error"] == {
        "error": "invalid_request",
        "description": "The link the app sent you here is too long for us to sign you in and "
        "bring you back. Contact the app's developer and tell them the authorization link is "
        "too long.",
    }
    html = response.content.decode()
    assert "This authorization request can't be completed" in html
    assert (
        "too long for us to sign you in and bring you back. Contact the app&#x27;s developer"
        in html
    )
    assert _nothing_granted()


def _redirect_line(response) -> str:
    """The consent page's "sent back to" line, its whitespace collapsed."""
    html = response.content.decode()
    line = re.search(r'<p class="consent-redirect">(.*?)</p>', html, re.DOTALL)
    return " ".join(line.group(1).split())


# oauthlib accepts only ASCII redirect URIs, so an international host arrives in punycode or
# percent-encoded. A seller reads first what the browser will go to, the ASCII form, and then the
# Unicode rendering it may be displayed as (and which can imitate another domain).
@pytest.mark.parametrize(
    ("redirect_uri", "shown"),
    [
        ("https://xn--bcher-kva.example/callback", ["xn--bcher-kva.example", "bücher.example"]),
        ("https://xn--pple-43d.com:8443/cb", ["xn--pple-43d.com:8443", "\u0430pple.com:8443"]),
        ("https://b%C3%BCcher.example/callback", ["xn--bcher-kva.example", "bücher.example"]),
    ],
)
def test_consent_page_shows_an_idn_redirect_host_in_ascii_first(
    client, seller, shop, product_scope, redirect_uri, shown
):
    app = app_with_scopes(required=[product_scope], redirect_uris=redirect_uri)
    client.force_login(seller)

    response = client.get(Flow.start(app, redirect_uri=redirect_uri).authorize_url())

    assert response.status_code == 200
    assert [response.context["redirect_host"], response.context["redirect_host_unicode"]] == shown
    ascii_host, unicode_host = shown
    assert _redirect_line(response) == (
        "Whatever you choose, you'll be sent back to "
        f'<strong class="mono">{ascii_host}</strong>. '
        '<span class="consent-redirect-idn muted">This is an international domain name, also '
        f'displayed as <span class="mono">{unicode_host}</span>; letters from other alphabets '
        "can make such a name look like another site's.</span>"
    )


def test_consent_page_shows_an_ascii_redirect_host_once(client, app, seller, shop):
    client.force_login(seller)

    response = client.get(Flow.start(app).authorize_url())

    assert (response.context["redirect_host"], response.context["redirect_host_unicode"]) == (
        "app.example.com",
        None,
    )
    assert _redirect_line(response) == (
        "Whatever you choose, you'll be sent back to "
        '<strong class="mono">app.example.com</strong>.'
    )


def test_authorize_issues_code_with_state_and_iss_and_records_consent(client, app, seller, shop):
    client.force_login(seller)
    flow = Flow.start(app)
    page = client.get(flow.authorize_url())

    response = client.post(
        "/oauth/authorize/", consent_post_data(page, shops=[shop], duration_days=180)
    )

    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith(REDIRECT_URI + "?")
    query = query_of(location)
    assert set(query) == {"code", "state", "iss"}
    assert query["state"] == "state-123"
    assert query["iss"] == ISSUER
    grant = Grant.objects.get()
    assert grant.scope == "seller.order.info seller.product.basic"
    assert grant.code_challenge_method == "S256"
    authorization = ShopAuthorization.objects.get()
    assert (authorization.app, authorization.shop, authorization.granted_by) == (app, shop, seller)
    assert sorted(authorization.scopes.values_list("key", flat=True)) == [
        "seller.order.info",
        "seller.product.basic",
    ]
    assert (authorization.expires_at - authorization.granted_at).days == 180
    event = AuthorizationEvent.objects.get()
    assert (event.action, event.shop, event.details["duration_days"]) == ("grant", shop, 180)


def test_unticked_optional_scope_is_not_granted_but_required_one_always_is(
    client, app, seller, shop
):
    client.force_login(seller)
    flow = Flow.start(app)
    page = client.get(flow.authorize_url())

    # The browser sends no optional scope; the required one cannot be dropped by omission.
    response = client.post("/oauth/authorize/", consent_post_data(page, shops=[shop], optional=[]))

    assert "code" in query_of(response["Location"])
    assert Grant.objects.get().scope == "seller.product.basic"
    assert list(ShopAuthorization.objects.get().scopes.values_list("key", flat=True)) == [
        "seller.product.basic"
    ]


def test_cancel_returns_access_denied_with_state_and_iss(client, app, seller, shop):
    client.force_login(seller)
    flow = Flow.start(app)
    page = client.get(flow.authorize_url())

    response = client.post("/oauth/authorize/", consent_post_data(page, shops=[], allow=False))

    assert response.status_code == 302
    query = query_of(response["Location"])
    assert response["Location"].startswith(REDIRECT_URI + "?")
    assert query == {"error": "access_denied", "state": "state-123", "iss": ISSUER}
    assert _nothing_granted()


def test_authorize_responses_send_no_referrer_to_other_sites(client, app, seller, shop):
    # "same-origin", not "no-referrer": see SECURE_REFERRER_POLICY (the consent POST's Origin).
    client.force_login(seller)
    page = client.get(Flow.start(app).authorize_url())
    error_page = client.get("/oauth/authorize/?client_id=unknown")
    posted = client.post("/oauth/authorize/", consent_post_data(page, shops=[shop]))

    assert page.status_code == 200
    assert error_page.status_code == 400
    assert posted.status_code == 302
    for response in (page, error_page, posted):
        assert response["Referrer-Policy"] == "same-origin"


@pytest.mark.parametrize(
    "redirect_uri",
    [
        "https://app.example.com/callback/",
        "https://app.example.com:8443/callback",
        "https://evil.example.com/callback",
        "https://app.example.com.evil.test/callback",
        "http://app.example.com/callback",
        "https://app.example.com/Callback",
        "https://app.example.com/callback/../x",
        "https://app.example.com/callback?x=1",
        "https://evil@app.example.com/callback",
        "https://app.example.com/callback#frag",
    ],
)
def test_redirect_uri_variants_get_an_error_page_and_no_redirect(
    client, app, seller, shop, redirect_uri
):
    client.force_login(seller)

    response = client.get(Flow.start(app, redirect_uri=redirect_uri).authorize_url())

    assert response.status_code == 400
    assert not response.has_header("Location")
    html = response.content.decode()
    assert "This authorization request can't be completed" in html
    assert REDIRECT_URI not in html  # the registered URI is not disclosed
    assert _nothing_granted()


def test_unknown_client_gets_an_error_page(client, seller):
    client.force_login(seller)
    app = PartnerApp(client_id="no-such-client")

    response = client.get(Flow.start(app).authorize_url())

    assert response.status_code == 400
    assert not response.has_header("Location")


@pytest.mark.parametrize(
    ("overrides", "description"),
    [
        ({"code_challenge": None, "code_challenge_method": None}, "Code challenge required."),
        (
            {"code_challenge_method": "plain"},
            'Unsupported "plain" code_challenge_method; use "S256".',
        ),
        ({"code_challenge_method": None}, 'Unsupported "plain" code_challenge_method; use "S256".'),
    ],
)
def test_missing_or_plain_pkce_is_refused(client, app, seller, shop, overrides, description):
    client.force_login(seller)

    response = client.get(Flow.start(app).authorize_url(**overrides))

    assert response.status_code == 302
    query = query_of(response["Location"])
    assert query["error"] == "invalid_request"
    assert query["iss"] == ISSUER
    assert query["error_description"] == description
    assert _nothing_granted()


@pytest.mark.parametrize(
    "code_challenge",
    ["A" * 129, "A" * 42, "A" * 42 + "!"],
    ids=["too-long", "too-short", "bad-character"],
)
def test_malformed_code_challenge_is_refused_before_the_consent_page(
    client, app, seller, shop, code_challenge
):
    # Grant.code_challenge is 128 characters: a longer one was a 500 on PostgreSQL at consent.
    client.force_login(seller)

    response = client.get(Flow.start(app).authorize_url(code_challenge=code_challenge))

    assert response.status_code == 302
    query = query_of(response["Location"])
    assert query["error"] == "invalid_request"
    assert "code_challenge" in query["error_description"]
    assert Grant.objects.count() == 0


def test_unknown_scope_gets_invalid_scope_naming_it(client, app, seller, shop):
    client.force_login(seller)

    response = client.get(Flow.start(app).authorize_url(scope="seller.product.basic nope.scope"))

    query = query_of(response["Location"])
    assert query["error"] == "invalid_scope"
    assert query["error_description"] == "'nope.scope' is not a known scope."
    assert query["state"] == "state-123"
    assert _nothing_granted()


def test_custom_scope_without_approval_gets_invalid_scope(client, app, seller, shop, custom_scope):
    factories.AppScopeFactory(app=app, scope=custom_scope)  # chosen, but never approved
    client.force_login(seller)

    response = client.get(Flow.start(app).authorize_url(scope="seller.customer_service"))

    assert query_of(response["Location"])["error_description"] == (
        "'seller.customer_service' is a Custom scope this app has no live approval for."
    )
    assert _nothing_granted()


def test_public_scope_not_chosen_by_the_app_gets_invalid_scope(client, app, seller, shop):
    factories.ScopeFactory(key="seller.finance.info")
    client.force_login(seller)

    response = client.get(Flow.start(app).authorize_url(scope="seller.finance.info"))

    assert query_of(response["Location"])["error_description"] == (
        "'seller.finance.info' is not chosen on this app's Manage API page."
    )


def test_without_scope_parameter_the_app_asks_for_its_chosen_available_scopes(
    client, app, seller, shop, custom_scope
):
    factories.AppScopeFactory(app=app, scope=custom_scope)  # chosen but not approved: left out
    client.force_login(seller)

    response = client.get(Flow.start(app).authorize_url())

    assert sorted(response.context["scopes"]) == ["seller.order.info", "seller.product.basic"]


def test_app_without_chosen_scopes_gets_invalid_scope(client, seller, shop):
    app = factories.PartnerAppFactory()
    client.force_login(seller)

    response = client.get(Flow.start(app).authorize_url())

    assert query_of(response["Location"])["error"] == "invalid_scope"


def test_suspended_app_cannot_be_authorized(client, app, seller, shop):
    app.status = PartnerApp.Status.SUSPENDED
    app.save(update_fields=["status"])
    client.force_login(seller)

    response = client.get(Flow.start(app).authorize_url())

    assert response.status_code == 400
    assert not response.has_header("Location")
    assert _nothing_granted()


def test_seller_without_shops_sees_a_clear_message_and_only_cancel(client, app):
    client.force_login(factories.UserFactory())

    response = client.get(Flow.start(app).authorize_url())

    html = response.content.decode()
    assert "You don't have a shop yet." in html
    assert 'id="consent-authorize"' not in html
    assert 'id="consent-cancel"' in html


def test_authorizing_without_choosing_a_shop_shows_the_page_again(client, app, seller, shop):
    client.force_login(seller)
    page = client.get(Flow.start(app).authorize_url())

    response = client.post("/oauth/authorize/", consent_post_data(page, shops=[]))

    assert response.status_code == 400
    assert "Choose at least one shop to authorize." in response.content.decode()
    assert _nothing_granted()


def test_another_sellers_shop_cannot_be_authorized(client, app, seller, shop):
    someone_elses = factories.ShopFactory()
    client.force_login(seller)
    page = client.get(Flow.start(app).authorize_url())

    response = client.post("/oauth/authorize/", consent_post_data(page, shops=[someone_elses]))

    assert response.status_code == 400
    assert _nothing_granted()


@pytest.mark.parametrize(
    "tamper",
    [
        {"scope": "seller.product.basic seller.order.info seller.finance.info"},
        {"scope": "seller.product.basic"},
        {"redirect_uri": "https://evil.example.com/callback"},
        {"code_challenge": "A" * 43},
        {"state": "other"},
    ],
)
def test_tampered_hidden_fields_are_refused(client, app, seller, shop, tamper):
    factories.AppScopeFactory(app=app, scope=factories.ScopeFactory(key="seller.finance.info"))
    client.force_login(seller)
    page = client.get(Flow.start(app).authorize_url(scope="seller.product.basic seller.order.info"))
    data = consent_post_data(page, shops=[shop])
    data.update(tamper)

    response = client.post("/oauth/authorize/", data)

    assert response.status_code == 400
    assert not response.has_header("Location")
    assert "was changed after it was shown" in response.content.decode()
    assert _nothing_granted()


def test_another_apps_client_id_in_the_form_is_refused(client, app, seller, shop):
    other = app_with_scopes(required=[item.scope for item in app.requested_scopes.all()])
    client.force_login(seller)
    page = client.get(Flow.start(app).authorize_url())
    data = consent_post_data(page, shops=[shop])
    data["client_id"] = other.client_id

    response = client.post("/oauth/authorize/", data)

    assert response.status_code == 400
    assert _nothing_granted()


def test_ticking_a_scope_that_was_not_requested_is_refused(client, app, seller, shop):
    client.force_login(seller)
    page = client.get(Flow.start(app).authorize_url(scope="seller.product.basic"))
    data = consent_post_data(page, shops=[shop], optional=["seller.order.info"])

    response = client.post("/oauth/authorize/", data)

    assert response.status_code == 400
    assert _nothing_granted()


def test_consent_post_needs_a_csrf_token(app, seller, shop):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(seller)
    page = browser.get(Flow.start(app).authorize_url())

    response = browser.post("/oauth/authorize/", consent_post_data(page, shops=[shop]))

    assert response.status_code == 403
    assert _nothing_granted()


def test_approval_prompt_auto_cannot_skip_consent_without_a_covering_authorization(
    client, app, seller, shop
):
    issue_tokens(client, app, seller, [shop], optional=[])  # order scope left out
    grants_before = ShopAuthorization.objects.get().scopes.count()

    response = client.get(Flow.start(app).authorize_url(approval_prompt="auto"))

    assert response.status_code == 200  # the consent page, not a redirect
    assert ShopAuthorization.objects.get().scopes.count() == grants_before


def test_approval_prompt_auto_skips_consent_when_the_authorization_covers_the_request(
    client, app, seller, shop
):
    issue_tokens(client, app, seller, [shop])

    response = client.get(Flow.start(app).authorize_url(approval_prompt="auto"))

    assert response.status_code == 302
    assert "code" in query_of(response["Location"])


def test_approval_prompt_auto_after_revocation_shows_the_consent_page(client, app, seller, shop):
    issue_tokens(client, app, seller, [shop])
    ShopAuthorization.objects.update(revoked_at=ShopAuthorization.objects.get().granted_at)

    response = client.get(Flow.start(app).authorize_url(approval_prompt="auto"))

    assert response.status_code == 200


def test_skip_authorization_is_never_honoured_for_partner_apps(client, app, seller, shop):
    app.skip_authorization = True
    app.save(update_fields=["skip_authorization"])
    client.force_login(seller)

    response = client.get(Flow.start(app).authorize_url())

    assert response.status_code == 200
    assert _nothing_granted()


def test_incremental_consent_marks_granted_scopes_and_new_ones(client, app, seller, shop):
    issue_tokens(client, app, seller, [shop], optional=[])

    response = client.get(Flow.start(app).authorize_url())

    items = {
        item.scope.key: item for _, group in response.context["scope_groups"] for item in group
    }
    assert items["seller.product.basic"].already_granted is True
    assert items["seller.order.info"].already_granted is False
    html = response.content.decode()
    assert html.count("Already granted") == 1
    assert html.count('<span class="badge badge-new">New</span>') == 1


def test_second_consent_adds_scopes_and_keeps_earlier_ones(client, app, seller, shop):
    client.force_login(seller)
    authorize(client, Flow.start(app), shops=[shop], optional=[])

    authorize(client, Flow.start(app), shops=[shop], scope="seller.order.info")

    assert sorted(ShopAuthorization.objects.get().scopes.values_list("key", flat=True)) == [
        "seller.order.info",
        "seller.product.basic",
    ]


def test_unticking_a_previously_granted_optional_scope_withdraws_it(client, app, seller, shop):
    tokens = issue_tokens(client, app, seller, [shop])
    assert tokens["scope"] == "seller.order.info seller.product.basic"

    authorize(client, Flow.start(app), shops=[shop], optional=[])

    assert list(ShopAuthorization.objects.get().scopes.values_list("key", flat=True)) == [
        "seller.product.basic"
    ]
    first_token = AccessToken.objects.order_by("pk").first()
    assert first_token.scope == "seller.product.basic"


def test_custom_scope_is_marked_sensitive(client, app, seller, shop, custom_scope):
    factories.AppScopeFactory(app=app, scope=custom_scope, is_required=False)
    factories.ApprovedAccessRequestFactory(app=app, scope=custom_scope)
    assert AccessRequest.objects.get().is_live_approval()
    client.force_login(seller)

    html = client.get(Flow.start(app).authorize_url()).content.decode()

    assert html.count("Sensitive data") == 1
    assert "Read and answer your buyers&#x27; messages." in html


@pytest.mark.parametrize("shop_count", [1, 12])
def test_the_consent_page_reads_a_constant_number_of_queries_however_many_shops(
    client, app, seller, product_scope, order_scope, shop_count, django_assert_num_queries
):
    """Each shop already authorizes the app (the page says so per shop) and other apps too."""
    for index in range(shop_count):
        shop = factories.ShopFactory(owner=seller)
        factories.ShopAuthorizationFactory(app=app, shop=shop, scopes=[product_scope])
        factories.ShopAuthorizationFactory(shop=shop, scopes=[product_scope, order_scope])
        factories.EndpointFactory(scopes=[product_scope if index % 2 else order_scope])
    client.force_login(seller)
    url = Flow.start(app).authorize_url()

    # Among them DOT's validation reads the app and the scopes it may ask for twice (once to
    # validate the request, once more for the page); none is per shop, scope or endpoint.
    with django_assert_num_queries(16):
        response = client.get(url)

    assert response.status_code == 200
    assert response.content.decode().count('name="shops"') == shop_count
