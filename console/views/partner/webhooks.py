"""An app's webhook page: the receiver URL and topics, the signing secret (shown once), a test
event, the delivery log with replays, and the contract a receiver implements."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_variables

from apps_registry.models import TEST_EVENT_TYPE, PartnerApp, WebhookEndpoint, WebhookTopic
from apps_registry.selectors import webhooks as webhook_selectors
from apps_registry.services import webhooks as webhook_services
from console.caching import forbid_storing
from console.forms import WebhookForm
from console.keyset import keyset_page_for_request
from console.not_found import member_app_or_404
from console.one_time_secrets import OneTimeSecret, pop_one_time_secret, stash_one_time_secret
from console.views.actions import ObjectActionView
from console.views.partner.base import PartnerMixin
from console.webhook_examples import example_data, example_event
from core.errors import DomainError
from core.forms import show_refusal

DELIVERIES_PER_PAGE = 20


def _webhooks_url(app: PartnerApp) -> str:
    return reverse("partner:app-webhooks", args=[app.pk])


def _delay_text(seconds: int) -> str:
    if seconds % 3600 == 0:
        return f"{seconds // 3600} h"
    return f"{seconds // 60} min"


def _previous_secret_until(endpoint: WebhookEndpoint | None):
    """When the secret before the last rotation stops signing, while it still does."""
    expires_at = endpoint.previous_secret_expires_at if endpoint else None
    return expires_at if expires_at and expires_at > timezone.now() else None


@method_decorator(never_cache, name="dispatch")
class AppWebhooksView(PartnerMixin, View):
    def get(self, request, app_id: int):
        app = member_app_or_404(user=request.user, app_id=app_id)
        secret = pop_one_time_secret(request, app, kind=OneTimeSecret.WEBHOOK)
        response = self._render(app, one_time_secret=secret)
        return forbid_storing(response) if secret else response

    @method_decorator(sensitive_variables("result"))
    def post(self, request, app_id: int):
        """Create the endpoint (its secret is shown once) or change its URL and topics."""
        app = member_app_or_404(user=request.user, app_id=app_id)
        form = WebhookForm(request.POST)
        status = 400
        if form.is_valid():
            try:
                result = webhook_services.webhook_endpoint_set(
                    app_id=app.pk, acting_user=request.user, **form.cleaned_data
                )
            except DomainError as error:
                status = show_refusal(form, error)
            else:
                if result.secret:
                    stash_one_time_secret(request, app, result.secret, kind=OneTimeSecret.WEBHOOK)
                    messages.success(
                        request, "Webhook saved. Copy its signing secret now: it is shown once."
                    )
                else:
                    messages.success(request, "Webhook URL and topics saved.")
                return redirect(_webhooks_url(app))
        return self._render(app, form=form, status=status)

    def _render(self, app, *, one_time_secret=None, form=None, status=200):
        endpoint = webhook_selectors.endpoint_for_user(user=self.request.user, app_id=app.pk)
        page = keyset_page_for_request(
            self.request,
            webhook_selectors.deliveries_for_user(user=self.request.user, app_id=app.pk),
            size=DELIVERIES_PER_PAGE,
        )
        examples = example_data()
        return self.render(
            "console/app_webhooks.html",
            {
                "app": app,
                "endpoint": endpoint,
                "one_time_secret": one_time_secret,
                "previous_secret_until": _previous_secret_until(endpoint),
                "form": form or self._initial_form(endpoint),
                "page": page,
                "retry_delays": [
                    _delay_text(seconds) for seconds in settings.WEBHOOK_RETRY_DELAYS_SECONDS
                ],
                "previous_secret_hours": settings.WEBHOOK_PREVIOUS_SECRET_HOURS,
                "timeout_seconds": settings.WEBHOOK_TIMEOUT_SECONDS,
                "event_examples": [
                    (topic.value, topic.label, example_event(topic.value, examples[topic]))
                    for topic in WebhookTopic
                ],
                "test_event_example": example_event(
                    TEST_EVENT_TYPE, webhook_services.webhook_test_data(app)
                ),
                "test_event_type": TEST_EVENT_TYPE,
            },
            status=status,
        )

    @staticmethod
    def _initial_form(endpoint: WebhookEndpoint | None) -> WebhookForm:
        if endpoint is None:
            return WebhookForm(initial={"topics": WebhookTopic.values})
        return WebhookForm(initial={"url": endpoint.url, "topics": endpoint.topics})


class _WebhookActionView(PartnerMixin, ObjectActionView):
    """A button on the webhook page: it changes the webhook and comes back to the page."""

    def get_object(self) -> PartnerApp:
        return member_app_or_404(user=self.request.user, app_id=self.kwargs["app_id"])

    def redirect_url(self, app: PartnerApp) -> str:
        return _webhooks_url(app)


class WebhookRotateSecretView(_WebhookActionView):
    @method_decorator(sensitive_variables("secret"))
    def perform(self, app: PartnerApp) -> str:
        _, secret = webhook_services.webhook_secret_rotate(
            app_id=app.pk, acting_user=self.request.user
        )
        stash_one_time_secret(self.request, app, secret, kind=OneTimeSecret.WEBHOOK)
        return (
            "A new signing secret was generated. Deliveries are signed with the old one too for "
            f"{settings.WEBHOOK_PREVIOUS_SECRET_HOURS} hours, while you update your receiver."
        )


class WebhookRemoveView(_WebhookActionView):
    def perform(self, app: PartnerApp) -> str:
        webhook_services.webhook_endpoint_remove(app_id=app.pk, acting_user=self.request.user)
        return "Webhook removed: no more events are sent to it."


class WebhookSendTestView(_WebhookActionView):
    def perform(self, app: PartnerApp) -> str:
        delivery = webhook_services.webhook_send_test(app_id=app.pk, acting_user=self.request.user)
        return f"Test event {delivery.event_id} queued: it appears in the delivery log below."


class WebhookReplayView(_WebhookActionView):
    def perform(self, app: PartnerApp) -> str:
        delivery = webhook_services.webhook_delivery_replay(
            app_id=app.pk, event_id=self.kwargs["event_id"], acting_user=self.request.user
        )
        return f"Event {delivery.event_id} will be sent again now, with the same event id."
