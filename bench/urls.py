"""The console's URLs plus what a Django team would build instead of the console's token paths,
from stock parts, measured beside them by bench/bench_http.py:

- a trivial JSON view: the floor any Django view pays (middleware, routing, rendering);
- a DRF view guarded by django-oauth-toolkit's OAuth2Authentication and TokenHasScope;
- django-oauth-toolkit's own IntrospectTokenView.
"""

from django.http import HttpRequest, JsonResponse
from django.urls import path
from oauth2_provider.contrib.rest_framework import OAuth2Authentication, TokenHasScope
from oauth2_provider.views import IntrospectTokenView
from rest_framework.response import Response
from rest_framework.views import APIView

from console.urls import handler404
from console.urls import urlpatterns as console_urlpatterns

# A Public scope of the catalog, the one the benchmark's token holds.
STOCK_VIEW_SCOPE = "seller.product.basic"


def trivial(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"ok": True})


class TokenHasScopeView(APIView):
    authentication_classes = [OAuth2Authentication]
    permission_classes = [TokenHasScope]
    required_scopes = [STOCK_VIEW_SCOPE]

    def get(self, request):
        return Response({"client_id": request.auth.application.client_id})


urlpatterns = [
    path("bench/trivial", trivial),
    path("bench/token-has-scope", TokenHasScopeView.as_view()),
    path("bench/dot-introspect/", IntrospectTokenView.as_view()),
    *console_urlpatterns,
]

__all__ = ["handler404", "urlpatterns"]
