"""Partner API for an app's webhook (/api/v1/apps/<id>/webhook/…): the receiver URL and topics,
the signing secret, a test event and the delivery log, as on the console's webhook page.

The same authentication, owner scoping and error body as the rest of the partner API
(console/api/base.py); writes call the same services as the page.
"""

from __future__ import annotations

from django.urls import path
from django.views.decorators.debug import sensitive_variables
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from apps_registry.models import (
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookTopic,
)
from apps_registry.selectors import webhooks as webhook_selectors
from apps_registry.services import webhooks as webhook_services
from apps_registry.webhooks.urls import MAX_URL_LENGTH
from console.api.base import PartnerApi
from console.api.fields import REQUIRED_TEXT, StrictCharField
from console.api.schema import ErrorSerializer
from console.caching import forbid_storing
from console.not_found import found_or_404, member_app_or_404
from console.urls import converters  # noqa: F401 - registers <id:…> and <event_id:…>

TAGS = ["webhooks"]

# --- Serializers --------------------------------------------------------------------------------


class WebhookOutputSerializer(serializers.ModelSerializer):
    secret_hint = serializers.CharField(help_text="The signing secret's last four characters.")
    previous_secret_expires_at = serializers.DateTimeField(
        allow_null=True,
        help_text="After a rotation, deliveries are signed with the previous secret too until "
        "then.",
    )
    failing_since = serializers.DateTimeField(
        allow_null=True,
        help_text="Set when a delivery failed after its last retry; cleared by the next "
        "successful one.",
    )
    topics = serializers.ListField(child=serializers.ChoiceField(choices=WebhookTopic.choices))

    class Meta:
        model = WebhookEndpoint
        fields = [
            "url",
            "topics",
            "secret_hint",
            "secret_created_at",
            "previous_secret_expires_at",
            "failing_since",
            "created_at",
            "updated_at",
        ]


class WebhookWithSecretOutputSerializer(WebhookOutputSerializer):
    """The webhook with its new signing secret (documentation only)."""

    secret = serializers.CharField(
        help_text="The signing secret (`whsec_` + base64), shown only in this response."
    )

    class Meta(WebhookOutputSerializer.Meta):
        fields = [*WebhookOutputSerializer.Meta.fields, "secret"]


class WebhookInputSerializer(serializers.Serializer):
    url = StrictCharField(
        max_length=MAX_URL_LENGTH,
        validators=[REQUIRED_TEXT],
        help_text="Your receiver's public https URL. Refused when its host is, or resolves to, a "
        "private, loopback, link-local or otherwise non-public address.",
    )
    topics = serializers.ListField(
        child=serializers.ChoiceField(choices=WebhookTopic.choices),
        min_length=1,
        max_length=len(WebhookTopic),
        help_text="The event types the receiver gets; the test event is sent whatever they are.",
    )


class WebhookAttemptOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookAttempt
        fields = [
            "number",
            "url",
            "started_at",
            "duration_ms",
            "response_status",
            "error",
            "response_excerpt",
        ]


class WebhookDeliveryOutputSerializer(serializers.ModelSerializer):
    attempts = WebhookAttemptOutputSerializer(many=True, read_only=True)

    class Meta:
        model = WebhookDelivery
        fields = [
            "event_id",
            "event_type",
            "created_at",
            "status",
            "attempt_count",
            "next_attempt_at",
            "last_response_status",
            "finished_at",
            "payload",
            "attempts",
        ]


class WebhookDeliveryFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=WebhookDelivery.Status.choices, required=False, help_text="Only this status."
    )
    type = StrictCharField(
        required=False,
        max_length=WebhookDelivery._meta.get_field("event_type").max_length,
        help_text="Only this event type, e.g. `authorization.revoked` or `webhook.test`.",
    )


NOT_SET = OpenApiResponse(
    ErrorSerializer, description="The app has no webhook yet (`webhook_not_set`)."
)


# --- Views --------------------------------------------------------------------------------------


@sensitive_variables("secret")
def _with_secret(endpoint: WebhookEndpoint, secret: str, *, status_code: int) -> Response:
    """The webhook with its new signing secret: this response is the only place it is shown."""
    return forbid_storing(
        Response({**WebhookOutputSerializer(endpoint).data, "secret": secret}, status=status_code)
    )


def _accepted(delivery: WebhookDelivery) -> Response:
    """A delivery queued for the worker: 202, as it is sent after this response."""
    return Response(WebhookDeliveryOutputSerializer(delivery).data, status=status.HTTP_202_ACCEPTED)


