"""The public scope catalog: active scopes by group, searchable; one scope and its endpoints."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.template.response import TemplateResponse
from django.views.generic import TemplateView

from scopes.models import Scope
from scopes.selectors import (
    SCOPE_SEARCH_MAX_LENGTH,
    scope_catalog,
    scope_get_active,
    scope_groups,
    scopes_by_group,
)


class CatalogFilterForm(forms.Form):
    q = forms.CharField(
        required=False,
        max_length=SCOPE_SEARCH_MAX_LENGTH,
        strip=True,
        label="Search scopes and APIs",
        help_text="A scope name or key, an API name, or an API path such as "
        "/product/202309/products/1729382256910270483",
        error_messages={"max_length": "it is longer than %(limit_value)d characters"},
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "placeholder": "e.g. inventory",
                "aria-describedby": "catalog-search-help",
            }
        ),
    )
    group = forms.ChoiceField(
        required=False,
        label="Group",
        error_messages={"invalid_choice": "“%(value)s” is not a group in the catalog"},
    )
    kind = forms.ChoiceField(
        required=False,
        label="Type",
        choices=[("", "Public and Custom"), *Scope.Kind.choices],
        error_messages={"invalid_choice": "“%(value)s” is not a type; use public or custom"},
    )

    def __init__(self, *args, groups: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["group"].choices = [("", "All groups"), *((g, g) for g in groups)]

    def usable_filters(self) -> tuple[dict[str, str], list[str]]:
        """The valid filter values, and a message for each invalid one (which is then ignored)."""
        self.is_valid()
        values, problems = {}, []
        for name, field in self.fields.items():
            if name in self.errors:
                label = "search" if name == "q" else f"{field.label.lower()} filter"
                problems.append(f"The {label} was ignored: {self.errors[name][0]}.")
            else:
                values[name] = self.cleaned_data.get(name) or ""
        return values, problems


class ScopeListView(TemplateView):
    template_name = "catalog/scope_list.html"

    def get_context_data(self, **kwargs):
        groups = scope_groups()
        form = CatalogFilterForm(self.request.GET or None, groups=groups)
        filters, problems = form.usable_filters() if form.is_bound else ({}, [])
        for problem in problems:
            messages.warning(self.request, problem)
        scopes = scope_catalog(
            text=filters.get("q", ""),
            group=filters.get("group", ""),
            kind=filters.get("kind", ""),
        )
        return super().get_context_data(
            form=form,
            filters=filters,
            is_filtered=any(filters.values()),
            scopes=scopes,
            scope_groups=scopes_by_group(scopes),
            **kwargs,
        )


class ScopeDetailView(TemplateView):
    template_name = "catalog/scope_detail.html"
    not_found_template_name = "catalog/scope_not_found.html"

    def get(self, request, *args, key: str, **kwargs):
        scope = scope_get_active(key=key)
        if scope is None:
            # A page of our own, not a bare 404: the key may be mistyped or the scope retired,
            # and the catalog search is the way on.
            return TemplateResponse(request, self.not_found_template_name, {"key": key}, status=404)
        context = self.get_context_data(scope=scope, endpoints=scope.endpoints.all(), **kwargs)
        return self.render_to_response(context)
