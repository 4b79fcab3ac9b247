"""Serving partners' uploads (ADR 0017): app icons to anyone, by content hash, and an
application's supporting files to the members of the app's partner (reviewers fetch theirs
through the admin, behind its MFA)."""

from __future__ import annotations

import uuid

from django.views import View
from django.views.decorators.http import require_safe

from apps_registry.file_responses import attachment_response, icon_response
from apps_registry.models import AccessRequestAttachment, PartnerApp
from apps_registry.selectors import uploads as selectors
from console.not_found import found_or_404
from console.views.partner.base import PartnerMixin


@require_safe
def app_icon(request, client_id: str, icon_sha256: str):
    """The app's current icon; a stale or unknown hash is a 404, so caches never mix them up."""
    app = found_or_404(
        selectors.app_with_icon(client_id=client_id, icon_sha256=icon_sha256), PartnerApp
    )
    return icon_response(app)


class AccessRequestAttachmentView(PartnerMixin, View):
    """One supporting file of one of the organisation's applications; another's is a 404."""

    def get(self, request, request_id: int, public_id: uuid.UUID):
        attachment = found_or_404(
            selectors.attachment_get_for_member(
                user=request.user, request_id=request_id, public_id=public_id
            ),
            AccessRequestAttachment,
        )
        return attachment_response(attachment)
