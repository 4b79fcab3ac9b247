"""Domain errors: services raise them; views turn them into a 4xx or an actionable message."""


class DomainError(Exception):
    """A rule refused the change; the message is safe to show to the person who asked."""


class InvalidTransitionError(DomainError):
    """The object is not in a state that allows this action."""


class PermissionRefusedError(DomainError):
    """The actor may not do this (separation of duties, wrong role, not a reviewer)."""


class AccessRequestNotFoundError(DomainError):
    """No access request has this id."""


class StaleAccessRequestError(InvalidTransitionError):
    """The request changed after the reviewer opened it (optimistic locking)."""
