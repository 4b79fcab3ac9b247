"""Reviewer accounts: staff in the "Reviewers" group, with a verified e-mail and TOTP enrolled, so
they can sign in to the admin through allauth with MFA from the start."""

from __future__ import annotations

from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.db.models import Q

from apps_registry.errors import DomainError

REVIEWERS_GROUP = "Reviewers"
# Reviewers see everything the queue links to (view), decide through the workflow (review) and
# keep the catalog's texts and types up to date (change scope; the key stays guarded).
REVIEWER_PERMISSIONS = (
    ("scopes", "view_scope"),
    ("scopes", "change_scope"),
    ("scopes", "view_endpoint"),
    ("apps_registry", "view_partnerauditevent"),
    ("apps_registry", "review_accessrequest"),
    ("apps_registry", "view_accessrequest"),
    ("apps_registry", "view_reviewevent"),
    ("apps_registry", "view_partner"),
    ("apps_registry", "view_membership"),
    ("apps_registry", "view_partnerapp"),
    ("apps_registry", "view_appscope"),
    ("apps_registry", "view_shop"),
    ("apps_registry", "view_shopauthorization"),
)


def reviewers_group() -> Group:
    """The "Reviewers" group with exactly REVIEWER_PERMISSIONS (created or repaired)."""
    group, _ = Group.objects.get_or_create(name=REVIEWERS_GROUP)
    wanted = Q()
    for app_label, codename in REVIEWER_PERMISSIONS:
        wanted |= Q(content_type__app_label=app_label, codename=codename)
    group.permissions.set(Permission.objects.filter(wanted))
    return group


@transaction.atomic
def reviewer_create(*, email: str, password: str) -> tuple[AbstractBaseUser, str]:
    """A new staff reviewer with a verified e-mail and an active TOTP authenticator. Returns the
    user and the TOTP secret (shown once, to load into an authenticator app)."""
    email = email.strip().lower()
    user_model = get_user_model()
    if (
        user_model.objects.filter(Q(email__iexact=email) | Q(username__iexact=email)).exists()
        or EmailAddress.objects.filter(email__iexact=email).exists()
    ):
        raise DomainError(f"An account for {email} already exists.")
    user = user_model.objects.create_user(
        username=email, email=email, password=password, is_staff=True
    )
    user.groups.add(reviewers_group())
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return user, secret
