"""The base of this app's history tables."""

from __future__ import annotations

import append_only.models
from apps_registry.errors import HistoryChangeRefusedError


class AppendOnlyModel(append_only.models.AppendOnlyModel):
    """A history table of this app: a refused change is a HistoryChangeRefusedError (403)."""

    refusal_error = HistoryChangeRefusedError

    class Meta:
        abstract = True
