"""The whole flow with a real OAuth client (Authlib) and a real browser for the seller's consent."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session

from apps_registry.models import ShopAuthorization
from tests import factories
from tests.e2e.consent_helpers import (
    CALLBACK,
    capture_callback,
    log_in,
    make_app,
    make_seller,
    screenshot,
)
from tests.oauth.flow import CLIENT_SECRET


@pytest.fixture
def issuer(live_server, settings):
    """The live server is the issuer: metadata and `iss` must name it."""
    settings.OAUTH2_PROVIDER = {**settings.OAUTH2_PROVIDER, "OIDC_ISS_ENDPOINT": live_server.url}
    return live_server.url


def test_partner_app_gets_and_uses_tokens_after_the_seller_consents(live_server, issuer, page):
    seller = make_seller()
    shop = factories.ShopFactory(owner=seller, name="Northwind Goods", region="GB")
    app = make_app()

    # Discovery (RFC 8414).
    metadata = requests.get(f"{issuer}/.well-known/oauth-authorization-server", timeout=10).json()
    assert metadata["issuer"] == issuer
    assert metadata["code_challenge_methods_supported"] == ["S256"]

    client = OAuth2Session(
        client_id=app.client_id,
        client_secret=CLIENT_SECRET,
        redirect_uri=CALLBACK,
        code_challenge_method="S256",
        token_endpoint_auth_method="client_secret_basic",
    )
    verifier = generate_token(64)
    authorization_url, state = client.create_authorization_url(
        metadata["authorization_endpoint"], code_verifier=verifier
    )

    # The seller consents in the browser.
    log_in(page, live_server, seller)
    captured = capture_callback(page)
    page.goto(authorization_url)
    assert page.get_by_role("heading", level=1).inner_text() == (
        "Acme Inventory Sync wants access to your shop"
    )
    screenshot(page, "oauth-flow-consent")
    page.get_by_role("button", name="Authorize").click()
    page.wait_for_url(f"{CALLBACK}**")
    callback = captured[-1]
    query = {key: values[0] for key, values in parse_qs(urlsplit(callback).query).items()}
    assert query["state"] == state
    assert query["iss"] == issuer  # RFC 9207

    # Code exchange with PKCE.
    token = client.fetch_token(
        metadata["token_endpoint"], authorization_response=callback, code_verifier=verifier
    )
    assert sorted(token["scope"].split()) == [
        "seller.customer_service",
        "seller.order.info",
        "seller.product.basic",
    ]

    shops = client.get(f"{issuer}/api/v1/authorization/shops").json()["shops"]
    assert [(entry["id"], entry["cipher"]) for entry in shops] == [(shop.pk, shop.cipher)]

    # Refresh rotates the pair; the new access token works.
    old_refresh = token["refresh_token"]
    refreshed = client.refresh_token(metadata["token_endpoint"])
    assert refreshed["refresh_token"] != old_refresh
    assert client.get(f"{issuer}/api/v1/authorization/shops").status_code == 200

    # RFC 7009 revocation of the refresh token ends the access token too.
    revoked = client.revoke_token(
        metadata["revocation_endpoint"],
        token=refreshed["refresh_token"],
        token_type_hint="refresh_token",
    )
    assert revoked.status_code == 200
    assert client.get(f"{issuer}/api/v1/authorization/shops").status_code == 401
    assert ShopAuthorization.objects.get().revoked_at is None  # the consent itself stays
