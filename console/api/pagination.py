"""The API's pages: keyset pages for the partner lists, which grow without bound (ADR 0022), and
limit/offset for the small catalog. Both refuse a malformed parameter with a 400 naming it instead
of silently serving page one, and the keyset lists refuse an `offset` for the same reason."""

from __future__ import annotations

from rest_framework import serializers
from rest_framework.pagination import BasePagination, LimitOffsetPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.utils.urls import replace_query_param

from console.keyset import CURSOR_PARAMETER, InvalidCursorError, KeysetPage, keyset_page

MAX_LIMIT = 1000
# Every database we run on takes a 32-bit OFFSET; a larger one would be a 500, not an empty page.
MAX_OFFSET = 2**31 - 1


def _page_parameters(serializer_class: type[serializers.Serializer], request: Request) -> dict:
    """The query's page parameters that `serializer_class` declares, validated: a malformed one
    raises the 400 naming it. The query's other parameters (a list's filters) are not its to
    judge."""
    parameters = serializer_class(data=request.query_params)
    parameters.is_valid(raise_exception=True)
    return parameters.validated_data


class PageParametersSerializer(serializers.Serializer):
    limit = serializers.IntegerField(min_value=1, max_value=MAX_LIMIT, required=False)
    offset = serializers.IntegerField(min_value=0, max_value=MAX_OFFSET, required=False)


class ValidatedLimitOffsetPagination(LimitOffsetPagination):
    """DRF's limit/offset envelope, but `limit=abc` or `offset=-1` is a 400 naming the parameter.

    DRF falls back to the defaults on garbage, so a client with a bug pages forever through the
    first page without noticing.
    """

    max_limit = MAX_LIMIT

    def paginate_queryset(self, queryset, request, view=None):
        self.validated = _page_parameters(PageParametersSerializer, request)
        return super().paginate_queryset(queryset, request, view)

    def get_limit(self, request):
        return self.validated.get(self.limit_query_param, self.default_limit)

    def get_offset(self, request):
        return self.validated.get(self.offset_query_param, 0)

    def get_schema_operation_parameters(self, view):
        bounds = {
            self.limit_query_param: {"minimum": 1, "maximum": MAX_LIMIT},
            self.offset_query_param: {"minimum": 0, "maximum": MAX_OFFSET},
        }
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"] = {**parameter["schema"], **bounds[parameter["name"]]}
        return parameters


class CursorParametersSerializer(serializers.Serializer):
    limit = serializers.IntegerField(min_value=1, max_value=MAX_LIMIT, required=False)
    cursor = serializers.CharField(max_length=1000, required=False)


class KeysetPagination(BasePagination):
    """Pages named by an opaque `cursor` (console/keyset.py) in the envelope
    `{"next", "previous", "results"}`: the next and previous pages' URLs, null at either end. No
    `count`, which would scan the whole list on every page."""

    cursor_query_param = CURSOR_PARAMETER
    limit_query_param = "limit"
    # Refused, not ignored: a client of the limit/offset lists these were would be served the
    # first page at every offset and loop on it forever.
    offset_query_param = "offset"

    def paginate_queryset(self, queryset, request, view=None):
        if self.offset_query_param in request.query_params:
            raise serializers.ValidationError(
                {
                    self.offset_query_param: [
                        f"This list pages by `{self.cursor_query_param}`: follow the `next` link "
                        "of each page until it is null."
                    ]
                }
            )
        parameters = _page_parameters(CursorParametersSerializer, request)
        try:
            self.page: KeysetPage = keyset_page(
                queryset,
                cursor=parameters.get(self.cursor_query_param),
                size=parameters.get(self.limit_query_param, api_settings.PAGE_SIZE),
            )
        except InvalidCursorError as error:
            raise serializers.ValidationError({self.cursor_query_param: [str(error)]}) from error
        self.request = request
        return self.page.items

    def get_paginated_response(self, data):
        return Response(
            {
                "next": self._link(self.page.next_cursor),
                "previous": self._link(self.page.previous_cursor),
                "results": data,
            }
        )

    def _link(self, cursor: str | None) -> str | None:
        if cursor is None:
            return None
        return replace_query_param(
            self.request.build_absolute_uri(), self.cursor_query_param, cursor
        )

    def get_paginated_response_schema(self, schema):
        link = {"type": "string", "nullable": True, "format": "uri"}
        return {
            "type": "object",
            "required": ["next", "previous", "results"],
            "properties": {
                "next": {**link, "description": "The next page, null on the last one."},
                "previous": {**link, "description": "The previous page, null on the first one."},
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": "Where the page starts: copy it from the `next` or `previous` "
                "link; absent for the first page.",
                "schema": {"type": "string", "maxLength": 1000},
            },
            {
                "name": self.limit_query_param,
                "required": False,
                "in": "query",
                "description": "Number of results per page.",
                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
            },
        ]
