"""The public scope catalog: /scopes/ and /scopes/<key>/."""

from django.urls import path

from console.urls import converters  # noqa: F401 - registers <scope_key:…>
from console.views import catalog

urlpatterns = [
    path("", catalog.ScopeListView.as_view(), name="scope-list"),
    path("<scope_key:key>/", catalog.ScopeDetailView.as_view(), name="scope-detail"),
]
