"""The 404 for an object a selector did not find (selectors return None; pages and the API
decide that None is a 404)."""

from __future__ import annotations

from django.db.models import Model
from django.http import Http404


def found_or_404[T](found: T | None, model: type[Model]) -> T:
    """`found`, else the same 404 (and message) `get_object_or_404` gives for `model`."""
    if found is None:
        raise Http404(f"No {model._meta.object_name} matches the given query.")
    return found
