"""OAuth-protected API for partner apps (/api/v1/…): bearer tokens only.

Answers follow RFC 6750 §3: a request without a token gets 401 and a `Bearer` challenge without
an error; a token that is invalid, expired or revoked gets 401 with `error="invalid_token"` in the
challenge and a body saying so. DOT's DRF class lets such a request through as anonymous, after
which DRF would claim that no credentials were provided.
"""

from __future__ import annotations

from django.urls import path
from drf_spectacular.contrib.django_oauth_toolkit import DjangoOAuthToolkitScheme
from drf_spectacular.utils import extend_schema, inline_serializer
from oauth2_provider.contrib.rest_framework import OAuth2Authentication
from oauth2_provider.www_authenticate import build_bearer_challenge
from rest_framework import serializers
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView, exception_handler

from apps_registry.gate.usage import record_consent_use
from apps_registry.selectors.authorizations import authorized_shops
from apps_registry.selectors.availability import available_scope_keys


class BearerTokenAuthentication(OAuth2Authentication):
    """DOT's bearer-token authentication, refusing a presented but unusable token outright."""

    def authenticate(self, request):
        authenticated = super().authenticate(request)
        error = getattr(request, "oauth2_error", None)  # set by DOT's validator for a bad token
        if authenticated is None and error:
            description = error.get("error_description", "The access token is invalid.")
            raise AuthenticationFailed(
                {
                    "error": error["error"],
                    "detail": f"{description} Use a current access token: refresh it with the "
                    "refresh token, or ask the seller to authorize the app again.",
                }
            )
        return authenticated

    def authenticate_header(self, request):
        # DOT's builder escapes the quoted values (DOT's DRF class does not).
        return build_bearer_challenge(
            request,
            oauth2_error=getattr(request, "oauth2_error", None),
            realm=self.www_authenticate_realm,
            resource_metadata_url=None,
        )


class BearerTokenScheme(DjangoOAuthToolkitScheme):
    """Document BearerTokenAuthentication in the OpenAPI schema as DOT's OAuth 2.0 scheme."""

    target_class = BearerTokenAuthentication


class AuthorizedShopsApi(APIView):
    """The shops the token's seller authorized for the calling app, with the scopes per shop."""

    authentication_classes = [BearerTokenAuthentication]
    permission_classes = [IsAuthenticated]

    def get_exception_handler(self):
        # Bearer-token clients follow RFC 6750 (`error` beside `detail`), not the console's body.
        return exception_handler

    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField(source="shop.pk")
        name = serializers.CharField(source="shop.name")
        region = serializers.CharField(source="shop.region")
        cipher = serializers.CharField(source="shop.cipher")
        granted_scopes = serializers.ListField(child=serializers.CharField())
        expires_at = serializers.DateTimeField()

    @extend_schema(
        operation_id="authorization_shops_list",
        summary="Shops the seller authorized for this app",
        description=(
            "Call with the seller's access token (`Authorization: Bearer …`). Lists each shop the "
            "seller authorized for the calling app, its `cipher` (pass it as `shop_cipher`), and "
            "the scopes granted on that shop that the app may still use."
        ),
        responses={
            200: inline_serializer("AuthorizedShops", fields={"shops": OutputSerializer(many=True)})
        },
        tags=["authorization"],
    )
    def get(self, request):
        app = request.auth.application
        usable = available_scope_keys(app=app)
        shops = [
            {
                "shop": authorization.shop,
                "granted_scopes": [
                    scope.key for scope in authorization.scopes.all() if scope.key in usable
                ],
                "expires_at": authorization.expires_at,
            }
            for authorization in authorized_shops(seller=request.user, app=app)
        ]
        record_consent_use(app_id=app.pk, seller_id=request.user.pk)
        response = Response({"shops": self.OutputSerializer(shops, many=True).data})
        response["Cache-Control"] = "no-store"
        return response


urlpatterns = [
    path("authorization/shops", AuthorizedShopsApi.as_view(), name="api-authorization-shops"),
]
