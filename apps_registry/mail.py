"""The one place e-mails are built and sent: every message, allauth's and the console's, is a
plain-text part and an HTML part, each extending the platform's layout (templates/email/layout.txt
and layout.html), sent from DEFAULT_FROM_EMAIL to one recipient.

Messages go out from the worker (`send_later`), never from the request, so a slow or failing mail
server neither slows a page nor turns a committed change into an error; a failed send is logged and
tried again a few times. The queued message is encrypted (core/encryption.py): its links carry
one-time tokens (invitations, password resets, e-mail verification), and the task's arguments are
kept in the task table, and shown in the admin, long after it ran.

Subjects carry no prefix (no host, no site name): the sender's name already says who writes.
Links are absolute: `site_url` is the public address the console is reached at (OAUTH_ISSUER).
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, mailers
from django.db import transaction
from django.tasks import task
from django.template.loader import render_to_string
from django.utils import timezone

from core.encryption import InvalidToken, decrypt, encrypt

logger = logging.getLogger(__name__)

# A failed send is tried again after each of these delays (the server may be down for a while),
# then given up: logged as an error and kept as a failed task result.
RETRY_DELAYS_SECONDS = [60, 10 * 60, 60 * 60, 6 * 3600]


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


def send_later(message: EmailMultiAlternatives) -> None:
    """Send `message` from the worker once the current transaction commits; nothing if it rolls
    back."""
    enqueue = partial(send_email.enqueue, encrypted_message=encrypt(json.dumps(_as_json(message))))
    if send_email.get_backend().options.get("enqueue_on_commit", True):
        # Robust: a queue that is down is logged; it must not turn a committed change into an error.
        transaction.on_commit(enqueue, robust=True)
    else:
        enqueue()  # the task joins this transaction (see TASKS in console/settings.py)


@task
def send_email(*, encrypted_message: str, attempt: int = 1) -> int:
    """Send one message `send_later` queued; on failure, queue the next attempt or give up."""
    try:
        message = json.loads(decrypt(encrypted_message))
    except InvalidToken:
        # No retry: the keys that encrypted it are gone (ENCRYPTION_KEYS, SECRET_KEY_FALLBACKS).
        logger.error("A queued email cannot be decrypted with the configured keys; not sent")
        raise
    try:
        return mailers.default.send_messages([_from_json(message)])
    except Exception:
        if attempt > len(RETRY_DELAYS_SECONDS):
            logger.exception(
                "Email %r to %s failed %d times; giving up",
                message["subject"],
                message["to"],
                attempt,
            )
            raise
        delay = RETRY_DELAYS_SECONDS[attempt - 1]
        logger.exception(
            "Email %r to %s failed (attempt %d); trying again in %d seconds",
            message["subject"],
            message["to"],
            attempt,
            delay,
        )
        # A backend that cannot defer (the tests' ImmediateBackend) tries again at once.
        retry = (
            send_email.using(run_after=timezone.now() + timedelta(seconds=delay))
            if send_email.get_backend().supports_defer
            else send_email
        )
        retry.enqueue(encrypted_message=encrypted_message, attempt=attempt + 1)
        return 0


def _as_json(message: EmailMultiAlternatives) -> dict:
    # The parts of a message branded_message builds, as JSON for `send_later` to encrypt.
    return {
        "subject": message.subject,
        "body": message.body,
        "alternatives": [[content, mimetype] for content, mimetype in message.alternatives],
        "from_email": message.from_email,
        "to": message.to,
        "headers": message.extra_headers,
    }


def _from_json(message: dict) -> EmailMultiAlternatives:
    return EmailMultiAlternatives(
        subject=message["subject"],
        body=message["body"],
        from_email=message["from_email"],
        to=message["to"],
        headers=message["headers"],
        alternatives=[tuple(alternative) for alternative in message["alternatives"]],
    )
