"""Partner apps (DOT's OAuth clients) with their scopes, applications and audit trail, read-only;
staff suspend and reinstate them."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import path, reverse

from append_only.admin import ReadOnlyAdmin, ReadOnlyInline
from apps_registry.admin.action_pages import ActionPageMixin
from apps_registry.admin.partners import AppAuditEventInline
from apps_registry.models import AccessRequest, AppScope, PartnerApp
from apps_registry.services import app_status
from core.admin_big_tables import BigTableAdminMixin


class AppScopeInline(ReadOnlyInline):
    model = AppScope
    fields = ("scope", "is_required", "created_at")
    readonly_fields = fields
    show_change_link = False
    rows_select_related = ("app", "scope")  # for each row's str


class AppAccessRequestInline(ReadOnlyInline):
    model = AccessRequest
    fields = ("scope", "status", "submitted_at", "approval_expires_at")
    readonly_fields = fields
    verbose_name_plural = "Custom-scope applications"
    rows_select_related = ("app", "scope")


class SuspendForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        label="Why is the app suspended?",
        error_messages={"required": "Write why the app is suspended."},
    )


# DOT registers its own admin for the (swapped) application model; ours replaces it.
if admin.site.is_registered(PartnerApp):
    admin.site.unregister(PartnerApp)


@admin.register(PartnerApp)
class PartnerAppAdmin(BigTableAdminMixin, ActionPageMixin, ReadOnlyAdmin):
    """Credentials are shown but never editable here; the client secret is never shown at all."""

    change_form_template = "admin/apps_registry/partnerapp/change_form.html"
    suspend_template = "admin/apps_registry/partnerapp/suspend.html"
    list_display = ("name", "partner", "status", "client_id", "created")
    list_select_related = ("partner",)
    list_filter = ("status", "category", "partner__is_verified")
    search_fields = ("name__istartswith", "client_id__exact", "partner__name__istartswith")
    search_help_text = "The start of the app's or its partner's name, or its client ID."
    ordering = ("name", "pk")
    inlines = (AppScopeInline, AppAccessRequestInline, AppAuditEventInline)
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "name",
                    "partner",
                    "status",
                    "description",
                    "category",
                    "homepage_url",
                    "privacy_policy_url",
                )
            },
        ),
        (
            "OAuth client",
            {
                "fields": (
                    "client_id",
                    "secret_hint",
                    "secret_rotated_at",
                    "client_type",
                    "authorization_grant_type",
                    "skip_authorization",
                    "redirect_uris",
                    "can_introspect",
                    "created",
                    "updated",
                )
            },
        ),
    )

    def has_suspend_permission(self, request):
        return request.user.has_perm("apps_registry.change_partnerapp")

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "can_suspend": self.has_suspend_permission(request),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        urls = [
            path(
                "<path:object_id>/suspend/",
                self.admin_site.admin_view(self.suspend_view),
                name=f"{info[0]}_{info[1]}_suspend",
            ),
            path(
                "<path:object_id>/unsuspend/",
                self.admin_site.admin_view(self.unsuspend_view),
                name=f"{info[0]}_{info[1]}_unsuspend",
            ),
        ]
        return urls + super().get_urls()

    def _get_app(self, request, object_id) -> PartnerApp:
        if not self.has_suspend_permission(request):
            raise PermissionDenied
        app = self.get_object(request, unquote(object_id))
        if app is None:
            raise Http404("No such app.")
        return app

    def _change_url(self, app: PartnerApp) -> str:
        return reverse("admin:apps_registry_partnerapp_change", args=[app.pk])

    def suspend_view(self, request, object_id):
        app = self._get_app(request, object_id)

        def suspend(form: SuspendForm) -> None:
            reason = form.cleaned_data["reason"]
            app_status.app_suspend(app_id=app.pk, acting_user=request.user, reason=reason)
            self.log_change(request, app, f"Suspended: {reason}")
            self.message_user(
                request, f"{app.name} is suspended and its tokens are revoked.", messages.SUCCESS
            )

        return self.action_page(
            request,
            form_class=SuspendForm,
            act=suspend,
            change_url=self._change_url(app),
            template=self.suspend_template,
            context=lambda: {"title": f"Suspend {app.name}", "app": app},
        )

    def unsuspend_view(self, request, object_id):
        app = self._get_app(request, object_id)

        def reinstate() -> str:
            app_status.app_unsuspend(app_id=app.pk, acting_user=request.user)
            self.log_change(request, app, "Reinstated (back to draft).")
            return f"{app.name} is reinstated as a draft; the partner publishes it again."

        return self.action_button(request, act=reinstate, change_url=self._change_url(app))
