"""Root URL configuration. The paths are a stable contract: clients, gateways and the README
rely on them, so change one only with a redirect from the old path."""

from django.contrib import admin
from django.urls import include, path

from console.urls import converters  # noqa: F401 - registers <id:…> etc., for the admin too
from console.views import gateway, health, home, uploads

urlpatterns = [
    path("", home.LandingView.as_view(), name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("gateway/check", gateway.GateCheckView.as_view(), name="gateway-check"),
    # Envoy's ext_authz (path_prefix: /gateway/check) appends the original path.
    path("gateway/check/<path:original_path>", gateway.GateCheckView.as_view()),
    path(
        "apps/<client_id:client_id>/icon/<sha256:icon_sha256>.png",
        uploads.app_icon,
        name="app-icon",
    ),
    path("accounts/", include("allauth.urls")),
    path("scopes/", include("console.urls.catalog")),
    path("console/", include("console.urls.partner")),
    path("seller/", include("console.urls.seller")),
    path("", include("console.urls.oauth")),
    path("api/", include("console.urls.api")),
    path("admin/", admin.site.urls),
]

handler404 = "console.views.errors.page_not_found"
