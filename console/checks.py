"""System checks for the settings the console's endpoints rely on.

The token endpoint must be served by the console's TokenView: its transaction keeps the refresh
token's row lock until the rotated pair is saved and commits a replayed code's revocation with
the refusal (ADR 0007), and it carries the client-authentication throttle (ADR 0009).

Every per-address limit (logins, OAuth client authentication) keys on the client address allauth
derives from ALLAUTH_TRUSTED_PROXY_COUNT. Too low behind a proxy, every caller shares the proxy's
address and one guesser throttles everyone; set without a proxy, callers choose their own address
through X-Forwarded-For and no per-address limit holds. Django's proxy settings tell us which.
Those limits, and the endpoint catalog's version (ADR 0004), live in the default cache, which
production must share between its workers.
"""

from __future__ import annotations

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.urls import NoReverseMatch, resolve, reverse

from console.views.oauth.token import TokenView

PROXY_SETTINGS = ("SECURE_PROXY_SSL_HEADER", "USE_X_FORWARDED_HOST", "USE_X_FORWARDED_PORT")
# Caches that each worker keeps to itself, or that keep nothing: no count is shared.
UNSHARED_CACHE_BACKENDS = (
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
)


@register(Tags.urls)
def check_token_view(app_configs=None, **kwargs) -> list[CheckMessage]:
    try:
        match = resolve(reverse("oauth2_provider:token"))
    except NoReverseMatch:
        served_by = None
    else:
        served_by = getattr(match.func, "view_class", match.func)
    if isinstance(served_by, type) and issubclass(served_by, TokenView):
        return []
    name = "no view" if served_by is None else f"{served_by.__module__}.{served_by.__qualname__}"
    return [
        Error(
            f"The OAuth token endpoint (oauth2_provider:token) is served by {name}, not "
            "console.views.oauth.token.TokenView: refresh-token rotation no longer runs in one "
            "transaction, so two concurrent refreshes can both succeed, and failed client "
            "authentications are not throttled.",
            hint='Route "oauth/token/" to console.views.oauth.token.TokenView in '
            'console/urls/oauth.py, in the "oauth2_provider" namespace (ADR 0007, ADR 0009).',
            id="console.E001",
        )
    ]


@register(Tags.caches, deploy=True)
def check_shared_cache(app_configs=None, **kwargs) -> list[CheckMessage]:
    backend = settings.CACHES["default"]["BACKEND"]
    if backend not in UNSHARED_CACHE_BACKENDS:
        return []
    return [
        Warning(
            f"The default cache is {backend.rsplit('.', 1)[-1]}, which workers do not share: "
            "failed-login and client-authentication limits are counted per worker or not at "
            "all, so a guesser gets more tries than the limits say; and workers do not agree "
            "on the catalog's and the gate's versions, so a seller's revocation of one shop "
            "reaches the other workers' gate only when their copy is a minute old.",
            hint="Set REDIS_URL to a Redis every worker reaches (e.g. redis://cache:6379/0).",
            id="console.W003",
        )
    ]


@register(Tags.security, deploy=True)
def check_trusted_proxy_count(app_configs=None, **kwargs) -> list[CheckMessage]:
    if getattr(settings, "ALLAUTH_TRUSTED_CLIENT_IP_HEADER", None):
        return []  # the proxy names the client in a header of its own; the count is unused
    proxy_settings = [name for name in PROXY_SETTINGS if getattr(settings, name, None)]
    trusted_proxies = settings.ALLAUTH_TRUSTED_PROXY_COUNT
    if proxy_settings and trusted_proxies == 0:
        return [
            Warning(
                f"The site runs behind a proxy ({', '.join(proxy_settings)} set), but "
                "ALLAUTH_TRUSTED_PROXY_COUNT is 0: every caller gets the proxy's address, so "
                "one caller's failed logins or client authentications throttle everyone.",
                hint="Set ALLAUTH_TRUSTED_PROXY_COUNT to the number of proxies in front.",
                id="console.W001",
            )
        ]
    if trusted_proxies and not proxy_settings:
        return [
            Warning(
                f"ALLAUTH_TRUSTED_PROXY_COUNT is {trusted_proxies} but no proxy setting "
                f"({', '.join(PROXY_SETTINGS)}) is on: without a proxy, callers write their own "
                "X-Forwarded-For and pick the address every rate limit keys on.",
                hint="Set ALLAUTH_TRUSTED_PROXY_COUNT to 0 unless a proxy stands in front.",
                id="console.W002",
            )
        ]
    return []
