"""The 404 for an object a selector did not find (selectors return None; pages and the API
decide that None is a 404)."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import Model
from django.http import Http404

from apps_registry.models import PartnerApp
from apps_registry.selectors import partners as selectors


def found_or_404[T](found: T | None, model: type[Model]) -> T:
    """`found`, else a 404 that names the kind of object in the reader's words ("No such
    access request."), not the model class `get_object_or_404` would name."""
    if found is None:
        raise Http404(f"No such {model._meta.verbose_name}.")
    return found


def member_app_or_404(*, user: AbstractBaseUser, app_id: int) -> PartnerApp:
    """The user's organisation's app, else a 404: another organisation's app is not told apart
    from one that does not exist."""
    return found_or_404(selectors.app_get_for_user(user=user, app_id=app_id), PartnerApp)
