"""The catalog in the admin: endpoints, the catalog's history and the weakening changes waiting for
a second catalog manager, and the pieces of the scope page.

The Scope admin itself is registered by apps_registry (`apps_registry/admin/catalog.py`): making a
Public scope Custom grants apps already using it a grace approval, which scopes cannot do. Every
save goes through a service, so the second manager, the history and the matcher's version bump
cannot be walked around. Which scopes and endpoints exist, and which endpoints each scope
unlocks, is the catalog file's (`load_scope_catalog`): those pages are read-only for everyone.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages

from append_only.admin import ReadOnlyAdmin, ReadOnlyInline
from scopes.errors import CatalogError
from scopes.models import CatalogEvent, Endpoint, Scope, ScopeChange
from scopes.services.scope_edits import (
    is_catalog_manager,
    scope_change_cancel,
    scope_change_confirm,
)


class ScopeAdminForm(forms.ModelForm):
    # Set by the Scope admin when the service refused the save, to show the form again with it.
    refusal: str | None = None

    class Meta:
        model = Scope
        fields = [
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

    def clean(self):
        cleaned_data = super().clean()
        if self.refusal:
            raise forms.ValidationError(self.refusal)
        return cleaned_data


class EndpointLinkInline(ReadOnlyInline):
    model = Endpoint.scopes.through
    fields = ["endpoint"]
    show_change_link = False
    verbose_name = "endpoint"
    verbose_name_plural = "endpoints this scope unlocks"
    rows_select_related = ("endpoint",)


def _is_catalog_manager(request) -> bool:
    return is_catalog_manager(request.user)


def shown(value) -> str:
    """A field's value as a person reads it: "on"/"off" for flags, "—" for none."""
    if isinstance(value, bool):
        return "on" if value else "off"
    return "—" if value is None else str(value)


class ValueColumns:
    """The old and new value of a change or event, readable."""

    @admin.display(description="before")
    def before(self, row) -> str:
        return shown(row.old_value)

    @admin.display(description="after")
    def after(self, row) -> str:
        return shown(row.new_value)


class ChangeColumns(ValueColumns):
    """A pending or decided change: its values and who proposed it."""

    @admin.display(description="proposed by")
    def proposer(self, change: ScopeChange) -> str:
        return change.proposed_by.email if change.proposed_by else "the catalog file"


class PendingScopeChangeInline(ChangeColumns, ReadOnlyInline):
    model = ScopeChange
    fields = ["field", "before", "after", "proposer", "proposed_at"]
    readonly_fields = fields
    verbose_name_plural = "changes waiting for a second catalog manager"
    rows_select_related = ("proposed_by",)

    def get_queryset(self, request):
        return super().get_queryset(request).filter(status=ScopeChange.Status.PENDING)


class CatalogEventInline(ValueColumns, ReadOnlyInline):
    model = CatalogEvent
    show_change_link = False
    fields = ["created_at", "action", "field", "before", "after", "actor_label"]
    readonly_fields = fields
    verbose_name_plural = "history"
    rows_select_related = ("actor",)

    @admin.display(description="by")
    def actor_label(self, event: CatalogEvent) -> str:
        return actor_label(event)


def actor_label(event: CatalogEvent) -> str:
    return event.actor.email if event.actor else "the catalog file"


@admin.register(ScopeChange)
class ScopeChangeAdmin(ChangeColumns, ReadOnlyAdmin):
    """Weakening changes waiting for a second catalog manager (any one, when the catalog file
    proposed them), and the decided ones. apps_registry registers a subclass whose confirmation
    also tells the apps using the scope."""

    list_display = [
        "proposed_at",
        "scope",
        "field",
        "before",
        "after",
        "status",
        "proposer",
        "decided_by",
    ]
    list_select_related = ["scope", "proposed_by", "decided_by"]
    list_filter = ["status", "field"]
    search_fields = ["scope__key"]
    actions = ["confirm_changes", "cancel_changes"]

    def has_manage_catalog_permission(self, request) -> bool:
        return _is_catalog_manager(request)

    @admin.action(description="Confirm the selected changes", permissions=["manage_catalog"])
    def confirm_changes(self, request, queryset):
        self._decide_each(request, queryset, scope_change_confirm, done="Confirmed")

    @admin.action(description="Cancel the selected changes", permissions=["manage_catalog"])
    def cancel_changes(self, request, queryset):
        self._decide_each(request, queryset, scope_change_cancel, done="Cancelled")

    def _decide_each(self, request, queryset, decide, *, done: str) -> None:
        for change in queryset.select_related("scope").order_by("pk"):
            try:
                decide(change_id=change.pk, actor=request.user)
            except CatalogError as error:
                self.message_user(request, f"{change}: {error}", messages.ERROR)
            else:
                self.message_user(
                    request, f"{done}: {change.field} of {change.scope.key}.", messages.SUCCESS
                )


@admin.register(CatalogEvent)
class CatalogEventAdmin(ValueColumns, ReadOnlyAdmin):
    """The catalog's append-only history: nothing here can be added, changed or deleted."""

    list_display = ["created_at", "scope", "action", "field", "before", "after", "by"]
    list_select_related = ["scope", "actor"]
    list_filter = ["action", "field"]
    search_fields = ["scope__key", "actor__email"]
    date_hierarchy = "created_at"

    @admin.display(description="by")
    def by(self, event: CatalogEvent) -> str:
        return actor_label(event)


@admin.register(Endpoint)
class EndpointAdmin(ReadOnlyAdmin):
    """Endpoints and their scopes come from the catalog file alone, which records each link it
    changes in the scope's history."""

    list_display = ["method", "path", "title", "module", "needs_shop", "scope_keys"]
    list_filter = ["method", "module", "needs_shop"]
    search_fields = ["path", "title"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("scopes")

    @admin.display(description="scopes")
    def scope_keys(self, endpoint: Endpoint) -> str:
        return ", ".join(scope.key for scope in endpoint.scopes.all()) or "— (no scope: denied)"
