"""Typed details of history rows: one frozen dataclass per action of an event table (ADR 0014).

A history row's `action` says which class its details are; the class maps to and from the JSON the
row stores, under the keys rows already hold (the tables are append-only, so old rows are never
rewritten), and says which of its fields a partner may see."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any, ClassVar, Self


@dataclasses.dataclass(frozen=True)
class EventDetails:
    """What one action of a history table records. Field names are the stored JSON keys; fields
    are JSON types (dates as ISO strings) so what is read back equals what was written. A field
    left None is not stored, as rows before this schema left such keys out."""

    action: ClassVar[str]
    # The stable name a webhook delivers the event under, e.g. "access_request.approved".
    type_name: ClassVar[str]
    # The fields a partner may see; the others are for staff (reviewers, counts, secret hints).
    partner_fields: ClassVar[tuple[str, ...]] = ()

    def stored(self) -> dict[str, Any]:
        """The row's `details` JSON."""
        return {
            field.name: getattr(self, field.name)
            for field in dataclasses.fields(self)
            if getattr(self, field.name) is not None
        }

    @classmethod
    def from_stored(cls, stored: dict[str, Any] | None) -> Self:
        """Read a row's `details`; keys this class does not know are ignored and absent optional
        keys take their defaults, so rows written before a field existed still read."""
        names = {field.name for field in dataclasses.fields(cls)}
        return cls(**{key: value for key, value in (stored or {}).items() if key in names})

    def partner_payload(self) -> dict[str, Any]:
        """What a partner may see of these details (a webhook's `data`): JSON-safe, and never a
        token, a secret or what only reviewers see."""
        stored = self.stored()
        return {name: stored[name] for name in self.partner_fields if name in stored}


class EventSchema:
    """Every action of one event table and its details class: a row reads through here."""

    def __init__(self, details_classes: Iterable[type[EventDetails]]):
        self.by_action: dict[str, type[EventDetails]] = {}
        for details_class in details_classes:
            if details_class.action in self.by_action:
                raise ValueError(f"Two details classes for the action {details_class.action!r}.")
            self.by_action[details_class.action] = details_class

    def read(self, action: str, stored: dict[str, Any] | None) -> EventDetails:
        return self.by_action[action].from_stored(stored)
