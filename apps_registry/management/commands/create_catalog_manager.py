"""Create a catalog manager: staff, Catalog managers group, verified e-mail, TOTP enrolled."""

from apps_registry.management.commands.create_reviewer import Command as CreateReviewerCommand
from apps_registry.services.reviewers import catalog_manager_create


class Command(CreateReviewerCommand):
    help = (
        "Create a staff catalog manager (edits the scope catalog; weakening changes need a second "
        "one) with a verified e-mail and TOTP; prints JSON with the user id, e-mail and TOTP "
        "secret (and the password when one was generated)."
    )
    create_account = staticmethod(catalog_manager_create)
