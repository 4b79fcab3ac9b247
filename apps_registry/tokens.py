"""Narrowing what DOT's tokens carry. Callers run these inside their own transaction, so a revoked
approval or consent and the tokens it stripped commit (or roll back) together."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import Q
from oauth2_provider.models import get_access_token_model, get_refresh_token_model

from apps_registry.models import PartnerApp


def _live_access_tokens(*, app: PartnerApp, user: AbstractBaseUser | None):
    tokens = get_access_token_model().objects.filter(application=app)
    if user is not None:
        tokens = tokens.filter(user=user)
    return tokens


def strip_scope_from_tokens(
    *, app: PartnerApp, scope_key: str, user: AbstractBaseUser | None = None
) -> int:
    """Remove `scope_key` from the app's access tokens (only `user`'s when given).

    A token left with no scope is revoked together with its refresh token. Refresh tokens take
    their scopes from their access token, so a refresh cannot bring the scope back. Returns the
    number of tokens changed.
    """
    changed = 0
    tokens = (
        _live_access_tokens(app=app, user=user)
        .filter(
            Q(scope=scope_key)
            | Q(scope__startswith=f"{scope_key} ")
            | Q(scope__endswith=f" {scope_key}")
            | Q(scope__contains=f" {scope_key} ")
        )
        .select_for_update()
    )
    for token in tokens:
        remaining = [key for key in token.scope.split() if key != scope_key]
        if remaining:
            token.scope = " ".join(remaining)
            token.save(update_fields=["scope", "updated"])
        else:
            _revoke_access_token(token)
        changed += 1
    return changed


def revoke_tokens(*, app: PartnerApp, user: AbstractBaseUser | None = None) -> int:
    """Revoke every access and refresh token of the app (only `user`'s when given)."""
    refresh_tokens = get_refresh_token_model().objects.filter(application=app, revoked__isnull=True)
    if user is not None:
        refresh_tokens = refresh_tokens.filter(user=user)
    revoked = 0
    for refresh_token in refresh_tokens.select_for_update():
        refresh_token.revoke()
        revoked += 1
    deleted, _ = _live_access_tokens(app=app, user=user).delete()
    return revoked + deleted


def _revoke_access_token(token) -> None:
    refresh_token = getattr(token, "refresh_token", None)
    if refresh_token is not None and refresh_token.revoked is None:
        refresh_token.revoke()
    else:
        token.delete()
