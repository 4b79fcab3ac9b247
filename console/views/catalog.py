"""The public scope catalog: active scopes by group, searchable; one scope and its endpoints."""

from __future__ import annotations

import hashlib
import json

from django import forms
from django.contrib import messages
from django.core.cache import cache
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.views.generic import TemplateView

from scopes.catalog_version import catalog_version
from scopes.models import Scope
from scopes.selectors import (
    SCOPE_SEARCH_MAX_LENGTH,
    cached_scope_groups,
    scope_catalog,
    scope_get_active,
    scopes_by_group,
)

# How long a rendered catalog stays in the shared cache. Its key holds the catalog version, so a
# catalog edit is never served stale; the timeout only lets the renderings of older versions go.
SCOPE_LIST_CACHE_SECONDS = 60 * 60


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


def scope_list_content(
    form: CatalogFilterForm, filters: dict[str, str], *, version: str
) -> SafeString:
    """What /scopes/ shows under the site header for this filter form: the introduction, the form
    and the scopes matching its (valid) filters.

    Visitors of the same filters see the same thing, so it is rendered once per catalog version,
    language and filters, and kept in the shared cache; the page around it (the visitor's
    navigation and messages) is rendered per request. Only a bounded set of variants is kept:
    search text is anyone's free input, and keeping each would let anyone fill the shared cache,
    so a search, like a filter that was refused, is rendered afresh.

    `version` is the catalog version read before any catalog row: content rendered while a write
    commits is stored under the version that write replaces, never under the new one."""
    if form.errors or form.data.get("q"):
        return _render_scope_list_content(form, filters)
    variant = json.dumps(
        [get_language(), form.is_bound, filters.get("group", ""), filters.get("kind", "")]
    )
    variant_digest = hashlib.sha256(variant.encode()).hexdigest()
    key = f"catalog:scope-list:{version}:{variant_digest}"
    content = cache.get(key)
    if content is None:
        content = _render_scope_list_content(form, filters)
        cache.set(key, content, timeout=SCOPE_LIST_CACHE_SECONDS)
    return mark_safe(content)  # noqa: S308 - rendered from our own autoescaped template


def _render_scope_list_content(form: CatalogFilterForm, filters: dict[str, str]) -> SafeString:
    scopes = scope_catalog(
        text=filters.get("q", ""),
        group=filters.get("group", ""),
        kind=filters.get("kind", ""),
    )
    # Without the request: no context processor can put the visitor's data into shared content.
    return render_to_string(
        "catalog/_scope_list_content.html",
        {
            "form": form,
            "filters": filters,
            "is_filtered": any(filters.values()),
            "scopes": scopes,
            "scope_groups": scopes_by_group(scopes),
        },
    )


class ScopeListView(TemplateView):
    template_name = "catalog/scope_list.html"

    def get_context_data(self, **kwargs):
        version = catalog_version()
        groups = cached_scope_groups(version=version)
        form = CatalogFilterForm(self.request.GET or None, groups=list(groups))
        filters, problems = form.usable_filters() if form.is_bound else ({}, [])
        for problem in problems:
            messages.warning(self.request, problem)
        content = scope_list_content(form, filters, version=version)
        return super().get_context_data(content=content, **kwargs)


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
