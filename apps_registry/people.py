"""How the platform names a person: by full name, else by e-mail address.

The login is the e-mail address. auth.User's username is filled in by allauth or by our services
and never chosen by, shown to or typed by anyone, so no page, admin list or e-mail names a person
by it.
"""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser


def display_name(user: AbstractBaseUser) -> str:
    """The person's full name, else their e-mail address (allauth's ACCOUNT_USER_DISPLAY)."""
    return user.get_full_name().strip() or user.email
