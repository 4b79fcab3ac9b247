"""allauth hooks: the console customises accounts here, never by forking allauth's views."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.internal import ratelimit
from django.http import HttpRequest
from django.urls import reverse

from apps_registry.selectors.authorizations import shops_for_seller
from apps_registry.selectors.partners import membership_for_user
from apps_registry.services.access_requests import REVIEW_PERMISSION


def client_address(request: HttpRequest) -> str:
    """The caller's address exactly as allauth's rate limits see it: the adapter's client IP
    (X-Forwarded-For read through ALLAUTH_TRUSTED_PROXY_COUNT proxies, never further), an IPv6
    address narrowed to its ALLAUTH_RATE_LIMIT_IPV6_PREFIX network."""
    return ratelimit.get_ip(request)


class AccountAdapter(DefaultAccountAdapter):
    """Partner Console's account adapter.

    Invitations rely on the default `is_email_verified`: following an invitation link stashes
    the invited address as verified (see the invitation view), so an invitee who signs up with
    it skips the verification e-mail they have, in effect, already answered.
    """

    def get_login_redirect_url(self, request: HttpRequest) -> str:
        """Each person lands where their work is: partners on their console, reviewers on the
        review queue, sellers in the seller center. Anyone else signed up to build apps, so the
        console's onboarding takes them from there."""
        user = request.user
        if membership_for_user(user=user) is not None:
            return reverse("partner:dashboard")
        if user.has_perm(REVIEW_PERMISSION):
            return reverse("admin:apps_registry_accessrequest_changelist")
        if shops_for_seller(seller=user).exists():
            return reverse("seller-home")
        return reverse("partner:dashboard")

    def get_signup_redirect_url(self, request: HttpRequest) -> str:
        """Sellers and reviewers are provisioned; whoever signs up is a partner to onboard."""
        return reverse("partner:dashboard")
