"""Delete expired OAuth tokens now: what the daily `clear_expired_oauth_tokens` task deletes
(apps_registry/tasks.py), which is what django-oauth-toolkit's `cleartokens` deletes, but in
windows of CLEAR_EXPIRED_TOKENS_BATCH_SIZE rows walked by id, each its own short transaction, so
it stays quick and never holds the token tables, however many rows piled up (ADR 0023). Use this
one: `cleartokens` still works but counts the remaining rows before every batch, which takes
hours on millions of tokens. Safe to run beside the scheduled task or twice.
"""

from django.core.management.base import BaseCommand

from apps_registry.services.housekeeping_jobs import expired_tokens_purge


class Command(BaseCommand):
    help = __doc__

    def handle(self, *args, **options):
        purge = expired_tokens_purge()
        deleted = ", ".join(f"{count} {kind}" for kind, count in purge.deleted.items())
        self.stdout.write(
            f"Deleted {deleted} in {purge.batches} batches "
            f"(longest {purge.longest_batch_ms:.0f} ms)."
        )
