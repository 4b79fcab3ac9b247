"""How a gate decision reads to a partner: the denial body the gateway returns and the explain page
shows, with links into the console that fix it, and each reason in plain words. The rule lives in
apps_registry/gate; only the wording and where links point live here."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlencode

from django.conf import settings
from django.urls import reverse

from apps_registry.gate.decision import GateDecision, OriginalCall
from apps_registry.gate.reasons import FixAction, GateReason
from scopes.matching import methods_for_path


@lru_cache(maxsize=4096)
def cached_path(viewname: str, **kwargs) -> str:
    """Django's reverse, remembered: the gate's denials name the same few pages of the same apps
    on every call, and reversing took longer than the rest of a denial's body."""
    return reverse(viewname, kwargs=kwargs or None)


@dataclass(frozen=True, slots=True)
class ReasonText:
    """A reason code for people: a short name, what it means, and what to do about it."""

    title: str
    meaning: str
    what_to_do: str


REASON_TEXTS: dict[GateReason, ReasonText] = {
    GateReason.ALLOWED: ReasonText(
        "Allowed",
        "The gate lets the call through to the API.",
        "Nothing to do.",
    ),
    GateReason.TOKEN_MISSING: ReasonText(
        "No access token",
        "The call carried no access token.",
        "Send the seller's access token with every call, in the Authorization header (Bearer) or "
        "in x-tts-access-token.",
    ),
    GateReason.TOKEN_INVALID: ReasonText(
        "Invalid access token",
        "The token is unknown or was revoked, or its seller's account was closed.",
        "Refresh it with the refresh token, or ask the seller to authorize the app again.",
    ),
    GateReason.TOKEN_EXPIRED: ReasonText(
        "Expired access token",
        "The access token is past its expiry.",
        "Get a new access token with the refresh token.",
    ),
    GateReason.INVALID_REQUEST: ReasonText(
        "Gateway not configured",
        "The gateway did not say which call it was asking about.",
        "Configure the gateway to send the original method and URI.",
    ),
    GateReason.APP_SUSPENDED: ReasonText(
        "App suspended",
        "The platform suspended the app, so none of its calls are allowed.",
        "Read the suspension notice on the app's page and contact partner support.",
    ),
    GateReason.UNKNOWN_ENDPOINT: ReasonText(
        "Unknown endpoint",
        "No endpoint of the API catalog has this method and path.",
        "Check the method and path against the API catalog.",
    ),
    GateReason.SCOPE_NOT_AVAILABLE_TO_APP: ReasonText(
        "Scope not available to the app",
        "The endpoint needs a Custom scope the app has no approval for.",
        "Apply for the scope from the app's Manage API page.",
    ),
    GateReason.APPROVAL_EXPIRED: ReasonText(
        "Approval expired",
        "The app's approval for the Custom scope the endpoint needs has ended.",
        "Apply for the scope again from the app's Manage API page.",
    ),
    GateReason.SCOPE_NOT_GRANTED_BY_SELLER: ReasonText(
        "Scope not granted by the seller",
        "The seller's consent does not include a scope the endpoint needs.",
        "Choose the scope on the app's Manage API page, then ask the seller to authorize the app "
        "again.",
    ),
    GateReason.SHOP_REQUIRED: ReasonText(
        "Shop missing",
        "The endpoint acts on a shop, but the call named none, or more than one.",
        "Send exactly one shop_cipher, from GET /api/v1/authorization/shops.",
    ),
    GateReason.SHOP_NOT_AUTHORIZED: ReasonText(
        "Shop not authorized",
        "The seller has not authorized the app for the shop the call names.",
        "Ask the seller to authorize the app for that shop.",
    ),
    GateReason.AUTHORIZATION_EXPIRED: ReasonText(
        "Authorization expired",
        "The seller's consent for the shop has expired.",
        "Ask the seller to authorize the app again.",
    ),
}

# The words of the link to fix_path's page, for each fix that has one.
FIX_LINK_LABELS: dict[FixAction, str] = {
    FixAction.APPLY: "Apply for the scope",
    FixAction.REAUTHORIZE: "Open Manage API",
    FixAction.CHOOSE_SCOPE: "Open Manage API",
    FixAction.CONTACT_SUPPORT: "Read the suspension notice",
    FixAction.PASS_SHOP: "The authorized shops API",
    FixAction.AUTHORIZE_SHOP: "The authorized shops API",
    FixAction.CHECK_ENDPOINT: "Search the API catalog",
}


def reason_text(reason: str) -> ReasonText:
    return REASON_TEXTS[GateReason(reason)]


def absolute(path: str) -> str:
    """A console URL as partners' programs must see it: under the console's public address."""
    return settings.OAUTH_ISSUER.rstrip("/") + path


def fix_path(decision: GateDecision, call: OriginalCall | None) -> str:
    """The console page that fixes the denial, or "" when the fix is in the partner's code."""
    app_id = decision.app_id
    match decision.fix:
        case FixAction.APPLY if app_id is not None:
            return cached_path(
                "partner:access-request-apply", app_id=app_id, scope_key=decision.fix_scope
            )
        case FixAction.REAUTHORIZE | FixAction.CHOOSE_SCOPE if app_id is not None:
            return cached_path("partner:manage-api", app_id=app_id)
        case FixAction.CONTACT_SUPPORT if app_id is not None:
            return cached_path("partner:app-detail", app_id=app_id)
        case FixAction.PASS_SHOP | FixAction.AUTHORIZE_SHOP:
            return cached_path("api-authorization-shops")
        case FixAction.CHECK_ENDPOINT if call is not None:
            return cached_path("scope-list") + "?" + urlencode({"q": call.shown_path})
    return ""


def explain_path(decision: GateDecision, call: OriginalCall | None) -> str:
    """The app's explain page filled in with the call, or "" when the decision names no app
    (a bad token, or a gateway that did not say which call)."""
    if decision.app_id is None or call is None:
        return ""
    query = {"method": call.method, "path": call.shown_path}
    if call.shop_cipher:
        query["shop"] = call.shop_cipher
    return cached_path("partner:app-explain", app_id=decision.app_id) + "?" + urlencode(query)


def denial_body(decision: GateDecision, call: OriginalCall | None) -> dict:
    fix_url = fix_path(decision, call)
    explain_url = explain_path(decision, call)
    return {
        "code": str(decision.reason),
        "message": decision.message,
        "required_scopes": list(decision.required_scopes),
        "granted_scopes": list(decision.granted_scopes),
        "fix": {
            "action": str(decision.fix),
            "text": decision.fix_text,
            "url": absolute(fix_url) if fix_url else "",
        },
        "explain_url": absolute(explain_url) if explain_url else "",
    }


@dataclass(frozen=True, slots=True)
class Explanation:
    """What the explain page shows of one decision."""

    decision: GateDecision
    reason: ReasonText
    fix_url: str  # a console path, or ""
    fix_label: str
    # For a call no endpoint matches: the methods the catalog has at that path.
    methods_at_path: tuple[str, ...]

    @property
    def unknown_endpoint(self) -> bool:
        return self.decision.reason is GateReason.UNKNOWN_ENDPOINT


def explanation(decision: GateDecision, call: OriginalCall) -> Explanation:
    fix_url = fix_path(decision, call)
    return Explanation(
        decision=decision,
        reason=REASON_TEXTS[decision.reason],
        fix_url=fix_url,
        fix_label=FIX_LINK_LABELS[decision.fix] if fix_url else "",
        methods_at_path=(
            methods_for_path(call.path) if decision.reason is GateReason.UNKNOWN_ENDPOINT else ()
        ),
    )
