"""OAuth-protected API for partner apps (/api/v1/…): bearer tokens only."""

from __future__ import annotations

from django.urls import path
from drf_spectacular.utils import extend_schema, inline_serializer
from oauth2_provider.contrib.rest_framework import OAuth2Authentication
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from apps_registry.selectors.authorizations import authorized_shops
from apps_registry.selectors.availability import available_scope_keys
from apps_registry.services.authorizations import authorization_record_use


class AuthorizedShopsApi(APIView):
    """The shops the token's seller authorized for the calling app, with the scopes per shop."""

    authentication_classes = [OAuth2Authentication]
    permission_classes = [IsAuthenticated]

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
        authorization_record_use(seller=request.user, app=app)
        response = Response({"shops": self.OutputSerializer(shops, many=True).data})
        response["Cache-Control"] = "no-store"
        return response


urlpatterns = [
    path("authorization/shops", AuthorizedShopsApi.as_view(), name="api-authorization-shops"),
]
