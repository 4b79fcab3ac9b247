"""Error pages: JSON under /api/, where clients parse the body, Django's page everywhere else."""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults

from console.api.exceptions import error_body

API_PREFIX = "/api/"


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """A URL no route matches (e.g. /api/v1/apps/abc/) answers like the API's own 404s."""
    if request.path.startswith(API_PREFIX):
        return JsonResponse(error_body(code="not_found", message="Not found."), status=404)
    return defaults.page_not_found(request, exception)
