"""Manage API: every catalog scope with its status for one app, and the choice of which scopes
the app asks sellers for (required or optional)."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.forms import BoundField
from django.shortcuts import redirect
from django.urls import reverse
from django.views import View

from apps_registry.models import PartnerApp
from apps_registry.selectors import partners as selectors
from apps_registry.selectors.availability import available_scope_keys
from apps_registry.selectors.partners import ScopeGroup, ScopeStatus
from apps_registry.services import apps as app_services
from console.forms import RequestedScopesForm
from console.not_found import found_or_404
from console.views.partner.base import PartnerMixin
from core.errors import DomainError
from core.forms import show_refusal
from scopes.selectors import SCOPE_SEARCH_MAX_LENGTH, scope_groups


class ManageApiView(PartnerMixin, View):
    """Every catalog scope with its status for the app; choose what the app asks sellers for."""

    def get(self, request, app_id: int):
        app = found_or_404(selectors.app_get_for_user(user=request.user, app_id=app_id), PartnerApp)
        return self._render(app, self._form(app))

    def post(self, request, app_id: int):
        app = found_or_404(selectors.app_get_for_user(user=request.user, app_id=app_id), PartnerApp)
        form = self._form(app, data=request.POST)
        status = 400
        if form.is_valid():
            try:
                app_services.app_set_requested_scopes(
                    app=app, selections=form.selections(), acting_user=request.user
                )
            except DomainError as error:
                status = show_refusal(form, error)
            else:
                messages.success(request, "The scopes your app asks sellers for were saved.")
                return redirect(reverse("partner:manage-api", args=[app.pk]))
        return self._render(app, form, status=status)

    def _form(self, app: PartnerApp, data=None) -> RequestedScopesForm:
        current = {
            row.scope.key: row.is_required for row in selectors.requested_scopes_for_app(app=app)
        }
        return RequestedScopesForm(
            data, scope_keys=sorted(available_scope_keys(app=app)), current=current
        )

    def _render(self, app, form, *, status: int = 200):
        query = self.request.GET.get("q", "")[:SCOPE_SEARCH_MAX_LENGTH]
        group = self.request.GET.get("group", "")[:60]
        status_filter = self.request.GET.get("status", "")[:30]
        is_filtered = bool(query.strip() or group or status_filter)
        sections = scope_sections(
            selectors.app_scope_catalog(app=app, query=query, group=group, status=status_filter),
            form,
            is_filtered=is_filtered,
        )
        return self.render(
            "console/manage_api.html",
            {
                "app": app,
                "form": form,
                "sections": sections,
                "query": query,
                "query_max_length": SCOPE_SEARCH_MAX_LENGTH,
                "group": group,
                "status_filter": status_filter,
                "is_filtered": is_filtered,
                "group_names": scope_groups(),
                "status_choices": MANAGE_API_STATUS_FILTERS,
                "row_count": sum(len(section.choices) for section in sections),
                "unsaved_count": sum(section.changed_count for section in sections),
                "requested_count": app.requested_scopes.count(),
            },
            status=status,
        )


@dataclass(frozen=True)
class ScopeChoice:
    """One listed scope: its status for the app and, when the app may ask for it, the choice."""

    row: ScopeStatus
    field: BoundField | None

    @property
    def chosen(self) -> str:
        """The choice shown: the one posted when a save was refused, else the saved one."""
        return (self.field.value() or "") if self.field is not None else ""

    @property
    def is_changed(self) -> bool:
        return self.field is not None and self.chosen != self.row.requirement


@dataclass(frozen=True)
class ScopeSection:
    """One catalog group as a section that opens and closes, counted over the whole group."""

    name: str
    choices: list[ScopeChoice]  # the group's scopes that match the search and filters
    scope_count: int
    # Saved choices among the group's scopes not listed: the page counts them but cannot show
    # them, and the script that keeps the count current cannot see them either.
    unlisted_selected_count: int
    # Open whatever it holds: it lists a search's results, or the app asks for no scope yet.
    always_open: bool

    @property
    def selected_count(self) -> int:
        return self.unlisted_selected_count + sum(1 for choice in self.choices if choice.chosen)

    @property
    def changed_count(self) -> int:
        return sum(1 for choice in self.choices if choice.is_changed)

    @property
    def is_open(self) -> bool:
        return self.always_open or bool(self.selected_count or self.changed_count)


def scope_sections(
    groups: list[ScopeGroup], form: RequestedScopesForm, *, is_filtered: bool
) -> list[ScopeSection]:
    """The page's sections: groups with a scope to list, each open when it holds a chosen scope
    or an unsaved change, when it holds a search's results, or when the app asks sellers for
    nothing yet (a first choice is made browsing the whole catalog)."""
    asks_for_nothing = not any(row.requested for group in groups for row in group.rows)
    sections = []
    for group in groups:
        choices = [
            ScopeChoice(row=row, field=_choice_field(form, row.scope.key))
            for row in group.rows
            if row.matches
        ]
        if not choices:
            continue
        unlisted_selected_count = sum(
            1
            for row in group.rows
            if not row.matches
            and row.requirement
            and _choice_field(form, row.scope.key) is not None
        )
        sections.append(
            ScopeSection(
                name=group.name,
                choices=choices,
                scope_count=len(group.rows),
                unlisted_selected_count=unlisted_selected_count,
                always_open=is_filtered or asks_for_nothing,
            )
        )
    return sections


def _choice_field(form: RequestedScopesForm, scope_key: str) -> BoundField | None:
    """The form's field for the scope, or None when the app may not ask for it."""
    name = RequestedScopesForm.FIELD_PREFIX + scope_key
    return form[name] if name in form.fields else None


MANAGE_API_STATUS_FILTERS = (
    ("available", "Available (Public)"),
    ("approved", "Approved"),
    ("not_applied", "Not applied"),
    ("submitted", "Submitted"),
    ("in_review", "In review"),
    ("changes_requested", "Changes requested"),
    ("rejected", "Rejected"),
)
