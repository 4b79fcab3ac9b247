"""apps_registry's refusals that carry more than a category and a code. Services raise these or
core.errors' categories, always with a code from apps_registry.error_codes."""

from __future__ import annotations

from apps_registry.error_codes import AccessRequestErrorCode, HistoryErrorCode
from core.errors import InvalidTransitionError, NotFoundError, PermissionRefusedError


class AccessRequestNotFoundError(NotFoundError):
    """No access request has this id."""


class StaleAccessRequestError(InvalidTransitionError):
    """The request changed after the reviewer opened it (optimistic locking)."""


class SeparationOfDutiesError(PermissionRefusedError):
    """The reviewer is too close to the application: a conflict of interest, or a second approval
    of their own. Refusals of this kind are logged for the audit trail."""

    def __init__(self, message: str) -> None:
        super().__init__(message, code=AccessRequestErrorCode.SEPARATION_OF_DUTIES)


class HistoryChangeRefusedError(PermissionRefusedError):
    """Someone tried to change or delete a row of an append-only history table."""

    def __init__(self, message: str) -> None:
        super().__init__(message, code=HistoryErrorCode.APPEND_ONLY)
