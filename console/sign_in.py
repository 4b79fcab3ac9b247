"""What the sign-in page knows about where the person is going: when `next` is an app's
authorization link, the page says "Sign in to continue to <app>" and offers no partner sign-up
(sellers' accounts are provisioned by the platform)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from django.http import HttpRequest
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from apps_registry.models import PartnerApp
from apps_registry.selectors.authorizations import usable_app_for_client_id


def app_continued_to(*, request: HttpRequest, next_url: str | None) -> PartnerApp | None:
    """The app whose authorization link `next_url` is, or None: for any other page, a link off
    this site, or a client id that names no usable app."""
    if not next_url or not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return None
    parts = urlsplit(next_url)
    if parts.path != reverse("oauth2_provider:authorize"):
        return None
    client_ids = parse_qs(parts.query).get("client_id", [])
    if len(client_ids) != 1:
        return None
    return usable_app_for_client_id(client_id=client_ids[0])
