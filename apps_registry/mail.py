"""The one place e-mails are built: every message, allauth's and the console's, is a plain-text
part and an HTML part, each extending the platform's layout (templates/email/layout.txt and
layout.html), sent from DEFAULT_FROM_EMAIL to one recipient.

Subjects carry no prefix (no host, no site name): the sender's name already says who writes.
Links are absolute: `site_url` is the public address the console is reached at (OAUTH_ISSUER).
"""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string


def site_url() -> str:
    """The console's public address, without a trailing slash."""
    return settings.OAUTH_ISSUER.rstrip("/")


def branded_message(
    *,
    to: str,
    subject: str,
    template: str,
    context: dict,
    greeting_name: str,
    headers: dict[str, str] | None = None,
) -> EmailMultiAlternatives:
    """The message `template` (rendered as `template.txt` and `template.html`) to `to`,
    addressed to `greeting_name` (a full name or an e-mail address, never a username)."""
    context = {**context, "greeting_name": greeting_name, "site_url": site_url()}
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"{template}.txt", context).strip() + "\n",
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        headers=headers,
    )
    message.attach_alternative(render_to_string(f"{template}.html", context), "text/html")
    return message
