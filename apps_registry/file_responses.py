"""The one way stored uploads leave the console (ADR 0017), for the console's pages and the
admin alike: the type we decided on when checking the file, never sniffed, and nothing in the
file able to run as a page of ours."""

from __future__ import annotations

from django.core.files.storage import default_storage
from django.http import FileResponse, Http404

from apps_registry.models import AccessRequestAttachment, PartnerApp

ICON_CACHE_SECONDS = 365 * 24 * 3600  # the URL names the content's hash, so it never goes stale
# A file is a document, not a page: it may load nothing, run nothing and be framed by nobody.
FILE_CSP = "default-src 'none'; sandbox; frame-ancestors 'none'"


def _opened(name: str):
    """The stored file, or a 404 for any name that opens none: gone, a folder (the empty name is
    the storage's root) or unreadable; never a 500."""
    try:
        return default_storage.open(name, "rb")
    except OSError:
        raise Http404("No such file.") from None


def _harden(response: FileResponse, *, embeddable_elsewhere: bool) -> FileResponse:
    """`embeddable_elsewhere` lets other sites load the file (Cross-Origin-Resource-Policy);
    without it only our own pages can."""
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = FILE_CSP
    response["Cross-Origin-Resource-Policy"] = (
        "cross-origin" if embeddable_elsewhere else "same-origin"
    )
    return response


def icon_response(app: PartnerApp) -> FileResponse:
    """Public: the API gives partners the icon's URL to show on their own sites."""
    response = FileResponse(_opened(app.icon.name), content_type="image/png")
    response["Cache-Control"] = f"public, max-age={ICON_CACHE_SECONDS}, immutable"
    return _harden(response, embeddable_elsewhere=True)


def attachment_response(attachment: AccessRequestAttachment) -> FileResponse:
    """Images (which we re-encoded) inline; a PDF only as a download, never rendered by us."""
    response = FileResponse(
        _opened(attachment.file.name),
        content_type=attachment.content_type,
        as_attachment=not attachment.is_image,
        filename=attachment.original_name,
    )
    response["Cache-Control"] = "private, no-store"
    return _harden(response, embeddable_elsewhere=False)
