"""Manage API: every catalog scope with its status for one app, and the choice of which scopes
the app asks sellers for (required or optional)."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.views import View

from apps_registry.models import PartnerApp
from apps_registry.selectors import partners as selectors
from apps_registry.selectors.availability import available_scope_keys
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
        groups = selectors.app_scope_statuses(
            app=app, query=query, group=group, status=status_filter
        )
        prefix = RequestedScopesForm.FIELD_PREFIX
        return self.render(
            "console/manage_api.html",
            {
                "app": app,
                "form": form,
                # Each row with its required/optional choice, when the scope is available.
                "groups": [
                    {
                        "name": scope_group.name,
                        "items": [
                            (row, form[prefix + row.scope.key])
                            if prefix + row.scope.key in form.fields
                            else (row, None)
                            for row in scope_group.rows
                        ],
                    }
                    for scope_group in groups
                ],
                "query": query,
                "group": group,
                "status_filter": status_filter,
                "group_names": scope_groups(),
                "status_choices": MANAGE_API_STATUS_FILTERS,
                "row_count": sum(len(scope_group.rows) for scope_group in groups),
                "requested_count": app.requested_scopes.count(),
            },
            status=status,
        )


MANAGE_API_STATUS_FILTERS = (
    ("available", "Available (Public)"),
    ("approved", "Approved"),
    ("not_applied", "Not applied"),
    ("submitted", "Submitted"),
    ("in_review", "In review"),
    ("changes_requested", "Changes requested"),
    ("rejected", "Rejected"),
)
