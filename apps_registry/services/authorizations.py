"""Seller consent: granting an app access to shops, and taking it back.

A ShopAuthorization row is the truth the gate checks; DOT's tokens only carry scopes. Every
narrowing here also narrows the seller's tokens in the same transaction (apps_registry.tokens), so
a revocation takes effect on the very next request.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import get_args

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from apps_registry.error_codes import AuthorizationErrorCode
from apps_registry.events import authorization as authorization_events
from apps_registry.events.authorization import ApprovalEnding
from apps_registry.gate import versions as gate_versions
from apps_registry.models import (
    AppScope,
    PartnerApp,
    Shop,
    ShopAuthorization,
    WebhookTopic,
)
from apps_registry.selectors.authorizations import granted_scope_keys
from apps_registry.selectors.availability import requestable_scope_keys
from apps_registry.tokens import revoke_tokens, strip_scope_from_tokens
from apps_registry.webhooks import events as webhook_events
from apps_registry.webhooks.outbox import record_events
from core.errors import InvalidInputError, InvalidTransitionError, PermissionRefusedError
from scopes.models import Scope

AUTHORIZATION_DURATION_DAYS = (30, 90, 180, 365)
DEFAULT_AUTHORIZATION_DURATION_DAYS = 90


@dataclass(frozen=True)
class PlatformWithdrawal:
    """What authorization_withdraw_scope_for_platform changed, for the reviewers' history."""

    authorizations_changed: int
    authorizations_closed: int
    tokens_changed: int


def lock_app_for_consent(*, app_id: int) -> PartnerApp:
    """Lock the app's row, where a seller's grant and the end of a Custom approval serialize: the
    grant either commits before the withdrawal reads the app's authorizations, or waits for it and
    finds the approval over. Without it, a grant that read the approval as live could commit the
    scope after the withdrawal had looked.

    Lock order: the app, then an access request (the review workflow), then shops, authorizations
    and tokens. FOR NO KEY UPDATE: rows that point at the app (tokens, DOT's codes, events) check
    their foreign key with FOR KEY SHARE, at commit, and must not wait for this lock.
    """
    return PartnerApp.objects.select_for_update(no_key=True).get(pk=app_id)


@transaction.atomic
def shop_create(
    *, owner_email: str, name: str, region: str, password: str | None = None
) -> tuple[Shop, bool]:
    """Provision a shop for the seller with this e-mail, creating the seller when missing (with a
    verified e-mail address when `password` is given, so they can sign in). Returns (shop, created
    seller?)."""
    owner_email = owner_email.strip().lower()
    name = name.strip()
    region = region.strip().upper()
    if not name:
        raise InvalidInputError(
            "A shop needs a name.", code=AuthorizationErrorCode.SHOP_NAME_REQUIRED
        )
    if len(region) != 2 or not region.isalpha():
        raise InvalidInputError(
            "The region is a two-letter market code, e.g. GB.",
            code=AuthorizationErrorCode.INVALID_REGION,
        )
    user_model = get_user_model()
    seller = user_model.objects.select_for_update().filter(email__iexact=owner_email).first()
    created = seller is None
    if created:
        seller = user_model.objects.create_user(
            username=owner_email[:150], email=owner_email, password=password
        )
        if password:
            EmailAddress.objects.create(user=seller, email=owner_email, verified=True, primary=True)
    return Shop.objects.create(owner=seller, name=name, region=region), created


