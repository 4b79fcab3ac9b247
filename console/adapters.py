"""allauth hooks: the console customises accounts here, never by forking allauth's views."""

from allauth.account.adapter import DefaultAccountAdapter


class AccountAdapter(DefaultAccountAdapter):
    """Partner Console's account adapter (onboarding hooks arrive with the partner pages)."""
