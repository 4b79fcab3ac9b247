"""Catalog edits that reach into the apps registry. Scopes cannot import apps_registry, so the edit
that makes a Public scope Custom is orchestrated here: the scope changes through scopes' own
service, then apps already using it get their grace approvals, in the same transaction."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction

from apps_registry.services.access_request_jobs import access_requests_grant_grace
from scopes.services.scope_edits import ScopeEditResult, scope_edit


@transaction.atomic
def catalog_scope_edit(
    *, scope_id: int, changes: dict[str, Any], actor: AbstractBaseUser
) -> ScopeEditResult:
    """A catalog manager's edit of a scope (see scopes.services.scope_edits.scope_edit); when it
    tightens the scope from Public to Custom, apps already using it keep it for a grace period."""
    result = scope_edit(scope_id=scope_id, changes=changes, actor=actor)
    if result.tightened:
        access_requests_grant_grace(scope=result.scope, tightened_by=actor)
    return result
