"""Business-day arithmetic (Monday to Friday) for the review target: one calendar for every
count, so the queue's age, the overdue cut-off and the partner's expected date agree."""

from __future__ import annotations

from datetime import date, timedelta

_SATURDAY = 5


def is_business_day(day: date) -> bool:
    return day.weekday() < _SATURDAY


def add_business_days(start: date, count: int) -> date:
    """The date `count` business days after `start` (before it if `count` is negative)."""
    step = timedelta(days=1 if count >= 0 else -1)
    day, remaining = start, abs(count)
    while remaining > 0:
        day += step
        if is_business_day(day):
            remaining -= 1
    return day


def business_days_between(start: date, end: date) -> int:
    """Whole business days after `start` up to and including `end`; 0 if `end` ≤ `start`."""
    days, day = 0, start
    while day < end:
        day += timedelta(days=1)
        if is_business_day(day):
            days += 1
    return days
