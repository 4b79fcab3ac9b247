"""The organisation's apps: list, create, the app page (details, redirect URIs, credentials and
activity), rotating the client secret and publishing."""

from __future__ import annotations

from allauth.account.decorators import reauthentication_required
from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_variables

from apps_registry.models import PartnerApp
from apps_registry.selectors import gate as gate_selectors
from apps_registry.selectors import partners as selectors
from apps_registry.selectors import webhooks as webhook_selectors
from apps_registry.services import apps as app_services
from console.caching import forbid_storing
from console.forms import AppBrandingForm, AppCreateForm, AppDetailsForm, RedirectUrisForm
from console.gate_presentation import reason_text
from console.not_found import found_or_404
from console.one_time_secrets import OneTimeSecret, pop_one_time_secret, stash_one_time_secret
from console.second_factor import second_factor_for_secrets, session_assurance
from console.views.actions import ObjectActionView
from console.views.partner.base import PartnerMixin
from console.views.partner.presenters import activity_entry
from core.errors import DomainError
from core.forms import show_refusal


def _app_url(app: PartnerApp) -> str:
    return reverse("partner:app-detail", args=[app.pk])


class AppListView(PartnerMixin, View):
    def get(self, request):
        return self.render(
            "console/app_list.html", {"apps": selectors.apps_for_user(user=request.user)}
        )


@method_decorator(second_factor_for_secrets, name="dispatch")
class AppCreateView(PartnerMixin, View):
    """The new app's secret is shown once: owners get here only with a recent second factor."""

    def get(self, request):
        return self._render(AppCreateForm(initial={"category": PartnerApp.Category.OTHER}))

    @method_decorator(sensitive_variables("raw_secret"))
    def post(self, request):
        form = AppCreateForm(request.POST)
        if not form.is_valid():
            return self._render(form, status=400)
        try:
            app, raw_secret = app_services.app_create(
                partner=self.partner,
                acting_user=request.user,
                assurance=session_assurance(request),
                **form.cleaned_data,
            )
        except DomainError as error:
            return self._render(form, status=show_refusal(form, error))
        stash_one_time_secret(request, app, raw_secret, kind=OneTimeSecret.CLIENT)
        messages.success(request, f"{app.name} was created. Copy its client secret now.")
        return redirect(_app_url(app))

    def _render(self, form, *, status: int = 200):
        return self.render("console/app_create.html", {"form": form}, status=status)


@method_decorator(never_cache, name="dispatch")
class AppDetailView(PartnerMixin, View):
    """Credentials (secret shown once) and recent failed uses of them, calls the gate denied
    lately, redirect URIs, the webhook, details, status and the app's requests."""

    def get(self, request, app_id: int):
        app = found_or_404(selectors.app_get_for_user(user=request.user, app_id=app_id), PartnerApp)
        one_time_secret = pop_one_time_secret(request, app, kind=OneTimeSecret.CLIENT)
        response = self._render(app, one_time_secret=one_time_secret)
        return forbid_storing(response) if one_time_secret else response

    def post(self, request, app_id: int):
        """Save the app's details (name, description, category, links)."""
        app = found_or_404(selectors.app_get_for_user(user=request.user, app_id=app_id), PartnerApp)
        form = AppDetailsForm(request.POST)
        status = 400
        if form.is_valid():
            try:
                app_services.app_update_details(
                    app_id=app.pk, acting_user=request.user, **form.cleaned_data
                )
            except DomainError as error:
                status = show_refusal(form, error)
            else:
                messages.success(request, "The app's details were saved.")
                return redirect(_app_url(app))
        return self._render(app, details_form=form, status=status)

    def _render(
        self,
        app,
        *,
        one_time_secret=None,
        details_form=None,
        redirect_form=None,
        branding_form=None,
        status=200,
    ):
        return self.render(
            "console/app_detail.html",
            {
                "app": app,
                "one_time_secret": one_time_secret,
                "details_form": details_form
                or AppDetailsForm(
                    initial={
                        "name": app.name,
                        "description": app.description,
                        "category": app.category,
                        "homepage_url": app.homepage_url,
                        "privacy_policy_url": app.privacy_policy_url,
                    }
                ),
                "redirect_form": redirect_form
                or RedirectUrisForm(initial={"redirect_uris": app.redirect_uris.split()}),
                "redirect_uris": app.redirect_uris.split(),
                "branding_form": branding_form
                or AppBrandingForm(initial={"publisher_url": app.publisher_url}),
                "webhook_endpoint": webhook_selectors.endpoint_for_user(
                    user=self.request.user, app_id=app.pk
                ),
                "requested_scopes": selectors.requested_scopes_for_app(app=app),
                "access_requests": selectors.access_requests_for_app(app=app),
                "activity": [
                    activity_entry(event)
                    for event in selectors.app_activity_for_user(
                        user=self.request.user, app_id=app.pk
                    )
                ],
                "client_auth_failures": selectors.client_auth_failures_for_user(
                    user=self.request.user, app_id=app.pk
                ),
                "recent_denial_days": gate_selectors.RECENT_DENIAL_DAYS,
                "recent_denials": [
                    (row, reason_text(row.reason))
                    for row in gate_selectors.recent_denials_for_user(
                        user=self.request.user, app_id=app.pk
                    )
                ],
            },
            status=status,
        )


