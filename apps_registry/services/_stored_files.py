"""Writing checked uploads (apps_registry/uploads.py) to the default storage, from inside a
service's transaction. Private to services/.

A storage is not transactional, so services write files as their last step, after every rule has
passed and the rows are saved: a refusal stores nothing. Files a failed write leaves behind are
removed before the error goes on, and a replaced file is deleted only once the change commits.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction

from apps_registry.models import AccessRequest, AccessRequestAttachment, PartnerApp
from apps_registry.uploads import CheckedFile


def icon_name(app: PartnerApp, icon: CheckedFile) -> str:
    return f"app-icons/{app.pk}/{icon.sha256}.png"


def store_icon(name: str, icon: CheckedFile) -> None:
    """Write the icon under `name`; a file already there holds the same bytes (its hash)."""
    if not default_storage.exists(name):
        stored_name = default_storage.save(name, ContentFile(icon.content))
        assert stored_name == name  # noqa: S101 - the name is the content's hash, never renamed


def delete_after_commit(names: Iterable[str]) -> None:
    """Delete files a committed change no longer uses (an old icon)."""
    names = [name for name in names if name]
    if names:
        transaction.on_commit(lambda: [default_storage.delete(name) for name in names])


def attach_files(
    access_request: AccessRequest, files: list[CheckedFile], *, uploaded_by: AbstractBaseUser
) -> list[AccessRequestAttachment]:
    """Store `files` under random names and record them on the application (checked_attachments
    has already held them to the application's allowance)."""
    stored: list[str] = []
    try:
        attachments = []
        for checked in files:
            name = default_storage.save(
                f"access-request-attachments/{access_request.pk}/"
                f"{secrets.token_urlsafe(18)}.{checked.extension}",
                ContentFile(checked.content),
            )
            stored.append(name)
            attachments.append(
                AccessRequestAttachment.objects.create(
                    access_request=access_request,
                    file=name,
                    original_name=checked.original_name,
                    content_type=checked.content_type,
                    size=len(checked.content),
                    sha256=checked.sha256,
                    uploaded_by=uploaded_by,
                )
            )
    except BaseException:
        for name in stored:
            default_storage.delete(name)
        raise
    return attachments
