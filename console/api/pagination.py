"""Limit/offset pagination that refuses a malformed page instead of silently serving page one."""

from __future__ import annotations

from rest_framework import serializers
from rest_framework.pagination import LimitOffsetPagination

MAX_LIMIT = 1000
# Every database we run on takes a 32-bit OFFSET; a larger one would be a 500, not an empty page.
MAX_OFFSET = 2**31 - 1


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
        parameters = PageParametersSerializer(
            data={
                name: request.query_params[name]
                for name in (self.limit_query_param, self.offset_query_param)
                if name in request.query_params
            }
        )
        parameters.is_valid(raise_exception=True)
        self.validated = parameters.validated_data
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
