"""Which of the platform's audiences a signed-in person belongs to, read in one query, and which
of their areas is their main one."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import Exists, OuterRef

from apps_registry.models import Membership, Shop
from apps_registry.models.access_requests import is_reviewer


class Area(StrEnum):
    """The platform's areas, one per audience."""

    SELLER = "seller"  # the seller center
    PARTNER = "partner"  # the partner console
    REVIEW = "review"  # the admin: the review queue for reviewers, the admin index for other staff


@dataclass(frozen=True)
class Roles:
    is_seller: bool  # owns a shop (shops are provisioned by the platform)
    is_partner: bool  # belongs to a partner organisation
    is_reviewer: bool  # holds the review permission: works the queue in the admin
    is_staff: bool  # works in the admin (reviewers, catalog managers)

    @property
    def main_area(self) -> Area:
        """Where the person's work is: the one place that decides both where they land on signing
        in and which area a page of none (account, catalog) shows in the header. Partner work
        first (a member who also sells builds apps for a living), then the admin, then the seller
        center; someone with none of them signed up to build apps: the console's onboarding."""
        if self.is_partner:
            return Area.PARTNER
        if self.is_staff:
            return Area.REVIEW
        if self.is_seller:
            return Area.SELLER
        return Area.PARTNER


NO_ROLES = Roles(is_seller=False, is_partner=False, is_reviewer=False, is_staff=False)


def roles_for_user(*, user: AbstractBaseUser) -> Roles:
    """The user's roles: no query for an anonymous user, one for a signed-in one (staff: plus
    Django's permission lookup, cached on the user)."""
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
    return Roles(
        is_seller=is_seller,
        is_partner=is_partner,
        is_reviewer=is_reviewer(user),
        is_staff=user.is_active and user.is_staff,
    )
