"""Request guards: query strings with a NUL character are refused; staff reach /admin/ only with
TOTP enrolled and used this session."""

from __future__ import annotations

from allauth.account.authentication import get_authentication_records
from allauth.mfa.models import Authenticator
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.http import HttpRequest, HttpResponseBadRequest, HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils.http import urlencode

NUL_IN_QUERY = (
    "The address contains a NUL character (%00), which no parameter accepts. "
    "Remove it and try again."
)


class RejectNulInQueryMiddleware:
    """A query string holding NUL gets a 400. PostgreSQL refuses NUL in a query, so such a value
    (a filter, a search, a client_id) would otherwise turn into a 500 wherever it reaches the
    database, including in the admin's and DOT's views, which we do not write ourselves."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        if any("\x00" in key or "\x00" in value for key, value in _query_items(request)):
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": NUL_IN_QUERY}, status=400)
            return HttpResponseBadRequest(NUL_IN_QUERY, content_type="text/plain; charset=utf-8")
        return self.get_response(request)


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
