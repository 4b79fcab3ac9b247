"""Reads of partners' uploads (ADR 0017). An icon is public, found by its app's client ID and its
content hash; an application's supporting file is found only through the application, for a
member of the app's partner or for a reviewer, so anyone else cannot tell it exists (None)."""

from __future__ import annotations

import uuid

from django.contrib.auth.base_user import AbstractBaseUser

from apps_registry.models import AccessRequestAttachment, PartnerApp
from apps_registry.selectors.partners import access_request_get_for_user


def app_with_icon(*, client_id: str, icon_sha256: str) -> PartnerApp | None:
    """The app whose current icon has this hash; an old hash finds nothing."""
    if not icon_sha256:
        return None
    return PartnerApp.objects.filter(client_id=client_id, icon_sha256=icon_sha256).first()


def attachment_get_for_member(
    *, user: AbstractBaseUser, request_id: int, public_id: uuid.UUID
) -> AccessRequestAttachment | None:
    access_request = access_request_get_for_user(user=user, request_id=request_id)
    if access_request is None:
        return None
    return access_request.attachments.filter(public_id=public_id).first()


def attachment_get_for_review(
    *, request_id: int, public_id: uuid.UUID
) -> AccessRequestAttachment | None:
    """For the admin's reviewers, whom the admin has already checked."""
    return AccessRequestAttachment.objects.filter(
        access_request_id=request_id, public_id=public_id
    ).first()
