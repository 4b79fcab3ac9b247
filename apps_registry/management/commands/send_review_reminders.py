"""Daily: expire approvals past their date, remind reviewers of overdue applications and partners
of approvals ending in 30, 7 or 1 days."""

from django.core.management.base import BaseCommand

from apps_registry import notifications
from apps_registry.selectors.access_requests import approvals_ending_in, overdue_access_requests
from apps_registry.services.access_requests import access_requests_expire_due

REMIND_DAYS_BEFORE_EXPIRY = (30, 7, 1)


class Command(BaseCommand):
    help = __doc__

    def handle(self, *args, **options):
        expired = access_requests_expire_due()
        overdue = list(overdue_access_requests())
        notifications.notify_reviewers_of_overdue(access_requests=overdue)
        ending = list(approvals_ending_in(days=REMIND_DAYS_BEFORE_EXPIRY))
        for access_request in ending:
            notifications.notify_partner_of_expiring_approval(access_request=access_request)
        self.stdout.write(
            f"Expired {expired} approval(s); {len(overdue)} application(s) past the review "
            f"target; reminded partners of {len(ending)} approval(s) ending soon."
        )
