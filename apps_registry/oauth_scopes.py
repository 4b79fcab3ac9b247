"""DOT's scopes backend (SCOPES_BACKEND_CLASS), fed by the scope catalog.

DOT's default backend offers every scope in settings to every app (docs/security.md §0.2). Here an
app may ask for a scope only while it is available to it (Public, or Custom with a live approval)
*and* chosen on its Manage API page; with no `scope` parameter it gets those chosen scopes.
"""

from __future__ import annotations

from oauth2_provider.scopes import BaseScopes

from apps_registry.selectors.availability import requestable_scope_keys
from scopes.models import Scope


class CatalogScopes(BaseScopes):
    def get_all_scopes(self) -> dict[str, str]:
        """Every active catalog scope with its seller-facing text (DOT shows these on consent)."""
        return dict(Scope.objects.filter(is_active=True).values_list("key", "consent_text"))

    def get_available_scopes(self, application=None, request=None, *args, **kwargs) -> list[str]:
        # Without an app (the RFC 8414 metadata document), advertise Public scopes only so that
        # no partner's Custom scopes leak (docs/security.md F3).
        if application is None:
            return sorted(
                Scope.objects.filter(is_active=True, kind=Scope.Kind.PUBLIC).values_list(
                    "key", flat=True
                )
            )
        return sorted(requestable_scope_keys(app=application))

    def get_default_scopes(self, application=None, request=None, *args, **kwargs) -> list[str]:
        if application is None:
            return []
        return sorted(requestable_scope_keys(app=application))
