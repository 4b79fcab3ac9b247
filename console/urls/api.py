"""REST API: /api/v1/… (each area owns its module), the OpenAPI document and its docs UI."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

urlpatterns = [
    path("v1/", include("console.api.catalog")),
    path("v1/", include("console.api.partner")),
    path("v1/", include("console.api.webhooks")),
    path("v1/", include("console.api.oauth")),
    path("v1/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
]
