"""Request body parsers of the REST API (REST_FRAMEWORK's DEFAULT_PARSER_CLASSES)."""

from __future__ import annotations

from rest_framework import parsers
from rest_framework.exceptions import ParseError

NESTED_TOO_DEEPLY = (
    "JSON parse error - the body is nested too deeply. "
    "Send the fields this endpoint documents, without deeply nested arrays or objects."
)


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, plus a 400 for a body nested too deeply to decode: Python's decoder
    recurses once per level and raises RecursionError, which DRF leaves to become a 500."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as error:
            raise ParseError(NESTED_TOO_DEEPLY) from error