@transaction.atomic
def authorization_grant(
    *,
    seller: AbstractBaseUser,
    app: PartnerApp,
    shops: Iterable[Shop],
    scope_keys: Iterable[str],
    duration_days: int,
    withdrawn_keys: Iterable[str] = (),
) -> list[ShopAuthorization]:
    """Record consent: `app` may use `scope_keys` on the seller's `shops` for `duration_days`.

    Creates or renews one live authorization per shop; earlier grants stay unless listed in
    `withdrawn_keys` (optional scopes the seller unticked), which are also stripped from tokens.
    """
    scope_keys, withdrawn_keys = set(scope_keys), set(withdrawn_keys) - set(scope_keys)
    shop_ids = {shop.pk for shop in shops}
    if duration_days not in AUTHORIZATION_DURATION_DAYS:
        raise InvalidInputError(
            "Choose how long the app may access your shops: 30, 90, 180 or 365 days.",
            code=AuthorizationErrorCode.INVALID_DURATION,
        )
    if not shop_ids:
        raise InvalidInputError(
            "Choose at least one shop to authorize.", code=AuthorizationErrorCode.SHOP_REQUIRED
        )
    if not scope_keys:
        raise InvalidInputError(
            "There is nothing to authorize: the app asked for no scope.",
            code=AuthorizationErrorCode.NOTHING_TO_AUTHORIZE,
        )
    # Before anything below reads the app's status, approvals or chosen scopes.
    app = lock_app_for_consent(app_id=app.pk)
    if not app.is_usable(None):
        raise InvalidTransitionError(
            "This app is suspended and cannot be authorized.",
            code=AuthorizationErrorCode.APP_SUSPENDED,
        )
    # NO KEY UPDATE: it serializes grants for a shop, yet does not block the key-share lock that a
    # concurrent disconnect's event rows take on the shop when they commit (a plain FOR UPDATE here
    # and that disconnect's lock on the authorization deadlocked each other).
    owned = list(Shop.objects.select_for_update(no_key=True).filter(pk__in=shop_ids, owner=seller))
    if len(owned) != len(shop_ids):
        raise PermissionRefusedError(
            "You can only authorize your own shops.", code=AuthorizationErrorCode.NOT_YOUR_SHOP
        )
    scopes = list(Scope.objects.filter(key__in=scope_keys, is_active=True))
    if len(scopes) != len(scope_keys):
        unknown = sorted(scope_keys - {scope.key for scope in scopes})
        raise InvalidInputError(
            f"Unknown scope: {', '.join(unknown)}.", code=AuthorizationErrorCode.UNKNOWN_SCOPE
        )
    # The consent page only offers what DOT validated, but the rule belongs here, whoever calls.
    not_requestable = scope_keys - requestable_scope_keys(app=app)
    if not_requestable:
        raise PermissionRefusedError(
            f"{app.name} may not ask for: {', '.join(sorted(not_requestable))}.",
            code=AuthorizationErrorCode.SCOPE_NOT_REQUESTABLE,
        )
    required_withdrawn = set(
        AppScope.objects.filter(
            app=app, is_required=True, scope__key__in=withdrawn_keys
        ).values_list("scope__key", flat=True)
    )
    if required_withdrawn:
        raise InvalidInputError(
            f"{app.name} cannot work without: {', '.join(sorted(required_withdrawn))}. "
            "Cancel instead if you do not want to grant it.",
            code=AuthorizationErrorCode.REQUIRED_SCOPE_WITHDRAWN,
        )

    now = timezone.now()
    expires_at = now + timedelta(days=duration_days)
    authorizations = []
    # (authorization, scopes the seller unticked, scopes it keeps): what the app is told.
    narrowed: list[tuple[ShopAuthorization, set[str], set[str]]] = []
    for shop in owned:
        authorization = (
            ShopAuthorization.objects.select_for_update()
            .filter(app=app, shop=shop, revoked_at__isnull=True)
            .first()
        )
        if authorization is None:
            authorization = ShopAuthorization.objects.create(
                app=app, shop=shop, granted_by=seller, granted_at=now, expires_at=expires_at
            )
            kept: set[str] = set()
        else:
            # An expired consent carries nothing over: the seller is asked afresh.
            held = (
                set(authorization.scopes.values_list("key", flat=True))
                if authorization.is_active(now=now)
                else set()
            )
            kept = held - withdrawn_keys
            if held & withdrawn_keys:
                narrowed.append((authorization, held & withdrawn_keys, kept | scope_keys))
            authorization.granted_by = seller
            authorization.granted_at = now
            authorization.expires_at = expires_at
            authorization.save(update_fields=["granted_by", "granted_at", "expires_at"])
        authorization.scopes.set(scopes + list(Scope.objects.filter(key__in=kept - scope_keys)))
        authorization_events.record_authorization_event(
            authorization_events.Granted(
                duration_days=duration_days, withdrawn=sorted(withdrawn_keys)
            ),
            seller=seller,
            app=app,
            shop=shop,
            scope_keys=sorted(scope_keys | kept),
            now=now,
        )
        authorizations.append(authorization)
    _tell_app_of_revocations(app, narrowed, reason="seller_withdrew_scope", now=now)
    _narrow_tokens(seller=seller, app=app, candidate_keys=withdrawn_keys)
    gate_versions.consent_changed(app.pk, seller.pk)
    return authorizations


