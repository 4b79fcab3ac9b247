"""django-oauth-toolkit's private APIs, reached from here and nowhere else.

Written against django-oauth-toolkit 3.4.1 (uv.lock; pyproject keeps it below 4): when DOT
is upgraded, check each of these against the new version first.

- `OAuthLibCore._extract_params`: turns a Django request into oauthlib's request the way DOT's own
  endpoints do (escaped URL, headers, form body). The introspection endpoint must know which client
  a request authenticates as, to check `can_introspect`, and DOT's public
  `OAuthLibCore.authenticate_client` only answers whether one did.
- `TokenView.authorization_flow_token_response`, which console/views/oauth/token.py answers
  without DOT's read of the new token while nothing receives `app_authorized`.

The request validator in apps_registry/oauth_validators.py extends DOT's and cannot import from
here (apps_registry sits below console), so what it relies on is listed here too:

- `OAuth2Validator._save_bearer_token`, underscored though DOT's docstring names it as the method
  to override when saving tokens;
- for a refresh, the validator replaces DOT's `validate_refresh_token` and its rotation in
  `_save_bearer_token` with the same checks and writes on one locked read, calling DOT's
  `_check_and_set_request_resource`, `_create_access_token` and `_create_refresh_token`, and
  setting the `request.refresh_token_instance` that DOT's save reads.
"""

from __future__ import annotations

from django.http import HttpRequest
from oauth2_provider.oauth2_backends import get_oauthlib_core
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauthlib.common import Request as OauthlibRequest

from apps_registry.models import PartnerApp


def authenticated_client(request: HttpRequest) -> PartnerApp | None:
    """The app whose client credentials `request` carries (HTTP Basic, or client_id and
    client_secret in the body), checked by DOT's validator as DOT's endpoints check them; None
    when they do not authenticate."""
    core = get_oauthlib_core()
    oauthlib_request = OauthlibRequest(*core._extract_params(request))
    validator: OAuth2Validator = core.server.request_validator
    if not validator.authenticate_client(oauthlib_request):
        return None
    return oauthlib_request.client
