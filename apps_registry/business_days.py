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
    """Whole business days after `start` up to and including `end`; 0 if `end` ≤ `start`.

    In constant time, not day by day: the review queue asks this for every row it shows, and the
    oldest applications it lists first can be years old. Any seven days in a row hold five
    business days; only the days after the last whole week are looked at one by one."""
    if end <= start:
        return 0
    weeks, rest = divmod((end - start).days, 7)
    after_whole_weeks = start + timedelta(weeks=weeks)
    return weeks * 5 + sum(
        is_business_day(after_whole_weeks + timedelta(days=offset)) for offset in range(1, rest + 1)
    )
