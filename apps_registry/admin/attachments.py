"""An application's supporting files on the reviewers' pages (ADR 0017): thumbnails of images,
links to PDFs, and the admin URL that serves them, behind the admin's login and MFA, to
reviewers only (anyone else: 404)."""

from __future__ import annotations

from typing import NoReturn

from django.contrib import admin
from django.http import Http404
from django.template.loader import render_to_string
from django.urls import path

from apps_registry.file_responses import attachment_response
from apps_registry.models import AccessRequest
from apps_registry.selectors.uploads import attachment_get_for_review

ATTACHMENTS_TEMPLATE = "admin/apps_registry/accessrequest/_attachments.html"


class AttachmentsAdminMixin:
    """For AccessRequestAdmin: the `supporting_files` read-only field and the files' URL."""

    @admin.display(description="Supporting files")
    def supporting_files(self, access_request: AccessRequest) -> str:
        return render_to_string(ATTACHMENTS_TEMPLATE, {"access_request": access_request})

    def get_urls(self):
        # <id:…> (an id of at most MAX_ID, else a 404) is registered by console/urls/converters.py,
        # which the root URLconf imports before it reads admin.site.urls, the call that runs this.
        return [
            path(
                "<id:object_id>/files/<uuid:public_id>/",
                self.admin_site.admin_view(self.attachment_view),
                name="apps_registry_accessrequest_attachment",
            ),
            # Any other id (not ASCII digits, or past MAX_ID) names no application: a 404, not
            # the admin's catch-all redirect of "<path:object_id>/" to a change page.
            path("<str:object_id>/files/<str:public_id>/", self.admin_site.admin_view(_no_file)),
            *super().get_urls(),
        ]

    def attachment_view(self, request, object_id: int, public_id):
        attachment = (
            attachment_get_for_review(request_id=object_id, public_id=public_id)
            if self.has_review_permission(request)
            else None
        )
        if attachment is None:
            _no_file(request)
        return attachment_response(attachment)


def _no_file(request, **_url_arguments) -> NoReturn:
    raise Http404("No such file.")
