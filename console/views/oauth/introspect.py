"""`/oauth/introspect/`: RFC 7662 token introspection for resource servers."""

from __future__ import annotations

from django.http import JsonResponse
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import csrf_exempt
from django.views.generic import View

from apps_registry.selectors.tokens import access_token_introspection
from console.dot_internals import authenticated_client
from console.views.oauth.client_auth import ClientAuthThrottleMixin, RefuseMalformedRequestMixin
from console.views.oauth.responses import oauth_error


class _ResourceServerIntrospection(View):
    """RFC 7662 for resource servers only: the caller authenticates as a client with
    `can_introspect`; bearer tokens and partner apps are refused (docs/security.md §0.4, F2)."""

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
        client = authenticated_client(request)
        if client is None:
            response = oauth_error(401, "invalid_client", "Client authentication failed.")
            response["WWW-Authenticate"] = 'Basic realm="introspection"'
            return response
        if not client.can_introspect:
            return oauth_error(
                403, "unauthorized_client", "Only resource servers may introspect tokens."
            )
        response = super().dispatch(request, *args, **kwargs)
        response["Cache-Control"] = "no-store"
        return response

    def post(self, request, *args, **kwargs):
        # DOT's answer about the token, without DOT's view (its dispatch would also let a bearer
        # token in, where only a resource server's client credentials may) and without loading
        # the token, its app and its seller whole (the gateway asks for every API call).
        token = request.POST.get("token")
        if token is None:
            return oauth_error(400, "invalid_request", "Token parameter is missing.")
        return JsonResponse(access_token_introspection(token=token))


@method_decorator(csrf_exempt, name="dispatch")
class IntrospectView(
    RefuseMalformedRequestMixin, ClientAuthThrottleMixin, _ResourceServerIntrospection
):
    pass
