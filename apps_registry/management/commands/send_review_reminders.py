"""Daily: expire approvals past their date, remind reviewers of overdue applications (at most once
a day each) and partners of approvals ending within 30, 7 and 1 days (each reminder once).

Safe to run twice or to miss a day: every reminder is recorded on its AccessRequest, and a late
run sends only the most urgent reminder now due. Each e-mail is sent first and recorded after it
went (a small transaction of its own), so a failed e-mail is logged, does not stop the run, and is
retried on the next run; the command then exits with an error so the scheduler notices. The price
is at-least-once: two overlapping runs, or a crash between sending and recording, may repeat one.
"""

import logging

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from apps_registry import notifications
from apps_registry.selectors.access_requests import expiry_reminders_due, overdue_reminders_due
from apps_registry.services.access_request_jobs import (
    access_request_record_expiry_reminder,
    access_requests_expire_due,
    access_requests_record_overdue_reminder,
)

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = __doc__

    def handle(self, *args, **options):
        now = timezone.now()
        expired = access_requests_expire_due(now=now)
        failed = 0

        overdue = list(overdue_reminders_due(now=now))
        overdue_ids = [access_request.pk for access_request in overdue]
        digest_listed = 0
        if overdue:
            if _sent(
                notifications.notify_reviewers_of_overdue, overdue_ids, access_requests=overdue
            ):
                access_requests_record_overdue_reminder(request_ids=overdue_ids, now=now)
                digest_listed = len(overdue)
            else:
                failed += 1

        reminded = 0
        for access_request, days_before in expiry_reminders_due(now=now):
            if _sent(
                notifications.notify_partner_of_expiring_approval,
                [access_request.pk],
                access_request=access_request,
            ):
                access_request_record_expiry_reminder(
                    request_id=access_request.pk, days_before=days_before, now=now
                )
                reminded += 1
            else:
                failed += 1

        self.stdout.write(
            f"Expired {expired} approval(s); {digest_listed} application(s) past the review "
            f"target; reminded partners of {reminded} approval(s) ending soon."
        )
        if failed:
            raise CommandError(
                f"{failed} reminder e-mail(s) failed (see the log); the next run retries them."
            )


def _sent(notify, request_ids: list[int], **kwargs) -> bool:
    """Send one reminder; a failure (mail server down, bad address…) is logged, not raised, so
    the other reminders still go."""
    try:
        notify(**kwargs)
    except Exception:
        logger.exception(
            "Reminder e-mail %s failed for access request(s) %s", notify.__name__, request_ids
        )
        return False
    return True
