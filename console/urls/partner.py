"""Partner console URLs (/console/…); the page paths are stable: links in e-mails point at them."""

from django.urls import path

from console.urls import converters  # noqa: F401 - registers <id:…>, <scope_key:…>, <event_id:…>
from console.views import uploads
from console.views.partner import (
    access_requests,
    apps,
    dashboard,
    explain,
    installs,
    manage_api,
    team,
    webhooks,
)

app_name = "partner"

urlpatterns = [
    path("", dashboard.DashboardView.as_view(), name="dashboard"),
    path("team/", team.TeamView.as_view(), name="team"),
    path(
        "team/invitations/<id:invitation_id>/revoke/",
        team.InvitationRevokeView.as_view(),
        name="invitation-revoke",
    ),
    path(
        "team/members/<id:membership_id>/remove/",
        team.MemberRemoveView.as_view(),
        name="member-remove",
    ),
    path("invitations/<str:token>/", team.InvitationAcceptView.as_view(), name="invitation-accept"),
    path("apps/", apps.AppListView.as_view(), name="app-list"),
    path("apps/new/", apps.AppCreateView.as_view(), name="app-create"),
    path("apps/<id:app_id>/", apps.AppDetailView.as_view(), name="app-detail"),
    path(
        "apps/<id:app_id>/redirect-uris/",
        apps.AppRedirectUrisView.as_view(),
        name="app-redirect-uris",
    ),
    path(
        "apps/<id:app_id>/rotate-secret/",
        apps.AppRotateSecretView.as_view(),
        name="app-rotate-secret",
    ),
    path("apps/<id:app_id>/branding/", apps.AppBrandingView.as_view(), name="app-branding"),
    path("apps/<id:app_id>/publish/", apps.AppPublishView.as_view(), name="app-publish"),
    path("apps/<id:app_id>/explain/", explain.AppExplainView.as_view(), name="app-explain"),
    path("apps/<id:app_id>/installs/", installs.AppInstallsView.as_view(), name="app-installs"),
    path("apps/<id:app_id>/webhooks/", webhooks.AppWebhooksView.as_view(), name="app-webhooks"),
    path(
        "apps/<id:app_id>/webhooks/rotate-secret/",
        webhooks.WebhookRotateSecretView.as_view(),
        name="webhook-rotate-secret",
    ),
    path(
        "apps/<id:app_id>/webhooks/remove/",
        webhooks.WebhookRemoveView.as_view(),
        name="webhook-remove",
    ),
    path(
        "apps/<id:app_id>/webhooks/test/",
        webhooks.WebhookSendTestView.as_view(),
        name="webhook-send-test",
    ),
    path(
        "apps/<id:app_id>/webhooks/deliveries/<event_id:event_id>/replay/",
        webhooks.WebhookReplayView.as_view(),
        name="webhook-replay",
    ),
    path("apps/<id:app_id>/api/", manage_api.ManageApiView.as_view(), name="manage-api"),
    path(
        "apps/<id:app_id>/api/<scope_key:scope_key>/apply/",
        access_requests.AccessRequestApplyView.as_view(),
        name="access-request-apply",
    ),
    path("requests/", access_requests.ApplicationListView.as_view(), name="request-list"),
    path(
        "requests/<id:request_id>/",
        access_requests.AccessRequestDetailView.as_view(),
        name="request-detail",
    ),
    path(
        "requests/<id:request_id>/files/<uuid:public_id>/",
        uploads.AccessRequestAttachmentView.as_view(),
        name="request-attachment",
    ),
    path(
        "requests/<id:request_id>/withdraw/",
        access_requests.AccessRequestWithdrawView.as_view(),
        name="request-withdraw",
    ),
]
