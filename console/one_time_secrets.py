"""A plaintext secret (an app's client secret, its webhook signing secret) carried in the session
from the change that made it to the next render of its page, where it is shown once."""

from __future__ import annotations

from enum import StrEnum

from django.http import HttpRequest

from apps_registry.models import PartnerApp


class OneTimeSecret(StrEnum):
    """Which secret, as the session key it is kept under (one per app)."""

    CLIENT = "console:one-time-secret:{app_id}"
    WEBHOOK = "console:one-time-webhook-secret:{app_id}"


def stash_one_time_secret(
    request: HttpRequest, app: PartnerApp, secret: str, *, kind: OneTimeSecret
) -> None:
    """Keep the plaintext secret in the session just until the next render of its page."""
    request.session[kind.format(app_id=app.pk)] = secret


def pop_one_time_secret(
    request: HttpRequest, app: PartnerApp, *, kind: OneTimeSecret
) -> str | None:
    """The stashed secret, removed from the session: it is shown on this render only."""
    return request.session.pop(kind.format(app_id=app.pk), None)
