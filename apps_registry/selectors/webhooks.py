"""Reads of an app's webhook for its organisation's members: the endpoint and the delivery log.

Owner-scoped like selectors/partners.py: another organisation's app yields nothing.
"""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import Prefetch, QuerySet

from apps_registry.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from apps_registry.selectors._membership import is_member_of_app


def endpoint_for_user(*, user: AbstractBaseUser, app_id: int) -> WebhookEndpoint | None:
    """The app's endpoint, if the app is the user's organisation's and has one."""
    if not user.is_authenticated:
        return None
    return WebhookEndpoint.objects.filter(
        is_member_of_app(user=user, app_id=app_id), app_id=app_id
    ).first()


def deliveries_for_user(
    *, user: AbstractBaseUser, app_id: int, status: str = "", event_type: str = ""
) -> QuerySet[WebhookDelivery]:
    """The app's delivery log, newest first, each with its attempts in order; `status` and
    `event_type` narrow it when given. None, in that order, for an anonymous user."""
    deliveries = WebhookDelivery.objects.filter(
        is_member_of_app(user=user, app_id=app_id), app_id=app_id
    )
    if status:
        deliveries = deliveries.filter(status=status)
    if event_type:
        deliveries = deliveries.filter(event_type=event_type)
    deliveries = deliveries.prefetch_related(
        Prefetch("attempts", queryset=WebhookAttempt.objects.order_by("number"))
    ).order_by("-created_at", "-id")
    return deliveries if user.is_authenticated else deliveries.none()
