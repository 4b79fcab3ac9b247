"""The real worker in a test: django-tasks-db's db_worker runs what the database backend queued."""

from __future__ import annotations

import signal

from django.core.management import call_command


def run_worker() -> None:
    """Run every ready task, as `manage.py db_worker --batch` does, then restore the signal
    handlers the worker installs."""
    handlers = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM)}
    try:
        call_command(
            "db_worker", batch=True, queue_name="*", startup_delay=False, reload=False, verbosity=0
        )
    finally:
        for number, handler in handlers.items():
            signal.signal(number, handler)
