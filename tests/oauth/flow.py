"""Drive the authorization-code flow through Django's test client (shared by oauth/seller tests)."""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode, urlsplit

from tests import factories

CLIENT_SECRET = "test-client-secret-0123456789"
REDIRECT_URI = "https://app.example.com/callback"


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    return verifier, challenge.decode().rstrip("=")


@dataclass
class Flow:
    """One authorization request: its PKCE pair and state."""

    app: object
    verifier: str
    challenge: str
    state: str = "state-123"
    redirect_uri: str = REDIRECT_URI

    @classmethod
    def start(cls, app, **kwargs) -> Flow:
        verifier, challenge = pkce_pair()
        return cls(app=app, verifier=verifier, challenge=challenge, **kwargs)

    def authorize_url(self, **overrides) -> str:
        params = {
            "response_type": "code",
            "client_id": self.app.client_id,
            "redirect_uri": self.redirect_uri,
            "state": self.state,
            "code_challenge": self.challenge,
            "code_challenge_method": "S256",
            **overrides,
        }
        return "/oauth/authorize/?" + urlencode({k: v for k, v in params.items() if v is not None})


def consent_post_data(page_response, *, shops, allow=True, optional=None, duration_days=90):
    """The POST a seller's browser would send from the rendered consent page.

    `optional=None` keeps every optional scope ticked, as the page pre-ticks them.
    """
    form = page_response.context["form"]
    data = {name: value for name, value in form.initial.items() if value is not None}
    if optional is None:
        optional = [
            item.scope.key
            for _, items in page_response.context["scope_groups"]
            for item in items
            if not item.is_required
        ]
    data.update(
        shops=[shop.pk for shop in shops],
        duration_days=duration_days,
        optional_scopes=list(optional),
    )
    if allow:
        data["allow"] = "true"
    return data


def query_of(location: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}


def authorize(client, flow: Flow, *, shops, optional=None, duration_days=90, **overrides) -> str:
    """Show the consent page, authorize, and return the code from the redirect."""
    page = client.get(flow.authorize_url(**overrides))
    assert page.status_code == 200, page.content
    response = client.post(
        "/oauth/authorize/",
        consent_post_data(page, shops=shops, optional=optional, duration_days=duration_days),
    )
    assert response.status_code == 302, response.content
    query = query_of(response["Location"])
    assert "code" in query, query
    return query["code"]


def basic_auth(app, secret: str = CLIENT_SECRET) -> dict[str, str]:
    raw = f"{app.client_id}:{secret}".encode()
    return {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(raw).decode()}


def exchange(client, flow: Flow, code: str, *, app=None, secret=CLIENT_SECRET, **overrides):
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": flow.redirect_uri,
        "code_verifier": flow.verifier,
        **overrides,
    }
    return client.post(
        "/oauth/token/",
        {k: v for k, v in data.items() if v is not None},
        **basic_auth(app or flow.app, secret),
    )


def refresh(client, app, refresh_token: str, **extra):
    return client.post(
        "/oauth/token/",
        {"grant_type": "refresh_token", "refresh_token": refresh_token, **extra},
        **basic_auth(app),
    )


def issue_tokens(client, app, seller, shops, **authorize_kwargs) -> dict:
    """Log the seller in, run the whole flow, and return the token response body."""
    client.force_login(seller)
    flow = Flow.start(app)
    code = authorize(client, flow, shops=shops, **authorize_kwargs)
    response = exchange(client, flow, code)
    assert response.status_code == 200, response.content
    return response.json()


def app_with_scopes(*, required=(), optional=(), **app_kwargs):
    """A live app that chose these scopes (Custom ones get a live approval)."""
    app = factories.PartnerAppFactory(**app_kwargs)
    for scope, is_required in [(s, True) for s in required] + [(s, False) for s in optional]:
        factories.AppScopeFactory(app=app, scope=scope, is_required=is_required)
        if scope.is_custom:
            factories.ApprovedAccessRequestFactory(app=app, scope=scope)
    return app
