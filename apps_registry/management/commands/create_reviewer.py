"""Create a reviewer: staff, in the Reviewers group, verified e-mail, TOTP enrolled."""

import json
import secrets

from django.core.management.base import BaseCommand, CommandError

from apps_registry.services.reviewers import reviewer_create
from core.errors import DomainError


class Command(BaseCommand):
    help = (
        "Create a staff reviewer with a verified e-mail and TOTP; prints JSON with the user id, "
        "e-mail and TOTP secret (and the password when one was generated)."
    )
    create_account = staticmethod(reviewer_create)

    def add_arguments(self, parser):
        parser.add_argument("--email", required=True)
        parser.add_argument("--password", help="Generated (and printed) when omitted.")

    def handle(self, *args, email, password, **options):
        generated = password is None
        password = password or secrets.token_urlsafe(18)
        try:
            user, totp_secret = self.create_account(email=email, password=password)
        except DomainError as error:
            raise CommandError(str(error)) from error
        output = {"id": user.pk, "email": user.email, "totp_secret": totp_secret}
        if generated:
            output["password"] = password
        self.stdout.write(json.dumps(output))
