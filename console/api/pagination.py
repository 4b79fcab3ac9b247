"""Pagination of the REST API's lists (REST_FRAMEWORK's DEFAULT_PAGINATION_CLASS)."""

from __future__ import annotations

from rest_framework import pagination


class LimitOffsetPagination(pagination.LimitOffsetPagination):
    """limit/offset pages; a `limit` above `max_limit` gets `max_limit` items. Without the cap a
    huge limit reaches the database and overflows it (SQLite's OverflowError, PostgreSQL's
    "bigint out of range"); an offset past the end is already an empty page."""

    max_limit = 1000
