"""Which scopes an app may use at all: public ones, and Custom ones with a live approval."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q
from django.utils import timezone

from apps_registry.models import AccessRequest, AppScope, PartnerApp
from scopes.models import Scope


def available_scopes_condition(*, app: PartnerApp, now: datetime | None = None, via: str = "") -> Q:
    """The scopes available to the app, as a condition on Scope, or on a relation to it that
    `via` names ("scopes__"), so a query over another table can ask it in the same statement."""
    now = now or timezone.now()
    live_approvals = AccessRequest.objects.filter(
        app=app, status=AccessRequest.Status.APPROVED
    ).filter(Q(approval_expires_at__isnull=True) | Q(approval_expires_at__gt=now))
    return Q(**{f"{via}is_active": True}) & (
        Q(**{f"{via}kind": Scope.Kind.PUBLIC})
        | Q(
            **{
                f"{via}kind": Scope.Kind.CUSTOM,
                f"{via}pk__in": live_approvals.values("scope_id"),
            }
        )
    )


def available_scope_keys(*, app: PartnerApp, now: datetime | None = None) -> set[str]:
    """Active Public scopes, and active Custom scopes with a live (approved, unexpired) approval."""
    return set(
        Scope.objects.filter(available_scopes_condition(app=app, now=now)).values_list(
            "key", flat=True
        )
    )


def chosen_scope_keys(*, app: PartnerApp) -> set[str]:
    """The scopes the partner chose for its app on the Manage API page (AppScope rows)."""
    return set(AppScope.objects.filter(app=app).values_list("scope__key", flat=True))


def requestable_scope_keys(*, app: PartnerApp) -> set[str]:
    """What the app may ask sellers for right now: available to it and chosen by it."""
    return available_scope_keys(app=app) & chosen_scope_keys(app=app)
