"""allauth hooks: the console customises accounts here, never by forking allauth's views."""

from __future__ import annotations

import logging
from typing import Any

from allauth.core import context as allauth_context
from allauth.core import ratelimit
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.sites.shortcuts import get_current_site
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.core.mail import EmailMessage
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse

from apps_registry.allauth_internals import (
    LoginFailedLimitHooks,
    account_rate_limit_consume,
    rate_limit_client_address,
)
from apps_registry.mail import branded_message, send_later, site_url
from apps_registry.people import display_name
from apps_registry.selectors.roles import roles_for_user
from console.navigation import landing_url

logger = logging.getLogger(__name__)

# ACCOUNT_RATE_LIMITS action: failed logins of one account from every address together.
LOGIN_FAILED_ACCOUNT = "login_failed_account"


def client_address(request: HttpRequest) -> str:
    """The caller's address exactly as allauth's rate limits see it: the adapter's client IP
    (X-Forwarded-For read through ALLAUTH_TRUSTED_PROXY_COUNT proxies, never further, or the
    nearest hop when it is shorter), an IPv6 address narrowed to its
    ALLAUTH_RATE_LIMIT_IPV6_PREFIX network."""
    return rate_limit_client_address(request)


class AccountAdapter(LoginFailedLimitHooks):
    """Partner Console's account adapter.

    Invitations rely on the default `is_email_verified`: following an invitation link stashes
    the invited address as verified (see the invitation view), so an invitee who signs up with
    it skips the verification e-mail they have, in effect, already answered.

    Failed logins lock an account per (account, address), up to a higher per-account ceiling
    (ADR 0009): allauth's `login_failed` limit keys on the account alone, which lets anyone lock
    the real user out by failing on purpose.
    """

    def get_login_redirect_url(self, request: HttpRequest) -> str:
        """Each person lands where their work is, their main area (Roles.main_area, which also
        picks the header's area): partners on their console, reviewers on the review queue (other
        staff on the admin), sellers in the seller center. Anyone else signed up to build apps, so
        the console's onboarding takes them from there."""
        return landing_url(roles_for_user(user=request.user))

    def get_client_ip(self, request: HttpRequest) -> str:
        """allauth's client IP, or the nearest hop's address when X-Forwarded-For has fewer
        entries than ALLAUTH_TRUSTED_PROXY_COUNT (allauth raises ImproperlyConfigured: a 500 on
        every page that rate-limits). Such a request skipped some of our proxies (a caller reaching
        an inner proxy directly, a health check), so no entry in its header is known to come from
        a trusted proxy; REMOTE_ADDR is the one address the caller cannot write. Callers arriving
        that way share the hop's limits: they can slow each other down, never escape them."""
        try:
            return super().get_client_ip(request)
        except ImproperlyConfigured:
            address = request.META.get("REMOTE_ADDR")
            if not address:
                raise PermissionDenied("Unable to determine client IP address") from None
            logger.warning(
                "X-Forwarded-For has fewer entries than ALLAUTH_TRUSTED_PROXY_COUNT; "
                "using the nearest hop's address %s",
                address,
            )
            return address

    def render_mail(
        self,
        template_prefix: str,
        email: str,
        context: dict[str, Any],
        headers: dict[str, str] | None = None,
    ) -> EmailMessage:
        """allauth's messages in the platform's layout, like the console's own: the subject from
        `<prefix>_subject.txt` (ACCOUNT_EMAIL_SUBJECT_PREFIX is empty), the body from
        `<prefix>_message.txt` and `.html` (templates/account/email/). The person is greeted by
        name, else by the address the message goes to (an unknown account has no user)."""
        subject = " ".join(render_to_string(f"{template_prefix}_subject.txt", context).split())
        user = context.get("user")
        return branded_message(
            to=email,
            subject=self.format_email_subject(subject),
            template=f"{template_prefix}_message",
            context=context,
            greeting_name=display_name(user) if user is not None else email,
            headers=headers,
        )

    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        """allauth's messages leave from the worker, like the console's (apps_registry/mail.py):
        allauth's own context (the request, the address, the site), then `render_mail`."""
        request = allauth_context.request
        context = {
            "request": request,
            "email": email,
            "current_site": get_current_site(request),
            **context,
        }
        send_later(self.render_mail(template_prefix, email, context))

    def send_notification_mail(
        self,
        template_prefix: str,
        user: AbstractBaseUser,
        context: dict[str, Any] | None = None,
        email: str | None = None,
    ) -> None:
        """allauth's security notifications (templates/email/security_notification.*): allauth
        leaves the user out of their context, so `render_mail` would greet the address; each ends
        with what to do if the change was not the person's own: reset the password, through this
        absolute link to the console's public address."""
        context = {
            **(context or {}),
            "user": user,
            "password_reset_url": site_url() + reverse("account_reset_password"),
        }
        super().send_notification_mail(template_prefix, user, context, email)

    def get_signup_redirect_url(self, request: HttpRequest) -> str:
        """Sellers and reviewers are provisioned; whoever signs up is a partner to onboard."""
        return reverse("partner:dashboard")

    def login_failed_key(self, request: HttpRequest, **credentials: Any) -> str:
        # Per (account, address): a stranger's failures lock out only the stranger's address.
        return f"{self.login_failed_account_key(request, **credentials)}:{client_address(request)}"

    def pre_authenticate(self, request: HttpRequest, **credentials: Any) -> None:
        """allauth's per-address and per-(account, address) limits, then the account's ceiling."""
        super().pre_authenticate(request, **credentials)
        account_usage = account_rate_limit_consume(
            request,
            action=LOGIN_FAILED_ACCOUNT,
            key=self.login_failed_account_key(request, **credentials),
        )
        if not account_usage:
            self.login_failed_usage_rollback()  # this attempt never reached the password
            raise self.validation_error("too_many_login_attempts")
        # allauth rolls its usage back when the password was right; the ceiling's goes with it.
        self.login_failed_usage_extend(account_usage)

    def login_failures_cleared(self, request: HttpRequest, **credentials: Any) -> None:
        """A completed password reset also lifts the account's ceiling (the reset mail proved
        the person owns the account, and the old password no longer works)."""
        ratelimit.clear(
            request,
            action=LOGIN_FAILED_ACCOUNT,
            key=self.login_failed_account_key(request, **credentials),
        )
