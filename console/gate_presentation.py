"""How a gate decision reads to a partner: the denial body the gateway returns and the explain page
shows, with links into the console that fix it. The rule lives in apps_registry/gate; only the
wording of links and where they point live here."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.urls import reverse

from apps_registry.gate.decision import GateDecision, OriginalCall
from apps_registry.gate.reasons import FixAction


def absolute(path: str) -> str:
    """A console URL as partners' programs must see it: under the console's public address."""
    return settings.OAUTH_ISSUER.rstrip("/") + path


def fix_path(decision: GateDecision, call: OriginalCall | None) -> str:
    """The console page that fixes the denial, or "" when the fix is in the partner's code."""
    app_id = decision.app_id
    match decision.fix:
        case FixAction.APPLY if app_id is not None:
            return reverse(
                "partner:access-request-apply",
                kwargs={"app_id": app_id, "scope_key": decision.fix_scope},
            )
        case FixAction.REAUTHORIZE | FixAction.CHOOSE_SCOPE if app_id is not None:
            return reverse("partner:manage-api", kwargs={"app_id": app_id})
        case FixAction.CONTACT_SUPPORT if app_id is not None:
            return reverse("partner:app-detail", kwargs={"app_id": app_id})
        case FixAction.PASS_SHOP | FixAction.AUTHORIZE_SHOP:
            return reverse("api-authorization-shops")
        case FixAction.CHECK_ENDPOINT if call is not None:
            return reverse("scope-list") + "?" + urlencode({"q": call.path})
    return ""


def denial_body(decision: GateDecision, call: OriginalCall | None) -> dict:
    fix_url = fix_path(decision, call)
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
    }
