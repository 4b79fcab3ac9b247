"""The first step of a member's change to an app: the app under a row lock, once the acting user
is known to belong to its partner."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser

from apps_registry.error_codes import AppErrorCode
from apps_registry.models import PartnerApp
from apps_registry.services.partners import membership_require
from apps_registry.services.secret_access import Assurance, secret_access_require
from core.errors import InvalidInputError


def lock_member_app(
    *, app_id: int, acting_user: AbstractBaseUser, shows_secret_to: Assurance | None = None
) -> PartnerApp:
    """Re-read the app under a row lock and check the acting user belongs to its partner (and,
    when the change shows them a new secret, may see it with `shows_secret_to`)."""
    app = PartnerApp.objects.select_for_update().get(pk=app_id)
    if app.partner_id is None:
        raise InvalidInputError(
            "Platform-owned clients are managed by staff.", code=AppErrorCode.PLATFORM_CLIENT
        )
    membership = membership_require(partner_id=app.partner_id, user=acting_user)
    if shows_secret_to is not None:
        secret_access_require(membership=membership, assurance=shows_secret_to)
    return app
