"""Keyset pagination, the one implementation behind the API's lists and the console's long pages.

A page starts after (or before) the last row the client saw, named by an opaque cursor holding that
row's values of the list's ordering: `WHERE (created_at, id) < (…)` reads one index range however
deep the client pages, where an OFFSET reads and discards every row before the page and a page
count needs a COUNT(*) of the whole list (ADR 0022). The queryset's own `order_by` is the
ordering; it must end with the primary key, so that no two rows share a position and a page never
repeats or skips a row that ties on the other columns.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import json
import math
import operator
from dataclasses import dataclass
from functools import reduce
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Model, Q, QuerySet
from django.http import HttpRequest

CURSOR_PARAMETER = "cursor"
PRIMARY_KEY_NAMES = ("pk", "id")
FORWARD = "next"
BACKWARD = "previous"


class InvalidCursorError(ValueError):
    """A cursor that cannot be this list's: garbled, cut short, or shaped for another ordering.

    A well-formed position from another list is not detected; it only names a place in this one,
    and the queryset stays scoped to its owner."""

    def __init__(self) -> None:
        super().__init__(
            "This page link is not valid (it may be cut short or changed): start again from "
            "the first page."
        )


@dataclass(frozen=True)
class KeysetPage:
    """One page of rows and the cursors of the pages either side; None where there is none."""

    items: list
    previous_cursor: str | None
    next_cursor: str | None

    @property
    def has_other_pages(self) -> bool:
        return bool(self.previous_cursor or self.next_cursor)


@dataclass(frozen=True)
class _Ordering:
    """The queryset's ordering as (field, descending) pairs, the primary key last."""

    columns: tuple[tuple[Any, bool], ...]

    @classmethod
    def of(cls, queryset: QuerySet) -> _Ordering:
        names = queryset.query.order_by
        if not names or names[-1].lstrip("-") not in PRIMARY_KEY_NAMES:
            raise ValueError(
                f"Keyset pages need an ordering that ends with the primary key, not {names!r}."
            )
        meta = queryset.model._meta
        return cls(
            tuple(
                (
                    meta.pk
                    if name.lstrip("-") in PRIMARY_KEY_NAMES
                    else meta.get_field(name.lstrip("-")),
                    name.startswith("-"),
                )
                for name in names
            )
        )

    def position(self, row: Model) -> list:
        return [getattr(row, field.attname) for field, _ in self.columns]

    def after(self, values: list, *, backward: bool) -> Q:
        """Rows past `values` in the ordering (before them when `backward`): the first column's
        range, which an index on it serves, then the lexicographic tie-breaks."""
        strictly_past = []
        ties = Q()
        for (field, descending), value in zip(self.columns, values, strict=True):
            lookup = "lt" if descending != backward else "gt"
            strictly_past.append(ties & Q(**{f"{field.attname}__{lookup}": value}))
            ties &= Q(**{field.attname: value})
        first_field, first_descending = self.columns[0]
        first_lookup = "lte" if first_descending != backward else "gte"
        return Q(**{f"{first_field.attname}__{first_lookup}": values[0]}) & reduce(
            operator.or_, strictly_past
        )

    def encode(self, values: list, *, direction: str) -> str:
        position = [
            value.isoformat() if isinstance(value, datetime.date | datetime.time) else value
            for value in values
        ]
        raw = json.dumps([direction, position], separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    def decode(self, cursor: str) -> tuple[str, list]:
        try:
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
            direction, position = json.loads(
                raw, parse_float=_finite_number, parse_constant=_finite_number
            )
            if direction not in (FORWARD, BACKWARD) or len(position) != len(self.columns):
                raise InvalidCursorError
            # clean(), not to_python(): an id past the column's range is refused here, not by
            # the database.
            values = [
                field.clean(value, None)
                for (field, _), value in zip(self.columns, position, strict=True)
            ]
        except (binascii.Error, ValueError, TypeError, AttributeError, ValidationError) as error:
            raise InvalidCursorError from error
        if any(value is None for value in values):
            raise InvalidCursorError
        return direction, values


def _finite_number(text: str) -> float:
    """A cursor's number as JSON spells it, refused unless finite: `Infinity`, or `1e400` which
    parses to infinity, would reach an integer column's int() as an OverflowError (a 500), and no
    cursor handed out holds one of them or `NaN`."""
    number = float(text)
    if not math.isfinite(number):
        raise InvalidCursorError
    return number


def keyset_page(queryset: QuerySet, *, cursor: str | None, size: int) -> KeysetPage:
    """The page of `queryset` that `cursor` names (the first page when it is None or empty), in
    two index-range reads at most; raises InvalidCursorError for a cursor it did not hand out."""
    ordering = _Ordering.of(queryset)
    if not cursor:
        rows = list(queryset[: size + 1])
        return _page(ordering, rows[:size], has_previous=False, has_next=len(rows) > size)
    direction, values = ordering.decode(cursor)
    if direction == FORWARD:
        rows = list(queryset.filter(ordering.after(values, backward=False))[: size + 1])
        return _page(ordering, rows[:size], has_previous=True, has_next=len(rows) > size)
    rows = list(queryset.filter(ordering.after(values, backward=True)).reverse()[: size + 1])
    if not rows:  # nothing before it any more: the first page is what the client wants
        return keyset_page(queryset, cursor=None, size=size)
    return _page(ordering, rows[:size][::-1], has_previous=len(rows) > size, has_next=True)


def _page(ordering: _Ordering, items: list, *, has_previous: bool, has_next: bool) -> KeysetPage:
    return KeysetPage(
        items=items,
        previous_cursor=(
            ordering.encode(ordering.position(items[0]), direction=BACKWARD)
            if items and has_previous
            else None
        ),
        next_cursor=(
            ordering.encode(ordering.position(items[-1]), direction=FORWARD)
            if items and has_next
            else None
        ),
    )


def keyset_page_for_request(request: HttpRequest, queryset: QuerySet, *, size: int) -> KeysetPage:
    """A console page's list at its `?cursor=` (templates/console/_pagination.html links the
    pages either side). A cursor the page did not hand out shows the first page and says so: the
    reader followed a broken link, and the list itself is what they came for."""
    try:
        return keyset_page(queryset, cursor=request.GET.get(CURSOR_PARAMETER), size=size)
    except InvalidCursorError as error:
        messages.warning(request, str(error))
        return keyset_page(queryset, cursor=None, size=size)
