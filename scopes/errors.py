"""Refusals of catalog changes. Scopes cannot import apps_registry's domain errors, so the catalog
has its own; callers show the message, which is safe and says what to do."""


class CatalogError(Exception):
    """A catalog change was refused; the message says what to fix and is safe to show."""


class CatalogPermissionError(CatalogError):
    """The actor may not make this catalog change (not a catalog manager, or their own proposal)."""


class CatalogStateError(CatalogError):
    """The change is no longer pending, or the scope moved on since it was proposed."""
