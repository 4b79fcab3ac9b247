"""Request guards: query strings with a NUL character or an over-long search are refused; staff
reach /admin/ only with TOTP enrolled and used this session. And the gate's short way through the
middleware stack."""

from __future__ import annotations

from allauth.account.authentication import get_authentication_records
from allauth.mfa.models import Authenticator
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.http import HttpRequest, HttpResponseBadRequest, HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils.http import urlencode

from console.api.exceptions import error_body
from console.views.gateway import GATE_PATH, GateCheckView

NUL_IN_QUERY = (
    "The address contains a NUL character (%00), which no parameter accepts. "
    "Remove it and try again."
)
# Longer than any real search, and far below where SQLite's LIKE gives up ("pattern too complex",
# past about 50,000 characters), which the admin's search boxes would turn into a 500.
SEARCH_PARAMETER = "q"
MAX_SEARCH_LENGTH = 1000
SEARCH_TOO_LONG = (
    f"The search is longer than {MAX_SEARCH_LENGTH} characters. Shorten it and try again."
)


class GateShortcutMiddleware:
    """Answer /gateway/check here, right after the security headers and before the middleware that
    serves people: the gateway asks on every API call, and sessions, users, CSRF, messages, the
    CSP, MFA and the guard on search lengths (the original call's query is the partner's, not a
    search of ours) have nothing to say about it (ADR 0015). The host is still checked against
    ALLOWED_HOSTS. The URL configuration routes the same paths to the same view, so the gate
    works unchanged without this shortcut."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.gate = GateCheckView.as_view()

    def __call__(self, request: HttpRequest):
        path = request.path_info
        if path == GATE_PATH or path.startswith(GATE_PATH + "/"):
            request.get_host()  # DisallowedHost (400) for a host not in ALLOWED_HOSTS
            return self.gate(request, original_path=path[len(GATE_PATH) + 1 :])
        return self.get_response(request)


class RejectMalformedQueryMiddleware:
    """A query string holding NUL, or a search longer than MAX_SEARCH_LENGTH, gets a 400.
    PostgreSQL refuses NUL in a query, so such a value (a filter, a search, a client_id) would
    otherwise turn into a 500 wherever it reaches the database, including in the admin's and DOT's
    views, which we do not write ourselves; so would a huge admin search on SQLite."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        found = _query_problem(request)
        if found is None:
            return self.get_response(request)
        parameter, problem = found
        if request.path.startswith("/api/"):
            body = error_body(code="invalid", message=problem, fields={parameter: [problem]})
            return JsonResponse(body, status=400)
        return HttpResponseBadRequest(problem, content_type="text/plain; charset=utf-8")


def _query_problem(request: HttpRequest) -> tuple[str, str] | None:
    """The first refused query parameter (its name without any NUL) and why, or None."""
    items = list(_query_items(request))
    for key, value in items:
        if "\x00" in key or "\x00" in value:
            return key.replace("\x00", ""), NUL_IN_QUERY
    for key, value in items:
        if key == SEARCH_PARAMETER and len(value) > MAX_SEARCH_LENGTH:
            return key, SEARCH_TOO_LONG
    return None


def _query_items(request: HttpRequest):
    for key, values in request.GET.lists():
        for value in values:
            yield key, value


class StaffMFAMiddleware:
    """A staff user without a TOTP authenticator is sent to enroll one; a staff user whose session
    was not authenticated with it (e.g. password only) is sent to re-authenticate with MFA. Both
    pages live under /accounts/, outside the guarded area; logging out of the admin stays open."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        return self._mfa_redirect(request) or self.get_response(request)

    def _mfa_redirect(self, request: HttpRequest) -> HttpResponseRedirect | None:
        user = request.user
        if not (
            user.is_authenticated
            and user.is_staff
            and request.path.startswith(reverse("admin:index"))
            and request.path != reverse("admin:logout")
        ):
            return None
        if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
            return self._redirect("mfa_activate_totp", request)
        records = get_authentication_records(request, user)
        if not any(record.get("method") == "mfa" for record in records):
            return self._redirect("mfa_reauthenticate", request)
        return None

    @staticmethod
    def _redirect(url_name: str, request: HttpRequest) -> HttpResponseRedirect:
        query = urlencode({REDIRECT_FIELD_NAME: request.get_full_path()})
        return HttpResponseRedirect(f"{reverse(url_name)}?{query}")
