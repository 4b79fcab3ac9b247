"""Catalog edits that reach into the apps registry. Scopes cannot import apps_registry, so catalog
changes are orchestrated here: the scope changes through scopes' own service, then apps already
using it get their grace approvals when it became Custom, and every app using a changed scope is
told (scope.changed), in the same transaction."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from apps_registry.models import AccessRequest, AppScope, ShopAuthorization, WebhookTopic
from apps_registry.services.access_request_jobs import access_requests_grant_grace
from apps_registry.webhooks import events as webhook_events
from apps_registry.webhooks.outbox import record_event
from scopes.models import Scope, ScopeChange
from scopes.services.catalog_loading import CatalogLoadReport, catalog_load
from scopes.services.scope_edits import ScopeEditResult, scope_change_confirm, scope_edit

# Fields that only order the catalog's pages: a change tells apps nothing.
PRESENTATION_FIELDS = {"position"}


@transaction.atomic
def catalog_scope_edit(
    *, scope_id: int, changes: dict[str, Any], actor: AbstractBaseUser
) -> ScopeEditResult:
    """A catalog manager's edit of a scope (see scopes.services.scope_edits.scope_edit); when it
    tightens the scope from Public to Custom, apps already using it keep it for a grace period.
    Apps using the scope are told what changed at once (not what waits for a second manager)."""
    result = scope_edit(scope_id=scope_id, changes=changes, actor=actor)
    if result.tightened:
        access_requests_grant_grace(scope=result.scope, tightened_by=actor)
    tell_apps_of_scope_change(result.scope, changed_fields=result.applied, now=timezone.now())
    return result


@transaction.atomic
def catalog_scope_change_confirm(*, change_id: int, actor: AbstractBaseUser) -> ScopeChange:
    """A second catalog manager confirms a pending change (see
    scopes.services.scope_edits.scope_change_confirm); apps using the scope are told."""
    change = scope_change_confirm(change_id=change_id, actor=actor)
    tell_apps_of_scope_change(change.scope, changed_fields=[change.field], now=change.decided_at)
    return change


@transaction.atomic
def catalog_file_load(*, data: Any) -> CatalogLoadReport:
    """Load the catalog file (see scopes.services.catalog_loading.catalog_load) and tell the apps
    using each existing scope it changed, deactivated or gave other endpoints."""
    # The loader's own lock, taken first so no other load moves endpoints between the two reads.
    existing_keys = list(Scope.objects.select_for_update().values_list("key", flat=True))
    endpoints_before = _endpoints_by_scope()
    report = catalog_load(data=data)
    endpoints_after = _endpoints_by_scope()
    changed = {key: set(fields) for key, fields in report.scopes_updated.items()}
    for key in report.scopes_deactivated:
        changed.setdefault(key, set()).add("is_active")
    for key in existing_keys:
        if endpoints_before.get(key) != endpoints_after.get(key):
            changed.setdefault(key, set()).add("endpoints")
    now = timezone.now()
    for scope in Scope.objects.filter(key__in=changed).order_by("key"):
        tell_apps_of_scope_change(scope, changed_fields=changed[scope.key], now=now)
    return report


def _endpoints_by_scope() -> dict[str, set[tuple[str, str]]]:
    """Scope key → the (method, path) of every endpoint it unlocks."""
    endpoints: dict[str, set[tuple[str, str]]] = {}
    for key, method, path in Scope.endpoints.through.objects.values_list(
        "scope__key", "endpoint__method", "endpoint__path"
    ):
        endpoints.setdefault(key, set()).add((method, path))
    return endpoints


def tell_apps_of_scope_change(
    scope: Scope, *, changed_fields: Iterable[str], now: datetime
) -> None:
    """One scope.changed event for each app using `scope` (chosen on its Manage API page, held in
    a live seller authorization, or approved), in the caller's transaction."""
    changed_fields = set(changed_fields) - PRESENTATION_FIELDS
    if not changed_fields:
        return
    change = _kind_of_change(scope, changed_fields)
    approvals = {
        access_request.app_id: access_request
        for access_request in AccessRequest.objects.filter(
            scope=scope, status=AccessRequest.Status.APPROVED
        )
    }
    for app_id in sorted(_apps_using(scope, now=now) | set(approvals)):
        record_event(
            app_id=app_id,
            event_type=WebhookTopic.SCOPE_CHANGED,
            data=webhook_events.scope_changed(
                scope_key=scope.key,
                change=change,
                changed_fields=changed_fields,
                changed_at=now,
                approval=approvals.get(app_id),
            ),
            now=now,
        )


def _kind_of_change(scope: Scope, changed_fields: set[str]) -> webhook_events.ScopeChange:
    if "is_active" in changed_fields:
        return "reactivated" if scope.is_active else "deactivated"
    if "kind" in changed_fields:
        return "became_custom" if scope.kind == Scope.Kind.CUSTOM else "became_public"
    return "updated"


def _apps_using(scope: Scope, *, now: datetime) -> set[int]:
    return set(AppScope.objects.filter(scope=scope).values_list("app_id", flat=True)) | set(
        ShopAuthorization.objects.filter(
            scopes=scope, revoked_at__isnull=True, expires_at__gt=now
        ).values_list("app_id", flat=True)
    )
