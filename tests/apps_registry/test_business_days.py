from datetime import date, timedelta

import pytest

from apps_registry.business_days import add_business_days, business_days_between

MONDAY, FRIDAY, SATURDAY = date(2026, 3, 2), date(2026, 3, 6), date(2026, 3, 7)


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        (MONDAY, 5, date(2026, 3, 9)),  # Monday → next Monday
        (FRIDAY, 1, date(2026, 3, 9)),  # Friday → Monday
        (SATURDAY, 1, date(2026, 3, 9)),  # Saturday → Monday
        (date(2026, 3, 4), 0, date(2026, 3, 4)),
    ],
)
def test_add_business_days_skips_weekends(start, days, expected):
    assert add_business_days(start, days) == expected


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        (date(2026, 3, 9), -5, MONDAY),  # Monday → previous Monday
        (date(2026, 3, 9), -1, FRIDAY),  # Monday → Friday
        (date(2026, 3, 8), -1, FRIDAY),  # Sunday → Friday
    ],
)
def test_add_business_days_counts_back_with_a_negative_count(start, days, expected):
    assert add_business_days(start, days) == expected


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (MONDAY, date(2026, 3, 9), 5),
        (FRIDAY, date(2026, 3, 9), 1),  # the weekend does not count
        (SATURDAY, date(2026, 3, 8), 0),
        (MONDAY, MONDAY, 0),
        (date(2026, 3, 9), MONDAY, 0),  # end before start
    ],
)
def test_business_days_between_counts_weekdays_after_the_start(start, end, expected):
    assert business_days_between(start, end) == expected


def test_counting_forward_and_back_agree():
    for offset in range(14):
        start = date.fromordinal(MONDAY.toordinal() + offset)
        later = add_business_days(start, 3)
        assert business_days_between(start, later) == 3
        if start.weekday() < 5:
            assert add_business_days(later, -3) == start


def weekdays_after(start: date, end: date) -> int:
    """The definition, day by day."""
    days = (end - start).days
    return sum((start + timedelta(days=n)).weekday() < 5 for n in range(1, days + 1))


def test_business_days_between_agrees_with_counting_day_by_day_over_any_span():
    for start in (MONDAY + timedelta(days=n) for n in range(7)):
        for length in [*range(-3, 30), 365, 3 * 365 + 11]:
            end = start + timedelta(days=length)
            assert business_days_between(start, end) == max(0, weekdays_after(start, end)), (
                start,
                end,
            )