class WebhookApi(PartnerApi):
    @extend_schema(
        operation_id="apps_webhook_retrieve",
        responses=WebhookOutputSerializer,
        tags=TAGS,
        summary="The app's webhook; 404 when it has none",
    )
    def get(self, request, app_id: int):
        member_app_or_404(user=request.user, app_id=app_id)
        endpoint = found_or_404(
            webhook_selectors.endpoint_for_user(user=request.user, app_id=app_id), WebhookEndpoint
        )
        return Response(WebhookOutputSerializer(endpoint).data)

    @extend_schema(
        operation_id="apps_webhook_set",
        request=WebhookInputSerializer,
        responses={
            200: WebhookOutputSerializer,
            201: WebhookWithSecretOutputSerializer,
        },
        tags=TAGS,
        summary="Set the app's webhook URL and topics; when this creates it (201), the signing "
        "secret is in this response only",
    )
    @sensitive_variables("result")
    def put(self, request, app_id: int):
        app = member_app_or_404(user=request.user, app_id=app_id)
        serializer = WebhookInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = webhook_services.webhook_endpoint_set(
            app_id=app.pk, acting_user=request.user, **serializer.validated_data
        )
        if not result.created:
            return Response(WebhookOutputSerializer(result.endpoint).data)
        return _with_secret(result.endpoint, result.secret, status_code=status.HTTP_201_CREATED)

    @extend_schema(
        operation_id="apps_webhook_destroy",
        responses={204: None, 409: NOT_SET},
        tags=TAGS,
        summary="Remove the app's webhook: no more events are sent; the delivery log stays",
    )
    def delete(self, request, app_id: int):
        app = member_app_or_404(user=request.user, app_id=app_id)
        webhook_services.webhook_endpoint_remove(app_id=app.pk, acting_user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class WebhookRotateSecretApi(PartnerApi):
    @extend_schema(
        operation_id="apps_webhook_rotate_secret",
        request=None,
        responses={200: WebhookWithSecretOutputSerializer, 409: NOT_SET},
        tags=TAGS,
        summary="A new signing secret, in this response only; the previous one keeps signing "
        "too for a day",
    )
    @sensitive_variables("secret")
    def post(self, request, app_id: int):
        app = member_app_or_404(user=request.user, app_id=app_id)
        endpoint, secret = webhook_services.webhook_secret_rotate(
            app_id=app.pk, acting_user=request.user
        )
        return _with_secret(endpoint, secret, status_code=status.HTTP_200_OK)


class WebhookTestApi(PartnerApi):
    @extend_schema(
        operation_id="apps_webhook_test",
        request=None,
        responses={
            202: WebhookDeliveryOutputSerializer,
            409: NOT_SET,
            429: OpenApiResponse(
                ErrorSerializer,
                description=f"The app was sent {webhook_services.TEST_EVENTS_PER_HOUR} test "
                "events in the last hour (`webhook_test_events_limited`).",
            ),
        },
        tags=TAGS,
        summary="Send a `webhook.test` event to the app's webhook (at most "
        f"{webhook_services.TEST_EVENTS_PER_HOUR} an hour)",
    )
    def post(self, request, app_id: int):
        app = member_app_or_404(user=request.user, app_id=app_id)
        delivery = webhook_services.webhook_send_test(app_id=app.pk, acting_user=request.user)
        return _accepted(delivery)


class WebhookDeliveryListApi(PartnerApi):
    @extend_schema(
        operation_id="apps_webhook_deliveries_list",
        parameters=[WebhookDeliveryFilterSerializer],
        responses=WebhookDeliveryOutputSerializer(many=True),
        tags=TAGS,
        summary="The app's delivery log, newest first, each delivery with its attempts",
    )
    def get(self, request, app_id: int):
        filters = WebhookDeliveryFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        app = member_app_or_404(user=request.user, app_id=app_id)
        deliveries = webhook_selectors.deliveries_for_user(
            user=request.user,
            app_id=app.pk,
            status=filters.validated_data.get("status", ""),
            event_type=filters.validated_data.get("type", ""),
        )
        return self.paginated_response(deliveries, WebhookDeliveryOutputSerializer)


class WebhookDeliveryReplayApi(PartnerApi):
    @extend_schema(
        operation_id="apps_webhook_delivery_replay",
        request=None,
        responses={
            202: WebhookDeliveryOutputSerializer,
            409: OpenApiResponse(
                ErrorSerializer,
                description="The delivery is still pending (`webhook_delivery_pending`), or the "
                "app has no webhook (`webhook_not_set`).",
            ),
            429: OpenApiResponse(
                ErrorSerializer,
                description=f"The app had {webhook_services.REPLAYS_PER_HOUR} delivered events "
                "replayed in the last hour (`webhook_replays_limited`); failed events may be "
                "replayed at any time.",
            ),
        },
        tags=TAGS,
        summary="Send a delivered or failed event again now, with the same event id and a new "
        "round of retries",
    )
    def post(self, request, app_id: int, event_id: str):
        app = member_app_or_404(user=request.user, app_id=app_id)
        delivery = webhook_services.webhook_delivery_replay(
            app_id=app.pk, event_id=event_id, acting_user=request.user
        )
        return _accepted(delivery)


urlpatterns = [
    path("apps/<id:app_id>/webhook/", WebhookApi.as_view(), name="api-app-webhook"),
    path(
        "apps/<id:app_id>/webhook/rotate-secret/",
        WebhookRotateSecretApi.as_view(),
        name="api-app-webhook-rotate-secret",
    ),
    path("apps/<id:app_id>/webhook/test/", WebhookTestApi.as_view(), name="api-app-webhook-test"),
    path(
        "apps/<id:app_id>/webhook/deliveries/",
        WebhookDeliveryListApi.as_view(),
        name="api-app-webhook-deliveries",
    ),
    path(
        "apps/<id:app_id>/webhook/deliveries/<event_id:event_id>/replay/",
        WebhookDeliveryReplayApi.as_view(),
        name="api-app-webhook-delivery-replay",
    ),
]
