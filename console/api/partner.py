"""Partner API (/api/v1/…): the partner console's pages as JSON.

Session-authenticated (so writes need the CSRF token, as on the pages) and owner-scoped through
the same selectors: another partner's app or request is a 404. Writes call the same services.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from django.urls import path, reverse
from django.views.decorators.debug import sensitive_variables
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from apps_registry.error_codes import PartnerErrorCode
from apps_registry.events import review as review_events
from apps_registry.mail import site_url
from apps_registry.models import AccessRequest, AppScope, PartnerApp, ReviewEvent
from apps_registry.selectors import partners as selectors
from apps_registry.services import access_requests as access_request_services
from apps_registry.services import apps as app_services
from apps_registry.services.access_requests import InvalidAnswersError
from apps_registry.validators import (
    MAX_REDIRECT_URI_LENGTH,
    MAX_REDIRECT_URIS,
    validate_display_name,
    validate_https_address,
    validate_no_format_characters,
    validate_web_address,
)
from console.api.base import PartnerApi
from console.api.fields import RedirectUriValidator, StrictCharField, required_text
from console.api.schema import ErrorSerializer
from console.caching import forbid_storing
from console.not_found import found_or_404
from console.second_factor import session_assurance
from console.urls import converters  # noqa: F401 - registers <id:…>
from core.errors import InvalidInputError
from scopes.models import Endpoint, Scope
from scopes.selectors import SCOPE_SEARCH_MAX_LENGTH

# --- Serializers --------------------------------------------------------------------------------


class RequestedScopeOutputSerializer(serializers.ModelSerializer):
    scope = serializers.CharField(source="scope.key")

    class Meta:
        model = AppScope
        fields = ["scope", "is_required"]


class AppOutputSerializer(serializers.ModelSerializer):
    redirect_uris = serializers.SerializerMethodField()
    requested_scopes = RequestedScopeOutputSerializer(many=True, read_only=True)
    secret_hint = serializers.CharField(help_text="Last four characters of the client secret.")
    icon_url = serializers.SerializerMethodField(
        help_text="The app's 256x256 PNG icon, at the console's public address; the URL changes "
        "whenever the icon does, so it can be cached for good. Null while the app has none."
    )
    website = serializers.CharField(
        source="publisher_url", help_text="The publisher's https:// website, or empty."
    )

    class Meta:
        model = PartnerApp
        fields = [
            "id",
            "name",
            "description",
            "category",
            "homepage_url",
            "privacy_policy_url",
            "website",
            "icon_url",
            "status",
            "client_id",
            "secret_hint",
            "secret_rotated_at",
            "redirect_uris",
            "requested_scopes",
            "created",
            "updated",
        ]

    def get_redirect_uris(self, app: PartnerApp) -> list[str]:
        return app.redirect_uris.split()

    def get_icon_url(self, app: PartnerApp) -> str | None:
        if not app.icon_sha256:
            return None
        # The public address the e-mails use, not the request's Host, which a proxy may rewrite.
        return site_url() + reverse("app-icon", args=[app.client_id, app.icon_sha256])


class AppCreatedOutputSerializer(AppOutputSerializer):
    """The app as just created, with the one-time plaintext secret (documentation only)."""

    client_secret = serializers.CharField(
        help_text="Shown only in this response; only a hash of it is stored."
    )

    class Meta(AppOutputSerializer.Meta):
        fields = [*AppOutputSerializer.Meta.fields, "client_secret"]


class AppCreateInputSerializer(serializers.Serializer):
    name = required_text(
        max_length=PartnerApp._meta.get_field("name").max_length,
        validators=[validate_display_name],
    )
    description = StrictCharField(
        required=False,
        allow_blank=True,
        max_length=2000,
        validators=[validate_no_format_characters],
    )
    category = serializers.ChoiceField(
        choices=PartnerApp.Category.choices, default=PartnerApp.Category.OTHER
    )
    homepage_url = StrictCharField(
        required=False, allow_blank=True, max_length=200, validators=[validate_https_address]
    )
    privacy_policy_url = StrictCharField(
        required=False, allow_blank=True, max_length=200, validators=[validate_https_address]
    )
    redirect_uris = serializers.ListField(
        child=StrictCharField(
            max_length=MAX_REDIRECT_URI_LENGTH, validators=[RedirectUriValidator()]
        ),
        min_length=1,
        max_length=MAX_REDIRECT_URIS,
        help_text="Exact https URIs (http only for 127.0.0.1, [::1], localhost).",
    )


class ScopeStatusOutputSerializer(serializers.Serializer):
    key = serializers.CharField(source="scope.key")
    name = serializers.CharField(source="scope.name")
    group = serializers.CharField(source="scope.group")
    kind = serializers.CharField(source="scope.kind")
    status = serializers.CharField(
        help_text="available (Public), not_applied, submitted, in_review, changes_requested, "
        "approved, rejected, withdrawn, revoked or expired."
    )
    label = serializers.CharField()
    endpoint_count = serializers.IntegerField()
    approval_expires_at = serializers.DateTimeField(allow_null=True)
    reason = serializers.CharField(help_text="The reviewer's reason when rejected or revoked.")
    request_id = serializers.SerializerMethodField()
    requested = serializers.SerializerMethodField(
        help_text="required or optional when the app asks sellers for it, else null."
    )

    def get_request_id(self, row) -> int | None:
        return row.latest_request.pk if row.latest_request else None

    def get_requested(self, row) -> str | None:
        if row.requested is None:
            return None
        return "required" if row.requested.is_required else "optional"


class ReviewEventOutputSerializer(serializers.ModelSerializer):
    details = serializers.SerializerMethodField()

    class Meta:
        model = ReviewEvent
        fields = ["action", "from_status", "to_status", "comment", "details", "created_at"]

    def get_details(self, event: ReviewEvent) -> dict:
        return review_events.partner_details(event)


class ChosenEndpointOutputSerializer(serializers.Serializer):
    method = serializers.CharField()
    path = serializers.CharField()


class AccessRequestOutputSerializer(serializers.ModelSerializer):
    app_id = serializers.IntegerField()
    scope = serializers.CharField(source="scope.key")
    chosen_endpoints = ChosenEndpointOutputSerializer(
        many=True,
        read_only=True,
        help_text="The scope's endpoints the app will call, as chosen when applying; empty for "
        "an application that wrote `endpoints_used` as text.",
    )

    class Meta:
        model = AccessRequest
        fields = [
            "id",
            "app_id",
            "scope",
            "status",
            *AccessRequest.ANSWER_FIELDS,
            "chosen_endpoints",
            "submitted_at",
            "decided_at",
            "decision_reason",
            "approval_expires_at",
            "updated_at",
        ]


class AccessRequestDetailOutputSerializer(AccessRequestOutputSerializer):
    events = ReviewEventOutputSerializer(many=True, read_only=True)
    expected_decision_date = serializers.SerializerMethodField()

    class Meta(AccessRequestOutputSerializer.Meta):
        fields = [*AccessRequestOutputSerializer.Meta.fields, "expected_decision_date", "events"]

    def get_expected_decision_date(self, access_request) -> str | None:
        expected = selectors.expected_decision_date(access_request)
        return expected.isoformat() if expected else None


class ScopeSearchInputSerializer(serializers.Serializer):
    q = serializers.CharField(
        allow_blank=True,
        default="",
        max_length=SCOPE_SEARCH_MAX_LENGTH,
        help_text="Scope name or key, endpoint title or path, or a concrete call path.",
    )


# "METHOD /path", as scopes.models.Endpoint names itself.
ENDPOINT_NAME_MAX_LENGTH = (
    Endpoint._meta.get_field("method").max_length + 1 + Endpoint._meta.get_field("path").max_length
)
# DRF formats a field's error messages, so no braces here.
SEND_ENDPOINTS = (
    'List the scope\'s endpoints your app will call, "METHOD /path" each, e.g. '
    '["GET /customer_service/202309/conversations"]; GET /api/v1/scopes/<key>/ lists them.'
)


class AccessRequestCreateInputSerializer(serializers.Serializer):
    """The questionnaire, with the endpoints chosen from the scope's as `endpoints`. The text
    answer `endpoints_used` the API took before is refused: text cannot be matched to the
    scope's endpoints exactly, and the service checks the chosen ones against the scope."""

    app_id = serializers.IntegerField()
    scope = required_text(max_length=100, help_text="The Custom scope's key.")
    data_usage = required_text(max_length=AccessRequest.answer_question("data_usage").max_length)
    justification = required_text(
        max_length=AccessRequest.answer_question("justification").max_length
    )
    endpoints = serializers.ListField(
        child=StrictCharField(max_length=ENDPOINT_NAME_MAX_LENGTH),
        allow_empty=False,
        min_length=1,  # for the schema's minItems; allow_empty's message says what to send
        help_text='The scope\'s endpoints the app will call, "METHOD /path" each as the scope '
        "lists them (GET /api/v1/scopes/{key}/), e.g. "
        '["GET /customer_service/202309/conversations"]. They are stored as `chosen_endpoints` '
        "and written one per line as the `endpoints_used` answer.",
        error_messages={"required": SEND_ENDPOINTS, "empty": SEND_ENDPOINTS},
    )
    data_protection = required_text(
        max_length=AccessRequest.answer_question("data_protection").max_length
    )
    demo_url = StrictCharField(
        required=False,
        allow_blank=True,
        max_length=AccessRequest.answer_question("demo_url").max_length,
        validators=[validate_web_address],
    )

    def to_internal_value(self, data):
        if isinstance(data, Mapping) and "endpoints_used" in data:
            raise serializers.ValidationError(
                {
                    "endpoints_used": [
                        "No longer accepted: send `endpoints` instead. " + SEND_ENDPOINTS
                    ]
                }
            )
        return super().to_internal_value(data)


