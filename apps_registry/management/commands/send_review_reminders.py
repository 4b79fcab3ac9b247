"""Expire approvals past their date, remind reviewers of overdue applications (at most once a day
each) and partners of approvals ending within 30, 7 and 1 days (each reminder once).

The scheduler runs this daily on the worker (apps_registry/tasks.py); the command runs it now.
Safe to run twice, even at once, or to miss a day (apps_registry/services/access_request_jobs.py).
A reminder that fails is logged and retried on the next run; the command then exits with an error.
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
