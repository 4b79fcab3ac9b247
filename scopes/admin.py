"""Reviewers' workspace for the catalog: edit scope texts and types, and the endpoints' links.

Every save goes through a service, so the key guard and the matcher's version bump cannot be
walked around. Scopes are never deleted here: apps and seller consents point at them, and an
inactive scope already disappears from the catalog.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.db.models import Count

from scopes.models import Endpoint, Scope
from scopes.selectors import scope_is_in_use
from scopes.services import (
    ScopeKeyInUseError,
    catalog_changed,
    scope_key_change_check,
    scope_update,
)


class ScopeAdminForm(forms.ModelForm):
    class Meta:
        model = Scope
        fields = [
            "key",
            "name",
            "group",
            "position",
            "is_active",
            "kind",
            "token_type",
            "requires_dual_approval",
            "description",
            "consent_text",
        ]

    def clean_key(self):
        key = self.cleaned_data["key"]
        try:
            scope_key_change_check(scope=self.instance, new_key=key)
        except ScopeKeyInUseError as error:
            raise forms.ValidationError(str(error)) from error
        return key


class EndpointLinkInline(admin.TabularInline):
    model = Endpoint.scopes.through
    extra = 0
    autocomplete_fields = ["endpoint"]
    verbose_name = "endpoint"
    verbose_name_plural = "endpoints this scope unlocks"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("endpoint")


@admin.register(Scope)
class ScopeAdmin(admin.ModelAdmin):
    form = ScopeAdminForm
    inlines = [EndpointLinkInline]
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
    fieldsets = [
        (None, {"fields": ["key", "name", "group", "position", "is_active"]}),
        ("Access", {"fields": ["kind", "token_type", "requires_dual_approval"]}),
        ("Texts", {"fields": ["description", "consent_text"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(endpoint_total=Count("endpoints"))

    @admin.display(description="endpoints", ordering="endpoint_total")
    def endpoint_count(self, scope: Scope) -> int:
        return scope.endpoint_total

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None and scope_is_in_use(scope=obj):
            readonly.append("key")
        return readonly

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if not change:
            super().save_model(request, obj, form, change)
            return
        changes = {name: form.cleaned_data[name] for name in form.changed_data}
        scope_update(scope_id=obj.pk, changes=changes)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        catalog_changed()


@admin.register(Endpoint)
class EndpointAdmin(admin.ModelAdmin):
    list_display = ["method", "path", "title", "module", "needs_shop", "scope_keys"]
    list_filter = ["method", "module", "needs_shop"]
    search_fields = ["path", "title"]
    autocomplete_fields = ["scopes"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("scopes")

    @admin.display(description="scopes")
    def scope_keys(self, endpoint: Endpoint) -> str:
        return ", ".join(scope.key for scope in endpoint.scopes.all()) or "— (no scope: denied)"

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        catalog_changed()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        catalog_changed()

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        catalog_changed()