@contextmanager
def endpoint_refusals_named_for_the_api() -> Iterator[None]:
    """The service refuses a choice of endpoints on the answer it writes from them,
    "endpoints_used"; API clients sent that choice as `endpoints`, so that is the field to fix."""
    try:
        yield
    except InvalidAnswersError as error:
        if "endpoints_used" in error.fields:
            error.fields["endpoints"] = error.fields.pop("endpoints_used")
        raise


# --- Views --------------------------------------------------------------------------------------


class AppListCreateApi(PartnerApi):
    @extend_schema(
        operation_id="apps_list",
        responses=AppOutputSerializer(many=True),
        tags=["partner"],
        summary="Your organisation's apps",
    )
    def get(self, request):
        apps = selectors.apps_for_user(user=request.user).prefetch_related(
            "requested_scopes__scope"
        )
        return self.paginated_response(apps, AppOutputSerializer)

    @extend_schema(
        operation_id="apps_create",
        request=AppCreateInputSerializer,
        responses={201: AppCreatedOutputSerializer},
        tags=["partner"],
        summary="Create a draft app; the client secret is in this response only",
        description=(
            "An owner of the organisation is shown the secret only from a session that used "
            "two-factor authentication in the last few minutes: otherwise 403 with code "
            "`second_factor_not_set_up` or `second_factor_not_recent`, and nothing is created "
            "(ADR 0018). Developers need their signed-in session only."
        ),
    )
    @sensitive_variables("raw_secret")
    def post(self, request):
        partner = selectors.partner_for_user(user=request.user)
        if partner is None:
            raise InvalidInputError(
                "Create your organisation in the console first.",
                code=PartnerErrorCode.NO_ORGANISATION,
            )
        serializer = AppCreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        app, raw_secret = app_services.app_create(
            partner=partner,
            acting_user=request.user,
            assurance=session_assurance(request),
            **serializer.validated_data,
        )
        return forbid_storing(
            Response(
                {
                    **AppOutputSerializer(app).data,
                    "client_secret": raw_secret,
                },
                status=status.HTTP_201_CREATED,
            )
        )


