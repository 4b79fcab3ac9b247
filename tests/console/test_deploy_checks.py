"""`check --deploy` warns when ALLAUTH_TRUSTED_PROXY_COUNT disagrees with the proxy settings: every
per-address rate limit depends on it (ADR 0009)."""

from __future__ import annotations

from django.core.checks import run_checks


def console_warnings() -> list[str]:
    issues = run_checks(include_deployment_checks=True, tags=["security"])
    return [issue.id for issue in issues if issue.id.startswith("console.")]


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
