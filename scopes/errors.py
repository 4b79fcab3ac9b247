"""Refusals of catalog changes: core.errors' categories, so callers handle them like any other
DomainError, under one CatalogError so the catalog's own callers can catch just theirs. Every raise
passes a code from scopes.error_codes; the message is safe to show and says what to do."""

from core.errors import (
    DomainError,
    InvalidInputError,
    InvalidTransitionError,
    PermissionRefusedError,
)
from scopes.error_codes import CatalogErrorCode


class CatalogError(DomainError):
    """A catalog change was refused; the message says what to fix and is safe to show."""


class CatalogInputError(CatalogError, InvalidInputError):
    """A value or field the catalog does not accept."""


class CatalogPermissionError(CatalogError, PermissionRefusedError):
    """The actor may not make this catalog change (not a catalog manager, or their own proposal)."""


class CatalogStateError(CatalogError, InvalidTransitionError):
    """The change is no longer pending, or the scope moved on since it was proposed."""


class CatalogHistoryChangeRefusedError(CatalogPermissionError):
    """Someone tried to change or delete a row of the catalog's append-only history."""

    def __init__(self, message: str) -> None:
        super().__init__(message, code=CatalogErrorCode.HISTORY_APPEND_ONLY)


# Enough to fix a file in one go without burying the first problem under a thousand others.
MAX_REPORTED_PROBLEMS = 20


class CatalogFileError(CatalogInputError):
    """The catalog file is malformed; nothing was written."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        shown = problems[:MAX_REPORTED_PROBLEMS]
        more = len(problems) - len(shown)
        lines = [f"The catalog file is invalid ({len(problems)} problem(s)); nothing was changed:"]
        lines += [f"  - {problem}" for problem in shown]
        if more:
            lines.append(f"  … and {more} more")
        super().__init__("\n".join(lines), code=CatalogErrorCode.INVALID_CATALOG_FILE)
