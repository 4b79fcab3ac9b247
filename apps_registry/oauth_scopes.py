"""DOT's scopes backend (SCOPES_BACKEND_CLASS), fed by the scope catalog.

DOT's default backend offers every scope in settings to every app (docs/security.md §0.2). Here an
app may ask for a scope only while it is available to it (Public, or Custom with a live approval)
*and* chosen on its Manage API page; with no `scope` parameter it gets those chosen scopes.

DOT asks for every scope's text once per bearer-token request (`AccessToken.scopes`), so the active
scopes are read once per process and catalog version, not per call (ADR 0004).
"""

from __future__ import annotations

from dataclasses import dataclass

from oauth2_provider.scopes import BaseScopes

from apps_registry.selectors.availability import requestable_scope_keys
from scopes.catalog_version import CatalogVersionedValue
from scopes.models import Scope


@dataclass(frozen=True)
class _ActiveScopes:
    consent_texts: tuple[tuple[str, str], ...]  # (key, consent text), in catalog order
    public_keys: tuple[str, ...]  # sorted


def _active_scopes_from_db() -> _ActiveScopes:
    rows = list(Scope.objects.filter(is_active=True).values_list("key", "consent_text", "kind"))
    return _ActiveScopes(
        consent_texts=tuple((key, text) for key, text, _ in rows),
        public_keys=tuple(sorted(key for key, _, kind in rows if kind == Scope.Kind.PUBLIC)),
    )


_active_scopes = CatalogVersionedValue(_active_scopes_from_db)


class CatalogScopes(BaseScopes):
    def get_all_scopes(self) -> dict[str, str]:
        """Every active catalog scope with its seller-facing text (DOT shows these on consent)."""
        return dict(_active_scopes.get().consent_texts)

    def get_available_scopes(self, application=None, request=None, *args, **kwargs) -> list[str]:
        # Without an app (the RFC 8414 metadata document), advertise Public scopes only so that
        # no partner's Custom scopes leak (docs/security.md F3).
        if application is None:
            return list(_active_scopes.get().public_keys)
        return sorted(requestable_scope_keys(app=application))

    def get_default_scopes(self, application=None, request=None, *args, **kwargs) -> list[str]:
        if application is None:
            return []
        return sorted(requestable_scope_keys(app=application))
