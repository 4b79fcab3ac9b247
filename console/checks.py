"""Deploy checks (`manage.py check --deploy`) for the settings the console's rate limits rely on.

Every per-address limit (logins, OAuth client authentication) keys on the client address allauth
derives from ALLAUTH_TRUSTED_PROXY_COUNT. Too low behind a proxy, every caller shares the proxy's
address and one guesser throttles everyone; set without a proxy, callers choose their own address
through X-Forwarded-For and no per-address limit holds. Django's proxy settings tell us which.
"""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Tags, Warning, register

PROXY_SETTINGS = ("SECURE_PROXY_SSL_HEADER", "USE_X_FORWARDED_HOST", "USE_X_FORWARDED_PORT")


@register(Tags.security, deploy=True)
def check_trusted_proxy_count(app_configs=None, **kwargs) -> list[Warning]:
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
