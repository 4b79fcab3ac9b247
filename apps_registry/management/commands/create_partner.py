"""`manage.py create_partner --name "Acme" --owner-email a@x --password …`: onboard a partner."""

from __future__ import annotations

from apps_registry.management.provisioning import ProvisioningCommand
from apps_registry.services.partners import partner_create_with_owner


class Command(ProvisioningCommand):
    help = (
        "Create a partner organisation and its owner (an account with a verified e-mail). "
        "Idempotent: re-running with the same owner and name reports the existing ids. "
        'Prints JSON: {"partner_id", "owner_id", "owner_email", "created"}.'
    )

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True, help="The organisation's name.")
        parser.add_argument("--owner-email", required=True)
        parser.add_argument(
            "--password", default="", help="The owner's password (needed for a new account)."
        )

    def provision(self, *, name: str, owner_email: str, password: str, **options) -> dict:
        partner, owner, created = partner_create_with_owner(
            name=name, owner_email=owner_email, password=password
        )
        return {
            "partner_id": partner.pk,
            "owner_id": owner.pk,
            "owner_email": owner.email,
            "created": created,
        }
