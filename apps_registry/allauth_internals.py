"""django-allauth's private APIs, reached from here and nowhere else.

Written against django-allauth 65.21.1 (uv.lock; pyproject keeps it below the next major). allauth
promises nothing about its `internal` packages or underscored members, so when it is upgraded,
check each of these against the new version first (tests/console/test_login_lockout.py pins the
login limits, tests/apps_registry/test_admin_apps.py the staff accounts' TOTP):

- `allauth.core.internal.ratelimit.get_ip`: the client address exactly as allauth's rate limits
  key it, so that every per-address limit of ours counts the same caller as allauth's do.
- `allauth.core.internal.ratelimit.consume`: a limit of our own in ACCOUNT_RATE_LIMITS, counted in
  allauth's cache; the public `allauth.core.ratelimit.consume` answers only a bool, not the usage
  to roll back together with allauth's.
- `DefaultAccountAdapter`'s handling of its `login_failed` limit: the key it counts under
  (`_get_login_attempts_cache_key`), this attempt's usage (`_login_failed_rl_usage`) and its
  rollback (`_rollback_login_failed_rl_usage`), and the clearing after a password reset
  (`_delete_login_attempts_cached_email`, which allauth's password-reset flow calls).
  LoginFailedLimitHooks gives them names of our own.
- `allauth.mfa.totp.internal.auth.generate_totp_secret` and `TOTP.activate`: staff accounts are
  created with TOTP enrolled, from a command; allauth enrols only through its own page.
- `allauth.account.internal.flows.reauthentication.suspend_request`: what allauth's own
  `reauthentication_required` does, but towards the MFA reauthentication page rather than the
  password one: the POST is kept in the session and replayed once the code is entered (an owner
  rotating a client secret, ADR 0018).

It lives in apps_registry, the lowest layer that needs allauth's internals (staff accounts are
created here), so the console reaches it in the direction it imports everything else.
"""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.internal.flows.reauthentication import suspend_request
from allauth.core.internal import ratelimit
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.contrib.auth.base_user import AbstractBaseUser
from django.http import HttpRequest, HttpResponseRedirect


def rate_limit_client_address(request: HttpRequest) -> str:
    """allauth's rate-limit address: the account adapter's client IP, an IPv6 address narrowed
    to its ALLAUTH_RATE_LIMIT_IPV6_PREFIX network."""
    return ratelimit.get_ip(request)


def account_rate_limit_consume(
    request: HttpRequest, *, action: str, key: str
) -> ratelimit.RateLimitUsage | None:
    """Count one use of ACCOUNT_RATE_LIMITS[action] for `key`; None when the limit is reached."""
    return ratelimit.consume(request, app="allauth.account", action=action, key=key)


def totp_activate(user: AbstractBaseUser) -> str:
    """Enrol `user` with a new TOTP authenticator; returns its secret (for an authenticator
    app)."""
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return secret


def suspend_request_until(request: HttpRequest, page_url: str) -> HttpResponseRedirect:
    """Send the user to allauth's `page_url` (a reauthentication page) with `next` set to this
    request's path, keeping a POST's data in the session for allauth to replay afterwards."""
    return suspend_request(request, page_url)


class LoginFailedLimitHooks(DefaultAccountAdapter):
    """allauth's account adapter, its `login_failed` limit reachable through public names."""

    def login_failed_account_key(self, request: HttpRequest, **credentials: Any) -> str:
        """allauth's own key for an account's failed logins (the site and the login)."""
        return super()._get_login_attempts_cache_key(request, **credentials)

    def login_failed_key(self, request: HttpRequest, **credentials: Any) -> str:
        """The key allauth's `login_failed` limit counts an account's failures under, and which a
        completed password reset clears."""
        return self.login_failed_account_key(request, **credentials)

    def _get_login_attempts_cache_key(self, request: HttpRequest, **credentials: Any) -> str:
        return self.login_failed_key(request, **credentials)

    def login_failed_usage_extend(self, usage: ratelimit.RateLimitUsage) -> None:
        """Roll `usage` back together with this attempt's `login_failed` usage, which allauth
        does when the password proves right."""
        self._login_failed_rl_usage.usage.extend(usage.usage)

    def login_failed_usage_rollback(self) -> None:
        """Give back this attempt's `login_failed` usage."""
        self._rollback_login_failed_rl_usage()

    def login_failures_cleared(self, request: HttpRequest, **credentials: Any) -> None:
        """Called once a completed password reset has cleared the account's `login_failed`
        count."""

    def _delete_login_attempts_cached_email(self, request: HttpRequest, **credentials: Any) -> None:
        super()._delete_login_attempts_cached_email(request, **credentials)
        self.login_failures_cleared(request, **credentials)
