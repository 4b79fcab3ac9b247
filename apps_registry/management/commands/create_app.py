"""`manage.py create_app --partner-id N --name … --redirect-uri … [--scope KEY[:optional]]`."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from apps_registry.models import Membership, Partner, PartnerApp
from apps_registry.services.apps import app_create, app_publish, app_set_requested_scopes
from apps_registry.services.secret_access import Assurance
from core.errors import DomainError


def parse_scope_option(value: str) -> tuple[str, bool]:
    """`key` → (key, required); `key:optional` → (key, optional); `key:required` → required."""
    key, _, requirement = value.partition(":")
    if not key or requirement not in ("", "required", "optional"):
        raise CommandError(
            f"--scope {value!r}: write KEY, KEY:required or KEY:optional, e.g. "
            "seller.product.basic:optional."
        )
    return key, requirement != "optional"


class Command(BaseCommand):
    help = (
        "Create an app for a partner through the same services as the console, acting as the "
        "partner's first owner. Prints JSON with the app's id, client_id and its client_secret, "
        "which is shown only this once. Idempotent: an app of that name already in the "
        "partner is reported without a secret (rotate it in the console for a new one)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--partner-id", type=int, required=True)
        parser.add_argument("--name", required=True)
        parser.add_argument("--redirect-uri", action="append", required=True, dest="redirect_uris")
        parser.add_argument(
            "--scope",
            action="append",
            default=[],
            dest="scopes",
            help="A scope the app asks sellers for; KEY or KEY:optional. Repeatable.",
        )
        parser.add_argument("--description", default="")
        parser.add_argument(
            "--category", default=PartnerApp.Category.OTHER, choices=PartnerApp.Category.values
        )
        parser.add_argument("--homepage-url", default="")
        parser.add_argument("--privacy-policy-url", default="")
        parser.add_argument("--live", action="store_true", help="Publish the app (draft → live).")

    def handle(self, *args, **options):
        partner = Partner.objects.filter(pk=options["partner_id"]).first()
        if partner is None:
            raise CommandError(f"No partner has id {options['partner_id']}.")
        owner = (
            Membership.objects.filter(partner=partner, role=Membership.Role.OWNER)
            .select_related("user")
            .order_by("created_at", "pk")
            .first()
        )
        if owner is None:
            raise CommandError(f"Partner {partner.pk} has no owner to act as.")
        selections = dict(parse_scope_option(value) for value in options["scopes"])
        existing = PartnerApp.objects.filter(partner=partner, name=options["name"]).first()
        if existing is not None:
            self.stdout.write(json.dumps(self._describe(existing, created=False)))
            return
        try:
            with transaction.atomic():
                app, raw_secret = app_create(
                    partner=partner,
                    acting_user=owner.user,
                    name=options["name"],
                    redirect_uris=options["redirect_uris"],
                    description=options["description"],
                    category=options["category"],
                    homepage_url=options["homepage_url"],
                    privacy_policy_url=options["privacy_policy_url"],
                    assurance=Assurance.SERVER_OPERATOR,
                )
                if selections:
                    app_set_requested_scopes(app=app, selections=selections, acting_user=owner.user)
                if options["live"]:
                    app = app_publish(app_id=app.pk, acting_user=owner.user)
        except DomainError as error:
            raise CommandError(f"{error} Nothing was created.") from error
        self.stdout.write(
            json.dumps({**self._describe(app, created=True), "client_secret": raw_secret})
        )

    @staticmethod
    def _describe(app: PartnerApp, *, created: bool) -> dict:
        return {
            "app_id": app.pk,
            "partner_id": app.partner_id,
            "client_id": app.client_id,
            "status": app.status,
            "redirect_uris": app.redirect_uris.split(),
            "scopes": {
                row.scope.key: "required" if row.is_required else "optional"
                for row in app.requested_scopes.select_related("scope")
            },
            "created": created,
        }
