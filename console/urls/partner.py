"""Partner console URLs (/console/…); the page paths are stable: links in e-mails point at them."""

from django.urls import path

from console.urls import converters  # noqa: F401 - registers <id:…> and <scope_key:…>
from console.views import partner as views

app_name = "partner"

urlpatterns = [
    path("", views.DashboardView.as_view(), name="dashboard"),
    path("team/", views.TeamView.as_view(), name="team"),
    path(
        "team/invitations/<id:invitation_id>/revoke/",
        views.InvitationRevokeView.as_view(),
        name="invitation-revoke",
    ),
    path(
        "team/members/<id:membership_id>/remove/",
        views.MemberRemoveView.as_view(),
        name="member-remove",
    ),
    path(
        "invitations/<str:token>/", views.InvitationAcceptView.as_view(), name="invitation-accept"
    ),
    path("apps/", views.AppListView.as_view(), name="app-list"),
    path("apps/new/", views.AppCreateView.as_view(), name="app-create"),
    path("apps/<id:app_id>/", views.AppDetailView.as_view(), name="app-detail"),
    path(
        "apps/<id:app_id>/redirect-uris/",
        views.AppRedirectUrisView.as_view(),
        name="app-redirect-uris",
    ),
    path(
        "apps/<id:app_id>/rotate-secret/",
        views.AppRotateSecretView.as_view(),
        name="app-rotate-secret",
    ),
    path("apps/<id:app_id>/publish/", views.AppPublishView.as_view(), name="app-publish"),
    path("apps/<id:app_id>/api/", views.ManageApiView.as_view(), name="manage-api"),
    path(
        "apps/<id:app_id>/api/<scope_key:scope_key>/apply/",
        views.AccessRequestApplyView.as_view(),
        name="access-request-apply",
    ),
    path(
        "requests/<id:request_id>/",
        views.AccessRequestDetailView.as_view(),
        name="request-detail",
    ),
    path(
        "requests/<id:request_id>/withdraw/",
        views.AccessRequestWithdrawView.as_view(),
        name="request-withdraw",
    ),
]
