"""The console's system checks: the token endpoint is the console's atomic, throttled view; and
`check --deploy` warns when the cache is not shared between workers, or when
ALLAUTH_TRUSTED_PROXY_COUNT disagrees with the proxy settings: every per-address rate limit
depends on both (ADR 0009)."""

from __future__ import annotations

from django.core.checks import run_checks
from django.test import override_settings
from django.urls import include, path
from oauth2_provider.views import TokenView as DOTTokenView

from console.checks import check_shared_cache, check_token_view

# A URL configuration serving the token endpoint with DOT's own view (ROOT_URLCONF = __name__).
urlpatterns = [
    path(
        "",
        include(([path("oauth/token/", DOTTokenView.as_view(), name="token")], "oauth2_provider")),
    ),
]


def console_warnings() -> list[str]:
    issues = run_checks(include_deployment_checks=True, tags=["security"])
    return [issue.id for issue in issues if issue.id.startswith("console.")]


def ids(issues) -> list[str]:
    return [issue.id for issue in issues]


def test_the_token_endpoint_is_the_consoles_token_view():
    assert check_token_view() == []


def test_a_token_endpoint_served_by_dots_own_view_is_an_error(settings):
    settings.ROOT_URLCONF = __name__

    assert ids(check_token_view()) == ["console.E001"]


def test_a_shared_cache_passes():
    redis = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://cache"}
    # Only for the check: the fixtures that clear the cache must find the test's own again.
    with override_settings(CACHES={"default": redis}):
        issues = check_shared_cache()

    assert issues == []


def test_a_cache_local_to_each_worker_is_reported(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

    assert ids(check_shared_cache()) == ["console.W003"]


def test_a_cache_that_keeps_nothing_is_reported(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}

    assert ids(check_shared_cache()) == ["console.W003"]


def test_behind_a_proxy_a_trusted_proxy_count_of_zero_is_reported(settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 0

    assert console_warnings() == ["console.W001"]


def test_behind_a_proxy_a_trusted_proxy_count_passes(settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1

    assert console_warnings() == []


def test_a_trusted_proxy_count_without_any_proxy_setting_is_reported(settings):
    settings.SECURE_PROXY_SSL_HEADER = None
    settings.USE_X_FORWARDED_HOST = False
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1

    assert console_warnings() == ["console.W002"]


def test_a_trusted_client_ip_header_needs_no_count(settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 0
    settings.ALLAUTH_TRUSTED_CLIENT_IP_HEADER = "X-Real-IP"

    assert console_warnings() == []
