"""The public scope catalog: /scopes/ and /scopes/<key>/."""

from django.urls import path

from console.views import catalog

urlpatterns = [
    path("", catalog.ScopeListView.as_view(), name="scope-list"),
    path("<str:key>/", catalog.ScopeDetailView.as_view(), name="scope-detail"),
]
