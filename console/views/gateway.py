"""`/gateway/check`: the question the platform's API gateway asks before every partner API call.

nginx `auth_request` sends a subrequest carrying the original call in `X-Original-Method` and
`X-Original-URI`; Envoy's HTTP `ext_authz` (with `path_prefix: /gateway/check`) sends the
original method to `/gateway/check/<original path and query>`. Both read 2xx as allow and pass the
`X-Gate-*` headers they are told to upstream. A denial is 401 or 403 with an RFC 6750 challenge
and a JSON body saying why and what to do, repeated in `X-Gate-Denial` because nginx does not pass
a subrequest's body on (README: "Put the gate in front of the API").
"""

from __future__ import annotations

import json

from django.http import HttpRequest, HttpResponse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from apps_registry.gate.decision import GateDecision, OriginalCall, gate_check, original_call
from apps_registry.gate.reasons import GateReason
from console.gate_presentation import denial_body

BEARER_PREFIX = "bearer "
# Where gateways ask; console/urls routes it here too (console.middleware answers it first).
GATE_PATH = "/gateway/check"


@method_decorator(csrf_exempt, name="dispatch")
class GateCheckView(View):
    # Envoy forwards the original method, whatever it is; nginx sends GET.
    http_method_names = ["get", "head", "post", "put", "patch", "delete", "options"]

    def dispatch(self, request: HttpRequest, original_path: str = "", **kwargs) -> HttpResponse:
        call = _original_call(request, original_path)
        decision = gate_check(token=_token(request), call=call)
        return gate_response(decision, call)


def _token(request: HttpRequest) -> str:
    authorization = request.headers.get("Authorization", "")
    if authorization[: len(BEARER_PREFIX)].lower() == BEARER_PREFIX:
        return authorization[len(BEARER_PREFIX) :]
    return request.headers.get("X-Tts-Access-Token", "")


def _original_call(request: HttpRequest, original_path: str) -> OriginalCall | None:
    shop_header = request.headers.get("X-Shop-Cipher", "")
    if "X-Original-URI" in request.headers or "X-Original-Method" in request.headers:
        return original_call(
            method=request.headers.get("X-Original-Method", ""),
            uri=request.headers.get("X-Original-URI", ""),
            shop_header=shop_header,
        )
    if not original_path:
        return None
    return original_call(
        method=request.method,
        uri=_envoy_original_uri(request, original_path),
        shop_header=shop_header,
    )


def _envoy_original_uri(request: HttpRequest, original_path: str) -> str:
    """The original path and query as the client sent them, still percent-encoded: the server
    decodes PATH_INFO, which would turn `1%2Fx` into two segments (one for the upstream) and a
    `%3F` into the start of the query. gunicorn passes the raw URI as RAW_URI, uwsgi as
    REQUEST_URI; only a server with neither (runserver) falls back to the decoded path."""
    raw = request.META.get("RAW_URI") or request.META.get("REQUEST_URI") or ""
    if raw.startswith(GATE_PATH + "/"):
        return raw[len(GATE_PATH) :]
    query = request.META.get("QUERY_STRING", "")
    return "/" + original_path + (f"?{query}" if query else "")


def gate_response(decision: GateDecision, call: OriginalCall | None) -> HttpResponse:
    if decision.allowed:
        response = HttpResponse(status=200)
        response["X-Gate-Client-Id"] = decision.client_id
        response["X-Gate-Seller-Id"] = str(decision.seller_id)
        response["X-Gate-Scopes"] = " ".join(decision.granted_scopes)
        response["X-Gate-Endpoint"] = f"{decision.endpoint.method} {decision.endpoint.path}"
        if decision.shop is not None:
            response["X-Gate-Shop-Cipher"] = decision.shop.cipher
            response["X-Gate-Shop-Id"] = str(decision.shop.shop_id)
    else:
        # Compact ASCII JSON, serialized once for the body and for the header nginx passes on.
        body = json.dumps(denial_body(decision, call), separators=(",", ":"))
        response = HttpResponse(body, status=decision.status, content_type="application/json")
        response["WWW-Authenticate"] = _challenge(decision)
        response["X-Gate-Reason"] = str(decision.reason)
        response["X-Gate-Denial"] = body
    response["Cache-Control"] = "no-store"
    return response


def _challenge(decision: GateDecision) -> str:
    """RFC 6750 §3: no error attribute when no token was sent."""
    if decision.reason is GateReason.TOKEN_MISSING:
        return 'Bearer realm="api"'
    if decision.status == 401:
        description = _quoted(decision.message)
        return f'Bearer realm="api", error="invalid_token", error_description="{description}"'
    if decision.status == 400:
        return 'Bearer realm="api", error="invalid_request"'
    scopes = " ".join(decision.required_scopes)
    return f'Bearer realm="api", error="insufficient_scope", scope="{scopes}"'


def _quoted(text: str) -> str:
    """A value safe inside a quoted-string of the challenge (RFC 9110 §5.6.4)."""
    return text.replace("\\", "").replace('"', "'")
