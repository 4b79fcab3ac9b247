"""Provision a seller's shop (creating the seller when missing); prints the shop as JSON."""

from apps_registry.management.provisioning import ProvisioningCommand
from apps_registry.services.authorizations import shop_create


class Command(ProvisioningCommand):
    help = (
        "Create a shop for the seller with --owner-email (the seller is created if missing, with a "
        "verified e-mail when --password is given). Prints JSON with the shop id and cipher."
    )

    def add_arguments(self, parser):
        parser.add_argument("--owner-email", required=True)
        parser.add_argument("--name", required=True)
        parser.add_argument("--region", required=True, help="Two-letter market code, e.g. GB.")
        parser.add_argument("--password", help="Password for a seller created by this command.")

    def provision(self, *, owner_email, name, region, password, **options) -> dict:
        shop, seller_created = shop_create(
            owner_email=owner_email, name=name, region=region, password=password
        )
        return {
            "id": shop.pk,
            "name": shop.name,
            "region": shop.region,
            "cipher": shop.cipher,
            "owner_id": shop.owner_id,
            "owner_created": seller_created,
        }
