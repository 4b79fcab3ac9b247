"""OAuth-protected API for partner apps (/api/v1/…): bearer tokens only.

Answers follow RFC 6750 §3: a request without a token gets 401 and a `Bearer` challenge without
an error; a token that is invalid, expired or revoked gets 401 with `error="invalid_token"` in the
challenge and a body saying so. The token is resolved as the gate resolves it
(apps_registry/gate/decision.py `read_token`), not through DOT's DRF class, which would let such a
request through as anonymous and read the app and the user on every call.
"""

from __future__ import annotations

from django.urls import path
from django.utils import timezone
from drf_spectacular.utils import extend_schema, inline_serializer
from oauth2_provider.www_authenticate import build_bearer_challenge
from rest_framework import serializers
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView, exception_handler

from apps_registry.gate.context import access_context
from apps_registry.gate.decision import GateDecision, read_token
from apps_registry.gate.reasons import GateReason
from apps_registry.gate.usage import record_consent_use


class TokenSeller:
    """The seller a bearer token acts for, as DRF's `request.user`: the id is all this API needs,
    so no user row is read (the token's query already checked the seller is active)."""

    is_authenticated = True
    is_anonymous = False

    def __init__(self, seller_id: int) -> None:
        self.pk = self.id = seller_id


class BearerTokenAuthentication(BaseAuthentication):
    """A seller's access token, resolved as the gate resolves it: one indexed query, so a revoked
    or expired token is refused on the very next call."""

    www_authenticate_realm = "api"

    def authenticate(self, request):
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        found = read_token(token, now=timezone.now())
        if isinstance(found, GateDecision):
            description = TOKEN_DESCRIPTIONS[found.reason]
            request.oauth2_error = {"error": "invalid_token", "error_description": description}
            raise AuthenticationFailed(
                {
                    "error": "invalid_token",
                    "detail": f"{description} Use a current access token: refresh it with the "
                    "refresh token, or ask the seller to authorize the app again.",
                }
            )
        return TokenSeller(found.seller_id), found

    def authenticate_header(self, request):
        # DOT's builder escapes the quoted values.
        return build_bearer_challenge(
            request,
            oauth2_error=getattr(request, "oauth2_error", None),
            realm=self.www_authenticate_realm,
            resource_metadata_url=None,
        )


# What RFC 6750's error_description says for each way a presented token fails (a blank one
# never reaches read_token: it is no credential at all).
TOKEN_DESCRIPTIONS = {
    GateReason.TOKEN_INVALID: "The access token is invalid.",
    GateReason.TOKEN_EXPIRED: "The access token has expired.",
    # The app's tokens are all invalid while it is suspended (suspension revokes them).
    GateReason.APP_SUSPENDED: "The access token is invalid.",
}


class AuthorizedShopsApi(APIView):
    """The shops the token's seller authorized for the calling app, with the scopes per shop."""

    authentication_classes = [BearerTokenAuthentication]
    permission_classes = [IsAuthenticated]
    # Served from the gate's per-process context: no query beyond the token's.

    def get_exception_handler(self):
        # Bearer-token clients follow RFC 6750 (`error` beside `detail`), not the console's body.
        return exception_handler

    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField(source="shop.shop_id")
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
        token = request.auth
        now = timezone.now()
        context = access_context(app_id=token.app_id, seller_id=token.seller_id)
        usable = context.available_scope_keys(now)
        shops = [
            {
                "shop": grant,
                "granted_scopes": [key for key in grant.ordered_scope_keys if key in usable],
                "expires_at": grant.expires_at,
            }
            for grant in context.live_grants(now)
        ]
        record_consent_use(app_id=token.app_id, seller_id=token.seller_id, now=now)
        response = Response({"shops": self.OutputSerializer(shops, many=True).data})
        response["Cache-Control"] = "no-store"
        return response


urlpatterns = [
    path("authorization/shops", AuthorizedShopsApi.as_view(), name="api-authorization-shops"),
]