@method_decorator(reauthentication_required, name="post")
class AppRedirectUrisView(AppDetailView):
    """Changing where codes are sent is sensitive: it asks for the password again."""

    def get(self, request, app_id: int):
        app = found_or_404(selectors.app_get_for_user(user=request.user, app_id=app_id), PartnerApp)
        return redirect(_app_url(app))

    def post(self, request, app_id: int):
        app = found_or_404(selectors.app_get_for_user(user=request.user, app_id=app_id), PartnerApp)
        form = RedirectUrisForm(request.POST)
        status = 400
        if form.is_valid():
            try:
                app_services.app_set_redirect_uris(
                    app_id=app.pk,
                    redirect_uris=form.cleaned_data["redirect_uris"],
                    acting_user=request.user,
                )
            except DomainError as error:
                status = show_refusal(form, error)
            else:
                messages.success(request, "Redirect URIs saved.")
                return redirect(_app_url(app))
        return self._render(app, redirect_form=form, status=status)


class AppBrandingView(AppDetailView):
    """Upload or remove the app's icon and set its publisher website."""

    def get(self, request, app_id: int):
        app = found_or_404(selectors.app_get_for_user(user=request.user, app_id=app_id), PartnerApp)
        return redirect(_app_url(app))

    def post(self, request, app_id: int):
        app = found_or_404(selectors.app_get_for_user(user=request.user, app_id=app_id), PartnerApp)
        form = AppBrandingForm(request.POST, request.FILES)
        status = 400
        if form.is_valid():
            try:
                app_services.app_update_branding(
                    app_id=app.pk, acting_user=request.user, **form.cleaned_data
                )
            except DomainError as error:
                status = show_refusal(form, error)
            else:
                messages.success(request, "The app's icon and publisher website were saved.")
                return redirect(_app_url(app))
        return self._render(app, branding_form=form, status=status)


class _AppActionView(PartnerMixin, ObjectActionView):
    """A button on the app page: it changes the app and comes back to its page."""

    def get_object(self) -> PartnerApp:
        return found_or_404(
            selectors.app_get_for_user(user=self.request.user, app_id=self.kwargs["app_id"]),
            PartnerApp,
        )

    def redirect_url(self, app: PartnerApp) -> str:
        return _app_url(app)


@method_decorator(
    second_factor_for_secrets(return_to="partner:app-detail"), name="post"
)  # before the password: an owner's TOTP code counts as reauthentication too
@method_decorator(reauthentication_required, name="post")
class AppRotateSecretView(_AppActionView):
    """A new client secret, shown once; the old one stops working at once."""

    @method_decorator(sensitive_variables("raw_secret"))
    def perform(self, app: PartnerApp) -> str:
        app, raw_secret = app_services.app_rotate_secret(
            app_id=app.pk, acting_user=self.request.user, assurance=session_assurance(self.request)
        )
        stash_one_time_secret(self.request, app, raw_secret, kind=OneTimeSecret.CLIENT)
        return "A new client secret was generated; the old one no longer works."


class AppPublishView(_AppActionView):
    def perform(self, app: PartnerApp) -> str:
        app_services.app_publish(app_id=app.pk, acting_user=self.request.user)
        return f"{app.name} is live: sellers can now authorize it."
