"""The ownership check of one app's lists, in a shape the planner keeps out of the list's way."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import Exists

from apps_registry.models import PartnerApp


def is_member_of_app(*, user: AbstractBaseUser, app_id: int) -> Exists:
    """Whether `user` belongs to the organisation of app `app_id`, as a filter for that app's
    rows (`rows.filter(is_member_of_app(...), app_id=app_id)`).

    It refers to no column of the rows, so PostgreSQL evaluates it once per query (a one-time
    filter) and the list stays one ordered range of its (app, …) index, read only as far as the
    page's LIMIT. Joined instead (`app__partner__memberships__user_id=…`), the planner put the
    one membership row first and then read and sorted every row of a big app: 100,000 webhook
    deliveries sorted for a page of 20."""
    return Exists(PartnerApp.objects.filter(pk=app_id, partner__memberships__user_id=user.pk))
