"""An application's supporting files on the reviewers' pages (ADR 0017): thumbnails of images,
links to PDFs, and the admin URL that serves them, behind the admin's login and MFA, to
reviewers only (anyone else: 404)."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.db import connection
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
        return [
            path(
                "<path:object_id>/files/<uuid:public_id>/",
                self.admin_site.admin_view(self.attachment_view),
                name="apps_registry_accessrequest_attachment",
            ),
            *super().get_urls(),
        ]

    def attachment_view(self, request, object_id, public_id):
        request_id = _request_id(object_id)
        attachment = (
            attachment_get_for_review(request_id=request_id, public_id=public_id)
            if self.has_review_permission(request) and request_id is not None
            else None
        )
        if attachment is None:
            raise Http404("No such file.")
        return attachment_response(attachment)


def _request_id(object_id: str) -> int | None:
    """The application's id in the admin's URL, or None when it names none (a 404, not a 500):
    only ASCII digits, since str.isdigit() also accepts "²", which int() refuses, and no number
    past the largest id the database can hold, which its driver would overflow on."""
    digits = unquote(object_id)
    if not (digits.isascii() and digits.isdecimal()):
        return None
    _, largest_id = connection.ops.integer_field_range(AccessRequest._meta.pk.get_internal_type())
    return int(digits) if int(digits) <= largest_id else None
