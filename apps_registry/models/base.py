"""The base of this app's history tables."""

from __future__ import annotations

import append_only.models
from apps_registry.errors import PermissionRefusedError


class AppendOnlyModel(append_only.models.AppendOnlyModel):
    """A history table of this app: a refused change is a PermissionRefusedError."""

    refusal_error = PermissionRefusedError

    class Meta:
        abstract = True
