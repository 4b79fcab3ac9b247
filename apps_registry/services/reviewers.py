"""Platform staff accounts: reviewers (the "Reviewers" group) and catalog managers (the "Catalog
managers" group), each with a verified e-mail and TOTP enrolled, so they can sign in to the admin
through allauth with MFA from the start."""

from __future__ import annotations

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.db.models import Q

from apps_registry.allauth_internals import totp_activate
from apps_registry.error_codes import ReviewerErrorCode
from apps_registry.models.access_requests import REVIEW_CODENAME
from core.errors import InvalidInputError

REVIEWERS_GROUP = "Reviewers"
CATALOG_MANAGERS_GROUP = "Catalog managers"
# The catalog and its history, read-only: what reviewers read next to an application.
CATALOG_VIEW_PERMISSIONS = (
    ("scopes", "view_scope"),
    ("scopes", "view_endpoint"),
    ("scopes", "view_scopechange"),
    ("scopes", "view_catalogevent"),
)
# Reviewers see everything the queue links to (view) and decide through the workflow (review).
# They do not edit the catalog: a reviewer who could untick dual approval or make a scope Public
# would set the rules of their own reviews.
REVIEWER_PERMISSIONS = (
    *CATALOG_VIEW_PERMISSIONS,
    ("apps_registry", "view_partnerauditevent"),
    ("apps_registry", REVIEW_CODENAME),
    ("apps_registry", "view_accessrequest"),
    ("apps_registry", "view_reviewevent"),
    ("apps_registry", "view_partner"),
    ("apps_registry", "view_membership"),
    ("apps_registry", "view_partnerapp"),
    ("apps_registry", "view_appscope"),
    ("apps_registry", "view_shop"),
    ("apps_registry", "view_shopauthorization"),
)


# Catalog managers edit the catalog; weakening changes need a second of them
# (scopes.services.scope_edits).
CATALOG_MANAGER_PERMISSIONS = (*CATALOG_VIEW_PERMISSIONS, ("scopes", "manage_catalog"))


def _group(name: str, permissions: tuple[tuple[str, str], ...]) -> Group:
    group, _ = Group.objects.get_or_create(name=name)
    wanted = Q()
    for app_label, codename in permissions:
        wanted |= Q(content_type__app_label=app_label, codename=codename)
    group.permissions.set(Permission.objects.filter(wanted))
    return group


def reviewers_group() -> Group:
    """The "Reviewers" group with exactly REVIEWER_PERMISSIONS (created or repaired)."""
    return _group(REVIEWERS_GROUP, REVIEWER_PERMISSIONS)


def catalog_managers_group() -> Group:
    """The "Catalog managers" group with exactly CATALOG_MANAGER_PERMISSIONS (created or
    repaired)."""
    return _group(CATALOG_MANAGERS_GROUP, CATALOG_MANAGER_PERMISSIONS)


def reviewer_create(*, email: str, password: str) -> tuple[AbstractBaseUser, str]:
    """A new staff reviewer with a verified e-mail and an active TOTP authenticator. Returns the
    user and the TOTP secret (shown once, to load into an authenticator app)."""
    return _staff_create(email=email, password=password, group=reviewers_group)


def catalog_manager_create(*, email: str, password: str) -> tuple[AbstractBaseUser, str]:
    """A new staff catalog manager, set up like a reviewer (verified e-mail, TOTP). Returns the
    user and the TOTP secret (shown once)."""
    return _staff_create(email=email, password=password, group=catalog_managers_group)


@transaction.atomic
def _staff_create(*, email: str, password: str, group) -> tuple[AbstractBaseUser, str]:
    email = email.strip().lower()
    user_model = get_user_model()
    if (
        user_model.objects.filter(Q(email__iexact=email) | Q(username__iexact=email)).exists()
        or EmailAddress.objects.filter(email__iexact=email).exists()
    ):
        raise InvalidInputError(
            f"An account for {email} already exists.", code=ReviewerErrorCode.ACCOUNT_EXISTS
        )
    user = user_model.objects.create_user(
        username=email, email=email, password=password, is_staff=True
    )
    user.groups.add(group())
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user, totp_activate(user)