class AppDetailApi(PartnerApi):
    @extend_schema(operation_id="apps_retrieve", responses=AppOutputSerializer, tags=["partner"])
    def get(self, request, app_id: int):
        app = found_or_404(selectors.app_get_for_user(user=request.user, app_id=app_id), PartnerApp)
        return Response(AppOutputSerializer(app).data)


class AppScopesApi(PartnerApi):
    pagination_class = None  # the whole catalog, as the Manage API page shows it

    @extend_schema(
        operation_id="apps_scopes_list",
        parameters=[ScopeSearchInputSerializer],
        responses=ScopeStatusOutputSerializer(many=True),
        tags=["partner"],
        summary="Every catalog scope with its status for this app (the Manage API page)",
    )
    def get(self, request, app_id: int):
        params = ScopeSearchInputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        app = found_or_404(selectors.app_get_for_user(user=request.user, app_id=app_id), PartnerApp)
        rows = [
            row
            for group in selectors.app_scope_statuses(app=app, query=params.validated_data["q"])
            for row in group.rows
        ]
        return Response(ScopeStatusOutputSerializer(rows, many=True).data)


class AccessRequestListCreateApi(PartnerApi):
    @extend_schema(
        operation_id="requests_list",
        responses=AccessRequestOutputSerializer(many=True),
        tags=["partner"],
        summary="Your organisation's Custom-scope applications",
    )
    def get(self, request):
        access_requests = selectors.access_requests_for_user(user=request.user)
        return self.paginated_response(access_requests, AccessRequestOutputSerializer)

    @extend_schema(
        operation_id="requests_create",
        request=AccessRequestCreateInputSerializer,
        responses={
            201: AccessRequestDetailOutputSerializer,
            400: OpenApiResponse(
                ErrorSerializer,
                description="Invalid input; `fields` names each field to fix, e.g. `endpoints` "
                "when it is empty or lists an endpoint the scope does not unlock (nothing is "
                "created), or `endpoints_used`, which is no longer accepted.",
            ),
            404: OpenApiResponse(
                ErrorSerializer, description="No such app of yours, or no such Custom scope."
            ),
            409: OpenApiResponse(
                ErrorSerializer,
                description="The app or scope does not allow it now, e.g. an open application "
                "for this scope exists.",
            ),
        },
        tags=["partner"],
        summary="Apply for a Custom scope for one of your apps",
    )
    def post(self, request):
        serializer = AccessRequestCreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        app = found_or_404(
            selectors.app_get_for_user(user=request.user, app_id=data.pop("app_id")), PartnerApp
        )
        scope = found_or_404(selectors.scope_get_for_application(key=data.pop("scope")), Scope)
        endpoints = data.pop("endpoints")
        with endpoint_refusals_named_for_the_api():
            access_request = access_request_services.access_request_submit(
                app=app, scope=scope, answers=data, endpoints=endpoints, acting_user=request.user
            )
        access_request = found_or_404(
            selectors.access_request_get_for_user(user=request.user, request_id=access_request.pk),
            AccessRequest,
        )
        return Response(
            AccessRequestDetailOutputSerializer(access_request).data,
            status=status.HTTP_201_CREATED,
        )


class AccessRequestDetailApi(PartnerApi):
    @extend_schema(
        operation_id="requests_retrieve",
        responses=AccessRequestDetailOutputSerializer,
        tags=["partner"],
        summary="One application with its full history",
    )
    def get(self, request, request_id: int):
        access_request = found_or_404(
            selectors.access_request_get_for_user(user=request.user, request_id=request_id),
            AccessRequest,
        )
        return Response(AccessRequestDetailOutputSerializer(access_request).data)


urlpatterns = [
    path("apps/", AppListCreateApi.as_view(), name="api-app-list"),
    path("apps/<id:app_id>/", AppDetailApi.as_view(), name="api-app-detail"),
    path("apps/<id:app_id>/scopes/", AppScopesApi.as_view(), name="api-app-scopes"),
    path("requests/", AccessRequestListCreateApi.as_view(), name="api-request-list"),
    path(
        "requests/<id:request_id>/",
        AccessRequestDetailApi.as_view(),
        name="api-request-detail",
    ),
]