@transaction.atomic
def authorization_revoke_shop(*, seller: AbstractBaseUser, app: PartnerApp, shop: Shop) -> None:
    """Disconnect one shop from the app. Tokens lose the scopes no other shop still grants; with no
    shop left, every token of the seller for the app is revoked."""
    authorization = (
        ShopAuthorization.objects.select_for_update(of=("self",))
        .filter(app=app, shop=shop, shop__owner=seller, revoked_at__isnull=True)
        .select_related("shop")
        .first()
    )
    if authorization is None:
        raise InvalidTransitionError(
            "This shop is not connected to the app.", code=AuthorizationErrorCode.SHOP_NOT_CONNECTED
        )
    keys = set(authorization.scopes.values_list("key", flat=True))
    authorization.revoked_at = timezone.now()
    authorization.save(update_fields=["revoked_at"])
    authorization_events.record_authorization_event(
        authorization_events.ShopDisconnected(),
        seller=seller,
        app=app,
        shop=shop,
        scope_keys=sorted(keys),
        now=authorization.revoked_at,
    )
    _tell_app_of_revocations(
        app,
        [(authorization, keys, set())],
        reason="seller_disconnected_shop",
        now=authorization.revoked_at,
    )
    _narrow_tokens(seller=seller, app=app, candidate_keys=keys)
    gate_versions.consent_changed(app.pk, seller.pk)


@transaction.atomic
def authorization_revoke_scope(
    *, seller: AbstractBaseUser, app: PartnerApp, scope_key: str
) -> None:
    """Withdraw one optional scope from every shop the seller connected to the app, and from the
    seller's tokens. Required scopes cannot be withdrawn alone: disconnect the app instead."""
    if AppScope.objects.filter(app=app, scope__key=scope_key, is_required=True).exists():
        raise PermissionRefusedError(
            "The app needs this permission to work; to stop it, disconnect the app instead.",
            code=AuthorizationErrorCode.SCOPE_REQUIRED_BY_APP,
        )
    authorizations = list(
        ShopAuthorization.objects.select_for_update(of=("self",))
        .filter(app=app, shop__owner=seller, revoked_at__isnull=True, scopes__key=scope_key)
        .select_related("shop")
        .order_by("pk")  # as authorization_revoke_app: one lock order, the events in it
    )
    if not authorizations:
        raise InvalidTransitionError(
            "The app does not hold this permission on your shops.",
            code=AuthorizationErrorCode.SCOPE_NOT_HELD,
        )
    now = timezone.now()
    narrowed = []
    for authorization in authorizations:
        authorization.scopes.remove(*authorization.scopes.filter(key=scope_key))
        remaining = set(authorization.scopes.values_list("key", flat=True))
        if not remaining:
            authorization.revoked_at = now
            authorization.save(update_fields=["revoked_at"])
        narrowed.append((authorization, {scope_key}, remaining))
    _record_shops_revoked(
        authorization_events.ScopeWithdrawn, authorizations, seller, app, [scope_key], now
    )
    _tell_app_of_revocations(app, narrowed, reason="seller_withdrew_scope", now=now)
    _narrow_tokens(seller=seller, app=app, candidate_keys={scope_key})
    gate_versions.consent_changed(app.pk, seller.pk)


@transaction.atomic
def authorization_revoke_app(*, seller: AbstractBaseUser, app: PartnerApp) -> None:
    """Disconnect the app from all the seller's shops and revoke all its tokens for the seller."""
    authorizations = list(
        ShopAuthorization.objects.select_for_update(of=("self",))
        .filter(app=app, shop__owner=seller, revoked_at__isnull=True)
        .select_related("shop")
        .prefetch_related("scopes")
        # Locked and told in one order: the shops' events in the order they were authorized,
        # whatever index the planner reads (granted_at ties within one consent).
        .order_by("pk")
    )
    if not authorizations:
        raise InvalidTransitionError(
            "This app is not connected to your shops.",
            code=AuthorizationErrorCode.APP_NOT_CONNECTED,
        )
    now = timezone.now()
    for authorization in authorizations:
        authorization.revoked_at = now
        authorization.save(update_fields=["revoked_at"])
    _record_shops_revoked(
        authorization_events.AppDisconnected, authorizations, seller, app, [], now
    )
    _tell_app_of_revocations(
        app,
        [
            (authorization, {scope.key for scope in authorization.scopes.all()}, set())
            for authorization in authorizations
        ],
        reason="seller_disconnected_app",
        now=now,
    )
    revoke_tokens(app=app, user=seller)
    gate_versions.consent_changed(app.pk, seller.pk)


