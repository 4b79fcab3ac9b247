"""Which of the platform's audiences a signed-in person belongs to, read in one query."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import Exists, OuterRef

from apps_registry.models import Membership, Shop


@dataclass(frozen=True)
class Roles:
    is_seller: bool  # owns a shop (shops are provisioned by the platform)
    is_partner: bool  # belongs to a partner organisation
    is_reviewer: bool  # platform staff: reviews access requests in the admin

    @property
    def count(self) -> int:
        return sum((self.is_seller, self.is_partner, self.is_reviewer))


NO_ROLES = Roles(is_seller=False, is_partner=False, is_reviewer=False)


def roles_for_user(*, user: AbstractBaseUser) -> Roles:
    """The user's roles: no query for an anonymous user, one for a signed-in one."""
    if not user.is_authenticated:
        return NO_ROLES
    is_seller, is_partner = (
        get_user_model()
        .objects.filter(pk=user.pk)
        .values_list(
            Exists(Shop.objects.filter(owner_id=OuterRef("pk"))),
            Exists(Membership.objects.filter(user_id=OuterRef("pk"))),
        )
        .get()
    )
    return Roles(is_seller=is_seller, is_partner=is_partner, is_reviewer=user.is_staff)
