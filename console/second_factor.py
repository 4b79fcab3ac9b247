"""Owners see a client secret, or invite someone who then could, only with a recent second factor
(ADR 0018): what this session proves (`session_assurance`, for the services) and the one decorator
that sends an owner to set up or confirm TOTP before a page that would show a secret or send an
invitation, instead of refusing there."""

from __future__ import annotations

import time
from functools import wraps

from allauth.account.authentication import get_authentication_records
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import urlencode

from apps_registry.allauth_internals import suspend_request_until
from apps_registry.selectors.partners import membership_for_user
from apps_registry.services.secret_access import Assurance, SecondFactorNeed, second_factor_need

# Where an owner sent to set up TOTP was going; the account pages link back to it until they get
# there (allauth's activation page does not follow `next`: it goes on to the recovery codes).
RETURN_SESSION_KEY = "console_return_after_second_factor"


def session_assurance(request: HttpRequest) -> Assurance:
    """RECENT_SECOND_FACTOR when this session's user entered a TOTP (or recovery) code, at sign-in
    or to reauthenticate, within ACCOUNT_REAUTHENTICATION_TIMEOUT seconds; else PASSWORD."""
    if not request.user.is_authenticated:
        return Assurance.PASSWORD
    oldest = time.time() - settings.ACCOUNT_REAUTHENTICATION_TIMEOUT
    records = get_authentication_records(request, request.user)
    if any(record.get("method") == "mfa" and record["at"] >= oldest for record in records):
        return Assurance.RECENT_SECOND_FACTOR
    return Assurance.PASSWORD


def second_factor_for_secrets(view_func=None, *, return_to: str | None = None):
    """For a page that shows a client secret or invites a member: an owner without TOTP is sent to
    set it up, one whose session did not use it lately is sent to enter a code (a POST is replayed
    afterwards); nothing else runs. `next` is this page, or
    the URL named `return_to` (reversed with the view's arguments) for a button that posts to an
    address of its own. Members who need nothing more, and anonymous users (the view's own login
    check answers them), pass through."""
    if view_func is None:
        return lambda view: second_factor_for_secrets(view, return_to=return_to)

    @wraps(view_func)
    def wrapper(request: HttpRequest, *args, **kwargs):
        membership = membership_for_user(user=request.user)
        need = membership and second_factor_need(
            membership=membership, assurance=session_assurance(request)
        )
        if need == SecondFactorNeed.SET_UP:
            messages.warning(
                request,
                "Owners must use two-factor authentication to see client secrets and to invite "
                "members. Set up an authenticator app here, then come back: nothing was "
                "created, sent or changed.",
            )
            back = reverse(return_to, kwargs=kwargs) if return_to else request.get_full_path()
            request.session[RETURN_SESSION_KEY] = back
            query = urlencode({REDIRECT_FIELD_NAME: back})
            return HttpResponseRedirect(f"{reverse('mfa_activate_totp')}?{query}")
        if need == SecondFactorNeed.CONFIRM:
            messages.info(
                request,
                "Enter the code from your authenticator app to continue: owners see client "
                "secrets and invite members only after using two-factor authentication in the "
                "last few minutes.",
            )
            return suspend_request_until(request, reverse("mfa_reauthenticate"))
        if membership:
            request.session.pop(RETURN_SESSION_KEY, None)
        return view_func(request, *args, **kwargs)

    return wrapper
