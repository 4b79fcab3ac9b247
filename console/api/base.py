"""What every partner API view shares: session authentication, owner scoping through the selectors,
and keyset pages. Its own module, so the area modules (partner.py, webhooks.py) import it
without importing each other while the URL configuration loads."""

from __future__ import annotations

from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from console.api.pagination import KeysetPagination


class PartnerApi(APIView):
    permission_classes = [IsAuthenticated]
    # Also tells the schema that the list operations are paginated (cursor, limit, envelope).
    pagination_class = KeysetPagination

    def paginated_response(self, queryset, serializer_class) -> Response:
        """One page of `queryset`, ordered by its own `order_by`, with the links to the others."""
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(queryset, self.request, view=self)
        return paginator.get_paginated_response(serializer_class(page, many=True).data)
