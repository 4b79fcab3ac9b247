"""The one shape of a refused change, below every app: services raise a DomainError, and the API's
exception handler, the pages and the admin all turn it into the same answer (ADR 0013).

A refusal says what went wrong three ways: `message` for people (safe to show, says what to do),
`code` for programs (a stable snake_case value from its app's error-code enum, never reworded),
and `fields` for forms and API clients (which input to fix). Its category (the subclass) decides
the HTTP `status`, the same on every surface.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence


class DomainError(Exception):
    """A rule refused the change; the message is safe to show to the person who asked."""

    status = 400

    def __init__(
        self, message: str, *, code: str, fields: Mapping[str, Sequence[str]] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        # str() of a StrEnum member is its value, so the code travels as a plain string.
        self.code = str(code)
        self.fields: dict[str, list[str]] = {
            name: list(messages) for name, messages in (fields or {}).items()
        }


class InvalidInputError(DomainError):
    """The input breaks a rule: missing, malformed or out of range. Fix it and try again."""

    status = 400


class PermissionRefusedError(DomainError):
    """The actor may not do this (separation of duties, wrong role, not a reviewer)."""

    status = 403


class NotFoundError(DomainError):
    """The object does not exist (or is not the actor's to see)."""

    status = 404


class InvalidTransitionError(DomainError):
    """The object is not in a state that allows this action, or changed since it was read."""

    status = 409


class RateLimitedError(DomainError):
    """The actor did this too often lately; the message says when they may again."""

    status = 429

    def __init__(
        self,
        message: str,
        *,
        code: str,
        fields: Mapping[str, Sequence[str]] | None = None,
        retry_after_seconds: int | None = None,
    ) -> None:
        super().__init__(message, code=code, fields=fields)
        # The same wait as the message, for programs: the API sends it as `Retry-After`.
        self.retry_after_seconds = retry_after_seconds
