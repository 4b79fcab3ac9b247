"""Races with real threads, each on its own database connection (PostgreSQL row locks)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
from django.db import connection

# Long enough for a call that waits on a row lock; a call still running then fails the test.
THREAD_TIMEOUT_SECONDS = 30


def race(
    *calls: Callable[[], object],
    expected_errors: type[Exception] | tuple[type[Exception], ...] = (),
) -> list[object]:
    """Start every call at the same moment, each in its own thread, and return each call's
    outcome in order: what it returned, or the error of `expected_errors` it raised. Any other
    error fails the test once every thread is done."""
    barrier = threading.Barrier(len(calls))
    outcomes: list[object] = [None] * len(calls)
    unexpected: list[BaseException] = []

    def run(index: int, call: Callable[[], object]) -> None:
        try:
            barrier.wait(timeout=10)
            outcomes[index] = call()
        except expected_errors as error:
            outcomes[index] = error
        except BaseException as error:  # re-raised in the test's thread below
            unexpected.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=item) for item in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=THREAD_TIMEOUT_SECONDS)
    if any(thread.is_alive() for thread in threads):
        pytest.fail(f"a racing call was still running after {THREAD_TIMEOUT_SECONDS}s")
    if unexpected:
        raise unexpected[0]
    return outcomes


def backend_pid() -> int:
    """This thread's PostgreSQL backend, for another thread to watch."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def hold_until_blocked_or_finished(pid: int, finished: threading.Event, timeout=10.0) -> None:
    """Keep the caller's transaction open until backend `pid` waits for a lock or `finished` is
    set: whichever happens shows whether the other side serializes behind this transaction."""
    deadline = time.monotonic() + timeout
    while not finished.wait(0.01) and time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute("SELECT cardinality(pg_blocking_pids(%s)) > 0", [pid])
            if cursor.fetchone()[0]:
                return
