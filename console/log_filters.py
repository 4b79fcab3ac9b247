"""Logging filters named in settings.LOGGING."""

from __future__ import annotations

import logging


class SkipGateDenials(logging.Filter):
    """Django logs every 4xx response as a warning; a gate denial is an answer, not a fault, and
    at API volume those lines would cost more than the check (the denials are counted instead:
    apps_registry/gate/usage.py)."""

    def filter(self, record: logging.LogRecord) -> bool:
        request = getattr(record, "request", None)
        status = getattr(record, "status_code", None)
        path = getattr(request, "path", "")
        return not (status in (401, 403) and path.startswith("/gateway/check"))
