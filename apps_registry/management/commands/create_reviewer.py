"""Create a reviewer: staff, in the Reviewers group, verified e-mail, TOTP enrolled."""

import secrets

from apps_registry.management.provisioning import ProvisioningCommand
from apps_registry.services.reviewers import reviewer_create


class Command(ProvisioningCommand):
    help = (
        "Create a staff reviewer with a verified e-mail and TOTP; prints JSON with the user id, "
        "e-mail and TOTP secret (and the password when one was generated)."
    )
    create_account = staticmethod(reviewer_create)

    def add_arguments(self, parser):
        parser.add_argument("--email", required=True)
        parser.add_argument("--password", help="Generated (and printed) when omitted.")

    def provision(self, *, email, password, **options) -> dict:
        generated = password is None
        password = password or secrets.token_urlsafe(18)
        user, totp_secret = self.create_account(email=email, password=password)
        output = {"id": user.pk, "email": user.email, "totp_secret": totp_secret}
        if generated:
            output["password"] = password
        return output
