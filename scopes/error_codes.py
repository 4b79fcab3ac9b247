"""The stable, machine-readable codes of the catalog's refusals. API clients branch on these
values, so a value never changes once released: add a new member rather than rename one."""

from enum import StrEnum


class CatalogErrorCode(StrEnum):
    NOT_A_CATALOG_MANAGER = "not_a_catalog_manager"
    INVALID_VALUE = "invalid_value"
    FIELD_NOT_EDITABLE = "field_not_editable"
    CHANGE_ALREADY_PENDING = "change_already_pending"
    OWN_PROPOSAL = "own_proposal"
    SCOPE_CHANGED_SINCE_PROPOSED = "scope_changed_since_proposed"
    CHANGE_NOT_FOUND = "change_not_found"
    CHANGE_NOT_PENDING = "change_not_pending"
    INVALID_CATALOG_FILE = "invalid_catalog_file"
    HISTORY_APPEND_ONLY = "history_append_only"
