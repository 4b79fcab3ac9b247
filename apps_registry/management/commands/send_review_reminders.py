"""Expire approvals past their date, remind reviewers of overdue applications (at most once a day
each) and partners of approvals ending within 30, 7 and 1 days (each reminder once).

The scheduler runs this daily on the worker (apps_registry/tasks.py); the command runs it now.
Safe to run twice, even at once, or to miss a day (apps_registry/services/access_request_jobs.py).
Each reminder is recorded and its email queued in one transaction. One that cannot be (a template
or database error) is rolled back and logged, the others still go, the command exits with an
error, and the next run retries it. Once queued, the email is the send_email task's: a send that
fails is retried on its schedule, then logged and kept as a failed task result; the reminder stays
recorded and is not sent again (apps_registry/mail.py).
"""

from django.core.management.base import BaseCommand, CommandError

from apps_registry.services.access_request_jobs import review_reminders_send


class Command(BaseCommand):
    help = __doc__

    def handle(self, *args, **options):
        run = review_reminders_send()
        self.stdout.write(
            f"Expired {run.expired} approval(s); {run.digest_listed} application(s) past the "
            f"review target; reminded partners of {run.reminded} approval(s) ending soon."
        )
        if run.failed:
            raise CommandError(
                f"{run.failed} reminder(s) failed (see the log); the next run retries them."
            )
