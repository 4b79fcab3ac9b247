"""The access rule: may this token (or, on the explain page, this app) call `METHOD path` for
this shop? One function decides for the API gateway and for the partner's explain page.

A call is allowed when the token is live and its seller active; the app is not suspended; the
catalog knows the endpoint; one of the endpoint's scopes is available to the app (Public, or
Custom with a live approval), carried by the token and granted by the seller; and, when the
endpoint needs a shop, the shop is one the seller authorized for the app and that consent has not
expired and covers that scope.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import parse_qs

from django.utils import timezone
from oauth2_provider.models import get_access_token_model

from apps_registry.gate import usage
from apps_registry.gate.context import AccessContext, ShopGrant, access_context
from apps_registry.gate.reasons import FixAction, GateReason
from apps_registry.gate.versions import context_version_keys, read_versions
from apps_registry.models import PartnerApp, ShopAuthorization
from apps_registry.selectors.tokens import token_checksum
from core.prepared import PreparedLookup
from scopes.matching import EndpointMatch, current_index

# Longer values are refused before any lookup (a cipher by the explain form; the gate's shop
# lookup is a dict miss): no real method, path or cipher comes close.
MAX_URI_LENGTH = 4096
MAX_CIPHER_LENGTH = 64
MAX_TOKEN_LENGTH = 512
SHOWN_PATH_LENGTH = 200


@dataclass(frozen=True, slots=True)
class GateDecision:
    reason: GateReason
    message: str
    fix: FixAction = FixAction.NONE
    fix_text: str = ""
    required_scopes: tuple[str, ...] = ()
    granted_scopes: tuple[str, ...] = ()
    app_id: int | None = None
    client_id: str = ""
    seller_id: int | None = None
    shop: ShopGrant | None = None
    endpoint: EndpointMatch | None = None
    # The scope the fix is about (to apply for, to choose, to ask the seller for).
    fix_scope: str = ""

    @property
    def allowed(self) -> bool:
        return self.reason is GateReason.ALLOWED

    @property
    def status(self) -> int:
        return self.reason.status


@dataclass(frozen=True, slots=True)
class OriginalCall:
    """The call the gateway asks about: its method, path and the shop it names."""

    method: str
    path: str
    shop_cipher: str
    # A shop named twice with different ciphers: the upstream might read either one.
    shop_ambiguous: bool = False
    # A call no endpoint can match (an absolute-form or overlong URI, a method that is not a
    # word): the client's doing, so a 403 the gateway passes on, not a 400 it turns into a 500.
    malformed: bool = False

    @property
    def shown_path(self) -> str:
        """The path as denials quote it: nginx passes a denial on in a header, which must stay
        well inside its 4 KB buffer whatever the client sent."""
        if len(self.path) <= SHOWN_PATH_LENGTH:
            return self.path
        return self.path[:SHOWN_PATH_LENGTH] + "…"


@dataclass(frozen=True, slots=True)
class LiveToken:
    """A stored access token that is neither expired nor held by a deactivated seller."""

    app_id: int
    seller_id: int
    scopes: frozenset[str]
    expires: datetime


def read_token(token: str, *, now: datetime) -> LiveToken | GateDecision:
    """The live token, or the denial that says why it is not one (the gate's first step, and
    how the seller-facing API authenticates its callers)."""
    token = (token or "").strip()
    if not token:
        return _deny(
            GateReason.TOKEN_MISSING,
            "No access token: send it as `Authorization: Bearer <token>` or `x-tts-access-token`.",
            FixAction.SEND_TOKEN,
            "Send the seller's access token with every call.",
        )
    row = _token_row(token)
    app_id, seller_id, scope, expires, seller_active, app_status = row or (
        None, None, "", None, False, ""
    )  # fmt: skip
    if seller_id is None or not seller_active:
        return _deny(
            GateReason.TOKEN_INVALID,
            "The access token is invalid or was revoked.",
            FixAction.REAUTHORIZE,
            "Refresh it with the refresh token, or ask the seller to authorize the app again.",
        )
    if expires <= now:
        return _deny(
            GateReason.TOKEN_EXPIRED,
            "The access token has expired.",
            FixAction.REFRESH_TOKEN,
            "Get a new access token with the refresh token.",
        )
    if app_status == PartnerApp.Status.SUSPENDED:
        # Suspension revokes the app's tokens; one that survived (or a row changed by hand)
        # must still not work, and says why.
        return _suspended("The app", app_id=app_id)
    return LiveToken(
        app_id=app_id, seller_id=seller_id, scopes=frozenset(scope.split()), expires=expires
    )


def original_call(*, method: str, uri: str, shop_header: str = "") -> OriginalCall | None:
    """Parse what the gateway forwarded; None when it forwarded no method or no URI."""
    method = (method or "").strip().upper()
    if not method or not uri:
        return None
    if len(uri) > MAX_URI_LENGTH or not uri.startswith("/") or not method.isalpha():
        return OriginalCall(method=method[:10], path=uri[:100], shop_cipher="", malformed=True)
    path, _, query = uri.partition("?")
    ciphers = {value.strip() for value in parse_qs(query).get("shop_cipher", [])}
    header = (shop_header or "").strip()
    if not ciphers and header:
        ciphers = {header}
    elif header and header not in ciphers:
        ciphers.add(header)
    cipher = next(iter(ciphers)) if len(ciphers) == 1 else ""
    return OriginalCall(
        method=method, path=path, shop_cipher=cipher, shop_ambiguous=len(ciphers) > 1
    )


def gate_check(
    *, token: str, call: OriginalCall | None, now: datetime | None = None
) -> GateDecision:
    """The gateway's question for one API call. Allowed calls record their use, denials their
    reason, both in memory (apps_registry/gate/usage.py)."""
    now = now or timezone.now()
    if call is None:
        return _deny(
            GateReason.INVALID_REQUEST,
            "The gateway did not say which call to check: send the original method and URI "
            "(X-Original-Method and X-Original-URI).",
            FixAction.CONFIGURE_GATEWAY,
            "Configure the gateway as the console's documentation shows.",
        )
    found = read_token(token, now=now)
    if isinstance(found, GateDecision):
        return found
    versions = read_versions(context_version_keys(found.app_id, found.seller_id))
    context = access_context(app_id=found.app_id, seller_id=found.seller_id, versions=versions)
    endpoint = _matched_endpoint(call, catalog_version=versions[0])
    decision = decide(context, endpoint, call, token_scopes=found.scopes, now=now)
    if decision.allowed:
        usage.record_use(decision, now=now)
    else:
        usage.record_denial(decision, now=now)
    return decision


def gate_explain(
    *, app: PartnerApp, call: OriginalCall, now: datetime | None = None
) -> GateDecision:
    """What the gate would decide for a call of `app` on the shop the call names, with a token
    carrying everything that shop's seller granted the app (the console's explain page)."""
    now = now or timezone.now()
    seller_id = None
    if call.shop_cipher:
        seller_id = (
            ShopAuthorization.objects.filter(
                app=app, shop__cipher=call.shop_cipher, revoked_at__isnull=True
            )
            .values_list("shop__owner_id", flat=True)
            .first()
        )
    versions = read_versions(context_version_keys(app.pk, seller_id))
    context = access_context(app_id=app.pk, seller_id=seller_id, versions=versions)
    endpoint = _matched_endpoint(call, catalog_version=versions[0])
    return decide(context, endpoint, call, token_scopes=context.granted_scope_keys(now), now=now)


def decide(
    context: AccessContext,
    endpoint: EndpointMatch | None,
    call: OriginalCall,
    *,
    token_scopes: frozenset[str],
    now: datetime,
) -> GateDecision:
    """The rule itself, on data already read: no query, no cache access."""
    identity = {
        "app_id": context.app_id,
        "client_id": context.client_id,
        "seller_id": context.seller_id,
    }
    if not context.app_usable:
        return _suspended(context.app_name, **identity)
    if endpoint is None or not endpoint.scope_keys:
        why = "is not an endpoint of" if endpoint is None else "has no active scope in"
        return _deny(
            GateReason.UNKNOWN_ENDPOINT,
            f"{call.method} {call.shown_path} {why} the API catalog.",
            FixAction.CHECK_ENDPOINT,
            "Check the method and path against the API catalog.",
            **identity,
        )
    required = tuple(sorted(endpoint.scope_keys))
    app_may_use = context.available_scope_keys(now)
    available = endpoint.scope_keys & app_may_use
    on_call = {**identity, "endpoint": endpoint, "required_scopes": required}
    if not available:
        lapsed = [key for key in required if context.approval_lapsed(key, now)]
        if lapsed:
            return _deny(
                GateReason.APPROVAL_EXPIRED,
                f"The app's approval for {lapsed[0]} has expired.",
                FixAction.APPLY,
                f"Apply for {lapsed[0]} again from the app's Manage API page.",
                fix_scope=lapsed[0],
                **on_call,
            )
        return _deny(
            GateReason.SCOPE_NOT_AVAILABLE_TO_APP,
            f"{endpoint.method} {endpoint.path} needs {_one_of(required)}, which this app may "
            "not use: Custom scopes need an approved application.",
            FixAction.APPLY,
            f"Apply for {required[0]} from the app's Manage API page.",
            fix_scope=required[0],
            **on_call,
        )
    if not endpoint.needs_shop:
        seller_granted = context.granted_scope_keys(now)
        return _granted_or_denied(
            available & token_scopes & seller_granted,
            granted=token_scopes & seller_granted & app_may_use,
            shop=None,
            wanted=sorted(available),
            **on_call,
        )
    if call.shop_ambiguous:
        return _deny(
            GateReason.SHOP_REQUIRED,
            "The call names more than one shop: send one shop_cipher.",
            FixAction.PASS_SHOP,
            "Send exactly one shop_cipher, from GET /api/v1/authorization/shops.",
            **on_call,
        )
    if not call.shop_cipher:
        return _deny(
            GateReason.SHOP_REQUIRED,
            f"{endpoint.method} {endpoint.path} acts on a shop: the call names none.",
            FixAction.PASS_SHOP,
            "Pass the shop's shop_cipher, from GET /api/v1/authorization/shops.",
            **on_call,
        )
    grant = context.shops.get(call.shop_cipher)
    if grant is None:
        return _deny(
            GateReason.SHOP_NOT_AUTHORIZED,
            "The seller has not authorized this app for that shop.",
            FixAction.AUTHORIZE_SHOP,
            "Ask the seller to authorize the app for this shop.",
            **on_call,
        )
    if grant.expires_at <= now:
        return _deny(
            GateReason.AUTHORIZATION_EXPIRED,
            f"The seller's authorization for {grant.name} expired on {grant.expires_at:%Y-%m-%d}.",
            FixAction.REAUTHORIZE,
            "Ask the seller to authorize the app again.",
            shop=grant,
            **on_call,
        )
    return _granted_or_denied(
        available & token_scopes & grant.scope_keys,
        granted=token_scopes & grant.scope_keys & app_may_use,
        shop=grant,
        wanted=sorted(available),
        **on_call,
    )


def _granted_or_denied(
    usable: frozenset[str],
    *,
    granted: frozenset[str],
    shop: ShopGrant | None,
    wanted: list[str],
    **on_call,
) -> GateDecision:
    if usable:
        return GateDecision(
            reason=GateReason.ALLOWED,
            message="Allowed.",
            granted_scopes=tuple(sorted(granted)),
            shop=shop,
            **on_call,
        )
    where = f"on {shop.name}" if shop is not None else "on any shop"
    return _deny(
        GateReason.SCOPE_NOT_GRANTED_BY_SELLER,
        f"The seller has not granted {_one_of(wanted)} to this app {where}.",
        FixAction.REAUTHORIZE,
        f"Make sure {wanted[0]} is chosen on the app's Manage API page, then ask the seller to "
        "authorize the app again.",
        granted_scopes=tuple(sorted(granted)),
        shop=shop,
        fix_scope=wanted[0],
        **on_call,
    )


def _matched_endpoint(call: OriginalCall, *, catalog_version: str) -> EndpointMatch | None:
    if call.malformed:
        return None
    return current_index(version=catalog_version).match(call.method, call.path)


def _suspended(app_name: str, **identity) -> GateDecision:
    return _deny(
        GateReason.APP_SUSPENDED,
        f"{app_name} is suspended by the platform: none of its calls are allowed.",
        FixAction.CONTACT_SUPPORT,
        "Read the suspension notice in the console and contact partner support.",
        **identity,
    )


def _deny(
    reason: GateReason, message: str, fix: FixAction, fix_text: str, **details
) -> GateDecision:
    return GateDecision(reason=reason, message=message, fix=fix, fix_text=fix_text, **details)


def _one_of(keys) -> str:
    keys = list(keys)
    return keys[0] if len(keys) == 1 else "one of " + ", ".join(keys)


# One indexed query per call, compiled once and prepared on PostgreSQL (core/prepared.py).
_token_lookup = PreparedLookup(
    "gate_token_lookup",
    lambda checksum: (
        get_access_token_model()
        .objects.filter(token_checksum=checksum)
        .values_list(
            "application_id",
            "user_id",
            "scope",
            "expires",
            "user__is_active",
            "application__status",
        )[:1]
    ),  # a slice, not first(): the checksum is unique, ordering by id only adds a sort
)


def _token_row(token: str):
    """(app id, seller id, scopes, expiry, seller active?, app status) of a stored token, or
    None: one indexed query, so a revoked or narrowed token, a deactivated seller and a suspended
    app are all seen on the very next call. Always on the primary, even with a read replica: a
    revoked token's row is deleted with no version to say how far a replica must have replayed,
    and a token issued a moment ago may not be there yet (ADR 0026)."""
    if len(token) > MAX_TOKEN_LENGTH:
        return None
    return _token_lookup.fetchone(token_checksum(token))
