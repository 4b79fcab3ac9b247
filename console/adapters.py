"""allauth hooks: the console customises accounts here, never by forking allauth's views."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest
from django.urls import reverse

from apps_registry.selectors.partners import membership_for_user


class AccountAdapter(DefaultAccountAdapter):
    """Partner Console's account adapter.

    Invitations rely on the default `is_email_verified`: following an invitation link stashes
    the invited address as verified (see the invitation view), so an invitee who signs up with
    it skips the verification e-mail they have, in effect, already answered.
    """

    def get_login_redirect_url(self, request: HttpRequest) -> str:
        """Members of a partner organisation land on their console; everyone else as configured."""
        if membership_for_user(user=request.user) is not None:
            return reverse("partner:dashboard")
        return super().get_login_redirect_url(request)
