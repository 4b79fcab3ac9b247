"""`/oauth/introspect/`: RFC 7662 token introspection for resource servers."""

from __future__ import annotations

from django.utils.decorators import method_decorator
from django.views.decorators.csrf import csrf_exempt
from django.views.generic import View
from oauth2_provider.oauth2_backends import get_oauthlib_core
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauth2_provider.views import IntrospectTokenView
from oauthlib.common import Request as OauthlibRequest

from apps_registry.models import PartnerApp
from console.views.oauth.client_auth import ClientAuthThrottleMixin, RefuseMalformedRequestMixin
from console.views.oauth.responses import oauth_error


class _ResourceServerIntrospection(IntrospectTokenView):
    """RFC 7662 for resource servers only: the caller authenticates as a client with
    `can_introspect`; bearer tokens and partner apps are refused (security.md §0.4, F2)."""

    http_method_names = ["post", "options"]

    def dispatch(self, request, *args, **kwargs):
        if request.method == "POST" and request.GET:
            # As DOT's token and revocation endpoints do: credentials must not travel in URLs.
            return oauth_error(
                400,
                "invalid_request",
                "URL query parameters are not allowed; send the client credentials and the "
                "token in the POST body.",
            )
        client = self._authenticated_client(request)
        if client is None:
            response = oauth_error(401, "invalid_client", "Client authentication failed.")
            response["WWW-Authenticate"] = 'Basic realm="introspection"'
            return response
        if not client.can_introspect:
            return oauth_error(
                403, "unauthorized_client", "Only resource servers may introspect tokens."
            )
        response = View.dispatch(self, request, *args, **kwargs)
        response["Cache-Control"] = "no-store"
        return response

    def _authenticated_client(self, request) -> PartnerApp | None:
        core = get_oauthlib_core()
        oauthlib_request = OauthlibRequest(*core._extract_params(request))
        validator: OAuth2Validator = core.server.request_validator
        if not validator.authenticate_client(oauthlib_request):
            return None
        return oauthlib_request.client


@method_decorator(csrf_exempt, name="dispatch")
class IntrospectView(
    RefuseMalformedRequestMixin, ClientAuthThrottleMixin, _ResourceServerIntrospection
):
    pass
