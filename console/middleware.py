"""Reviewers' workspace guard: staff reach /admin/ only with TOTP enrolled and used this session."""

from __future__ import annotations

from allauth.account.authentication import get_authentication_records
from allauth.mfa.models import Authenticator
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import urlencode


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