@transaction.atomic
def authorization_withdraw_scope_for_platform(
    *, app: PartnerApp, scope: Scope, access_request_id: int, approval: ApprovalEnding
) -> PlatformWithdrawal:
    """Take `scope` back from every live authorization of `app` because the platform's approval of
    it was revoked or expired: one PLATFORM_REVOKE event per authorization, an authorization left
    with no scope is closed, and every token of the app is narrowed or revoked to match."""
    if approval not in get_args(ApprovalEnding):
        raise InvalidInputError(
            f"Unknown end of an approval: {approval}.",
            code=AuthorizationErrorCode.UNKNOWN_APPROVAL_END,
        )
    # The review workflow already holds it (taken before the access request's); taking it here
    # keeps a grant from slipping in whoever calls.
    lock_app_for_consent(app_id=app.pk)
    gate_versions.app_changed(app.pk)  # every seller's consent to the app may change
    now = timezone.now()
    authorizations = list(
        ShopAuthorization.objects.select_for_update(of=("self",))
        .filter(app=app, revoked_at__isnull=True, expires_at__gt=now, scopes=scope)
        .select_related("shop__owner")
        .order_by("pk")
    )
    ShopAuthorization.scopes.through.objects.filter(
        shopauthorization__in=authorizations, scope=scope
    ).delete()
    remaining: dict[int, set[str]] = {}
    for authorization_id, key in ShopAuthorization.scopes.through.objects.filter(
        shopauthorization__in=authorizations
    ).values_list("shopauthorization_id", "scope__key"):
        remaining.setdefault(authorization_id, set()).add(key)
    emptied = {authorization.pk for authorization in authorizations} - set(remaining)
    events = []
    for authorization in authorizations:
        closed = authorization.pk in emptied
        if closed:
            authorization.revoked_at = now
            authorization.save(update_fields=["revoked_at"])
        events.append(
            authorization_events.build_authorization_event(
                authorization_events.PlatformRevoked(
                    scope=scope.key,
                    access_request_id=access_request_id,
                    approval=approval,
                    authorization_closed=closed,
                ),
                # The shop's owner, though the platform made the change.
                seller=authorization.shop.owner,
                app=app,
                shop=authorization.shop,
                scope_keys=[scope.key],
                now=now,
            )
        )
    authorization_events.record_authorization_events(events)
    _tell_app_of_revocations(
        app,
        [
            (authorization, {scope.key}, remaining.get(authorization.pk, set()))
            for authorization in authorizations
        ],
        reason="approval_revoked" if approval == "revoked" else "approval_expired",
        now=now,
    )
    sellers = {
        authorization.shop.owner_id: authorization.shop.owner for authorization in authorizations
    }
    tokens_changed = sum(
        _narrow_tokens(seller=seller, app=app, candidate_keys={scope.key})
        for seller in sellers.values()
    )
    # The app may not use the scope at all any more: tokens of sellers whose consent already
    # lapsed (so it was not withdrawn above) lose it too.
    tokens_changed += strip_scope_from_tokens(app=app, scope_key=scope.key)
    return PlatformWithdrawal(
        authorizations_changed=len(authorizations),
        authorizations_closed=len(emptied),
        tokens_changed=tokens_changed,
    )


def _record_shops_revoked(
    details_class: type[authorization_events.ShopsRevoked],
    authorizations: list[ShopAuthorization],
    seller: AbstractBaseUser,
    app: PartnerApp,
    scope_keys: list[str],
    now: datetime,
) -> None:
    """The one event of a seller's revocation that reached several of their shops at once: the
    shops of `authorizations`, which are the seller's with `app`."""
    authorization_events.record_authorization_event(
        details_class(shops=sorted(authorization.shop_id for authorization in authorizations)),
        seller=seller,
        app=app,
        shop=None,
        scope_keys=scope_keys,
        now=now,
    )


def _tell_app_of_revocations(
    app: PartnerApp,
    narrowed: list[tuple[ShopAuthorization, set[str], set[str]]],
    *,
    reason: webhook_events.RevocationReason,
    now: datetime,
) -> None:
    """One authorization.revoked event per shop of `narrowed`: (authorization with its shop,
    scopes taken, scopes left), in the outbox of this transaction."""
    if not narrowed:
        return
    record_events(
        app_id=app.pk,
        event_type=WebhookTopic.AUTHORIZATION_REVOKED,
        data_items=[
            webhook_events.authorization_revoked(
                authorization,
                revoked_scopes=revoked,
                remaining_scopes=remaining,
                reason=reason,
                revoked_at=now,
            )
            for authorization, revoked, remaining in narrowed
        ],
        now=now,
    )


def _narrow_tokens(*, seller: AbstractBaseUser, app: PartnerApp, candidate_keys: set[str]) -> int:
    """Make the seller's tokens for the app carry nothing the seller no longer grants. Returns the
    number of tokens changed or revoked."""
    still_granted = granted_scope_keys(seller=seller, app=app)
    if not still_granted:
        return revoke_tokens(app=app, user=seller)
    return sum(
        strip_scope_from_tokens(app=app, scope_key=key, user=seller)
        for key in sorted(candidate_keys - still_granted)
    )
