"""Catalog API (/api/v1/…): scopes, their endpoints, and which endpoint a concrete call hits.

Read-only and public: the catalog is the same for everyone.
"""

from __future__ import annotations

import django_filters
from django.core.validators import RegexValidator
from django.urls import path
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from console.not_found import found_or_404
from console.urls import converters  # noqa: F401 - registers <scope_key:…>
from scopes.matching import methods_for_path, resolve_endpoint
from scopes.models import Endpoint, Scope
from scopes.selectors import (
    SCOPE_SEARCH_MAX_LENGTH,
    scope_get_active,
    scope_text_filter,
    scopes_active,
)


class ScopeFilter(django_filters.FilterSet):
    group = django_filters.CharFilter(help_text="Exact group name, e.g. Product.")
    # An empty kind (as a form with "any" selected sends) means both, so the schema lists it.
    kind = django_filters.ChoiceFilter(
        choices=[("", "both"), *Scope.Kind.choices],
        empty_label=None,
        help_text="public or custom; empty or left out for both.",
    )
    q = django_filters.CharFilter(
        method="filter_text",
        max_length=SCOPE_SEARCH_MAX_LENGTH,
        help_text="Scope name or key, endpoint title or path, or a concrete call path.",
    )
    search = django_filters.CharFilter(
        method="filter_text", max_length=SCOPE_SEARCH_MAX_LENGTH, help_text="Same as q."
    )

    class Meta:
        model = Scope
        fields = ["group", "kind", "q", "search"]

    def filter_text(self, queryset, name, value):
        return queryset.filter(scope_text_filter(value.strip())) if value.strip() else queryset


class EndpointOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Endpoint
        fields = ["method", "path", "title", "module", "needs_shop"]


class ScopeOutputSerializer(serializers.ModelSerializer):
    endpoint_count = serializers.IntegerField(read_only=True)
    url = serializers.HyperlinkedIdentityField(
        view_name="api-scope-detail", lookup_field="key", read_only=True
    )

    class Meta:
        model = Scope
        fields = [
            "key",
            "name",
            "group",
            "kind",
            "token_type",
            "description",
            "consent_text",
            "requires_dual_approval",
            "endpoint_count",
            "url",
        ]


class ScopeDetailOutputSerializer(ScopeOutputSerializer):
    endpoints = EndpointOutputSerializer(many=True, read_only=True)

    class Meta(ScopeOutputSerializer.Meta):
        fields = [*ScopeOutputSerializer.Meta.fields, "endpoints"]


@extend_schema(tags=["catalog"])
class ScopeListApi(generics.ListAPIView):
    """Active scopes in catalog order; filter by group, type, or text."""

    permission_classes = [AllowAny]
    serializer_class = ScopeOutputSerializer
    filterset_class = ScopeFilter

    def get_queryset(self):
        return scopes_active()


@extend_schema(tags=["catalog"])
class ScopeDetailApi(generics.RetrieveAPIView):
    """One active scope and every endpoint it unlocks."""

    permission_classes = [AllowAny]
    serializer_class = ScopeDetailOutputSerializer
    lookup_field = "key"
    lookup_url_kwarg = "key"

    def get_object(self) -> Scope:
        return found_or_404(scope_get_active(key=self.kwargs["key"]), Scope)


class EndpointResolveInputSerializer(serializers.Serializer):
    # HTTP methods are case-sensitive (RFC 9110 §9.1), so the enum is the whole contract.
    method = serializers.ChoiceField(
        choices=Endpoint.Method.values,
        help_text="HTTP method of the call, in capitals.",
        error_messages={
            "invalid_choice": "Unknown method {input!r}; use one of "
            + ", ".join(Endpoint.Method.values)
            + " (methods are case-sensitive)."
        },
    )
    # Taken as sent (no trimming), so what the pattern says is what the API checks.
    path = serializers.CharField(
        max_length=2000,
        trim_whitespace=False,
        validators=[
            RegexValidator(
                r"^/[^\x00]*$",
                message="The path must start with '/' and contain no NUL character, e.g. "
                "/product/202309/products/123.",
            )
        ],
        help_text="The concrete path called, e.g. /product/202309/products/1729382256910270483; "
        "a query string is ignored.",
    )


class EndpointMatchOutputSerializer(serializers.Serializer):
    method = serializers.CharField()
    path = serializers.CharField(help_text="The endpoint's path template.")
    title = serializers.CharField()
    needs_shop = serializers.BooleanField()
    path_params = serializers.DictField(child=serializers.CharField())
    scopes = serializers.ListField(
        child=serializers.CharField(),
        help_text="Keys of the scopes that unlock the endpoint (any one suffices); empty means "
        "no scope does, so calls are denied.",
    )


class EndpointResolveApi(APIView):
    """Which catalog endpoint `METHOD path` hits, and the scopes that unlock it."""

    permission_classes = [AllowAny]

    @extend_schema(
        tags=["catalog"],
        parameters=[EndpointResolveInputSerializer],
        responses={
            200: EndpointMatchOutputSerializer,
            404: inline_serializer(
                "EndpointNotFound",
                fields={
                    "detail": serializers.CharField(),
                    "allowed_methods": serializers.ListField(child=serializers.CharField()),
                },
            ),
        },
    )
    def get(self, request):
        params = EndpointResolveInputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        method, call_path = params.validated_data["method"], params.validated_data["path"]
        match = resolve_endpoint(method, call_path)
        if match is None:
            allowed = methods_for_path(call_path)
            detail = (
                f"{call_path} has no {method} endpoint; it accepts {', '.join(allowed)}."
                if allowed
                else f"No endpoint in the catalog matches {method} {call_path}."
            )
            return Response(
                {"detail": detail, "allowed_methods": list(allowed)},
                status=status.HTTP_404_NOT_FOUND,
            )
        output = EndpointMatchOutputSerializer(
            {
                "method": match.method,
                "path": match.path,
                "title": match.title,
                "needs_shop": match.needs_shop,
                "path_params": match.path_params,
                "scopes": sorted(match.scope_keys),
            }
        )
        return Response(output.data)


urlpatterns = [
    path("scopes/", ScopeListApi.as_view(), name="api-scope-list"),
    path("scopes/<scope_key:key>/", ScopeDetailApi.as_view(), name="api-scope-detail"),
    path("endpoints/", EndpointResolveApi.as_view(), name="api-endpoint-resolve"),
]
