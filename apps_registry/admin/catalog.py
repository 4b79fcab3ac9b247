"""The Scope admin, registered here rather than in scopes: a catalog manager's edit that makes a
Public scope Custom grants apps already using it a grace approval (services/catalog.py), and only
apps_registry may reach both. Reviewers see the page read-only; catalog managers edit it.
Scopes are neither added nor deleted here: the catalog file creates them (a scope added here
would be deactivated by the next load, as it is missing from the file), and apps and seller
consents point at them, while an inactive scope already disappears from the catalog. The key
is the scope's identity in the file, so it is read-only too."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.db.models import Count
from django.http import HttpResponseRedirect

from apps_registry.services.catalog import catalog_scope_change_confirm, catalog_scope_edit
from scopes import admin as scopes_admin
from scopes.admin import (
    CatalogEventInline,
    EndpointLinkInline,
    PendingScopeChangeInline,
    ScopeAdminForm,
)
from scopes.errors import CatalogError
from scopes.models import Scope, ScopeChange
from scopes.services.scope_edits import is_catalog_manager


@admin.register(Scope)
class ScopeAdmin(admin.ModelAdmin):
    form = ScopeAdminForm
    inlines = [EndpointLinkInline, PendingScopeChangeInline, CatalogEventInline]
    list_display = [
        "key",
        "name",
        "group",
        "kind",
        "token_type",
        "requires_dual_approval",
        "is_active",
        "endpoint_count",
    ]
    list_filter = ["group", "kind", "token_type", "is_active", "requires_dual_approval"]
    search_fields = ["key", "name", "group"]
    ordering = ["position", "key"]
    readonly_fields = ["key"]
    fieldsets = [
        (None, {"fields": ["key", "name", "group", "position", "is_active"]}),
        (
            "Access",
            {
                "fields": ["kind", "token_type", "requires_dual_approval"],
                "description": "Making a Custom scope Public, turning dual approval off or "
                "changing what sellers read on the consent page (group, name, consent text) "
                "waits for a second catalog manager to confirm it.",
            },
        ),
        ("Texts", {"fields": ["description", "consent_text"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(endpoint_total=Count("endpoints"))

    @admin.display(description="endpoints", ordering="endpoint_total")
    def endpoint_count(self, scope: Scope) -> int:
        return scope.endpoint_total

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return is_catalog_manager(request.user)

    def has_delete_permission(self, request, obj=None):
        return False

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        # A refusal (a change already pending, a lost permission) rolls the whole save back.
        # The form is then shown again as typed, with the service's message as its error: the
        # second pass fails validation with it (get_form), so it saves nothing. The page answers
        # with the refusal's status, as every other refused page does (ADR 0013).
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except CatalogError as error:
            request.catalog_refusal = str(error)
            response = super().changeform_view(request, object_id, form_url, extra_context)
            response.status_code = error.status
            return response

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        refusal = getattr(request, "catalog_refusal", None)
        if refusal is None:
            return form
        return type(form.__name__, (form,), {"refusal": refusal})

    def save_model(self, request, obj, form, change):
        changes = {name: form.cleaned_data[name] for name in form.changed_data}
        result = catalog_scope_edit(scope_id=obj.pk, changes=changes, actor=request.user)
        # The form put every posted value on `obj`, proposals too: the admin's history and
        # messages name the scope as it now is.
        obj.refresh_from_db()
        # Read back by construct_change_message and response_change, which get the same object.
        obj.edit_result = result

    def construct_change_message(self, request, form, formsets, add=False):
        """The history line says what was applied and what waits, not every field posted."""
        result = form.instance.edit_result
        parts = []
        if result.applied:
            parts.append(f"Changed {_field_labels(result.applied)}.")
        if result.proposed:
            proposed = _field_labels([change.field for change in result.proposed])
            parts.append(f"Proposed {proposed}, awaiting a second catalog manager.")
        return " ".join(parts) or "No fields changed."

    def response_change(self, request, obj):
        result = obj.edit_result
        if result.applied:
            self.message_user(
                request, f"Changed {_field_labels(result.applied)} of {obj}.", messages.SUCCESS
            )
        if result.proposed:
            proposed = _field_labels([change.field for change in result.proposed])
            self.message_user(
                request,
                f"Not changed yet: {proposed} of {obj} waits for a second catalog manager to "
                "confirm it (Scope catalog › Scope changes).",
                messages.WARNING,
            )
        if not result.applied and not result.proposed:
            self.message_user(request, f"No fields of {obj} changed.", messages.INFO)
        if result.tightened:
            self.message_user(
                request,
                "Apps already using this scope keep it for a grace period; their owners were "
                "told by email.",
                messages.INFO,
            )
        # Django's own response would add "…was changed successfully", true only of `applied`.
        if "_continue" in request.POST:
            preserved = {
                "preserved_filters": self.get_preserved_filters(request),
                "opts": self.opts,
            }
            return HttpResponseRedirect(add_preserved_filters(preserved, request.path))
        return self.response_post_save_change(request, obj)


def _field_labels(names: list[str]) -> str:
    return ", ".join(str(Scope._meta.get_field(name).verbose_name) for name in names)


# Re-registered here for the same reason as the Scope admin: a confirmed change tells the apps
# using the scope (scope.changed), which only apps_registry can.
admin.site.unregister(ScopeChange)


@admin.register(ScopeChange)
class ScopeChangeAdmin(scopes_admin.ScopeChangeAdmin):
    @admin.action(description="Confirm the selected changes", permissions=["manage_catalog"])
    def confirm_changes(self, request, queryset):
        self._decide_each(request, queryset, catalog_scope_change_confirm, done="Confirmed")
