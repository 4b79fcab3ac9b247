"""`manage.py seed_demo`: the demo data `make run` serves, built with the operator commands.

Creates a partner with a live app and a pending Custom-scope application, its owner with TOTP
(owners see client secrets only after using it, ADR 0018), a reviewer and two catalog managers
with TOTP (a weakening catalog change needs two of them), and a seller with two shops, then prints
every login. Safe to run again: existing rows are kept and
reported. It publishes a fixed demo password, so it refuses to run unless DJANGO_DEBUG is on.
"""

from __future__ import annotations

import io
import json

from allauth.mfa.adapter import get_adapter as get_mfa_adapter
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse

from apps_registry.allauth_internals import totp_activate
from apps_registry.models import AccessRequest, PartnerApp, Shop
from apps_registry.services.access_requests import access_request_submit
from scopes.models import Scope

DEMO_PASSWORD = "demo-console-2026"  # noqa: S105 - published on purpose; DEBUG-only command
PARTNER_EMAIL = "partner@demo.test"
REVIEWER_EMAIL = "reviewer@demo.test"
CATALOG_MANAGER_EMAILS = ["catalog@demo.test", "catalog2@demo.test"]
SELLER_EMAIL = "seller@demo.test"
APP_NAME = "Acme Inventory Sync"
APP_SCOPES = ["seller.product.basic", "seller.product.write", "seller.order.info:optional"]
APPLIED_SCOPE = "seller.customer_service"
SHOPS = [("Acme Outdoor UK", "GB"), ("Acme Outdoor US", "US")]


def run_json(command: str, *args: str) -> dict:
    out = io.StringIO()
    call_command(command, *args, stdout=out)
    return json.loads(out.getvalue())


class Command(BaseCommand):
    help = "Create (or report) the demo partner, app, reviewer and seller for local development."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("seed_demo publishes a demo password; run it with DJANGO_DEBUG=1.")
        if not Scope.objects.filter(key=APPLIED_SCOPE).exists():
            raise CommandError("Load the scope catalog first: manage.py load_scope_catalog")
        users = get_user_model().objects

        partner = run_json(
            "create_partner", "--name", "Acme Commerce Tools",
            "--owner-email", PARTNER_EMAIL, "--password", DEMO_PASSWORD,
        )  # fmt: skip
        app = run_json(
            "create_app", "--partner-id", str(partner["partner_id"]), "--name", APP_NAME,
            "--description", "Keeps stock levels in sync between Acme's ERP and the shop.",
            "--category", "erp", "--homepage-url", "https://acme.example/",
            "--privacy-policy-url", "https://acme.example/privacy",
            "--redirect-uri", "https://acme.example/oauth/callback",
            "--redirect-uri", "http://127.0.0.1:8765/callback",
            *[arg for scope in APP_SCOPES for arg in ("--scope", scope)], "--live",
        )  # fmt: skip
        partner_app = PartnerApp.objects.get(pk=app["app_id"])
        if not AccessRequest.objects.filter(app=partner_app, scope__key=APPLIED_SCOPE).exists():
            access_request_submit(
                app=partner_app,
                scope=Scope.objects.get(key=APPLIED_SCOPE),
                answers={
                    "data_usage": "Our help desk shows buyer conversations next to the order.",
                    "justification": "Only Customer Service exposes the conversations; Order "
                    "Information has no messages.",
                    "endpoints_used": "Get Conversations, Get Conversation Messages, Send Message",
                    "data_protection": "Encrypted at rest (AES-256), access logged, messages "
                    "deleted 90 days after the conversation closes.",
                    "demo_url": "https://acme.example/demo",
                },
                acting_user=users.get(email=PARTNER_EMAIL),
            )

        partner_totp = self.owner_totp_secret(users.get(email=PARTNER_EMAIL))
        reviewer_totp = self.staff_totp_secret("create_reviewer", REVIEWER_EMAIL)
        catalog_totps = [
            self.staff_totp_secret("create_catalog_manager", email)
            for email in CATALOG_MANAGER_EMAILS
        ]

        shops = []
        for name, region in SHOPS:
            if not Shop.objects.filter(owner__email=SELLER_EMAIL, name=name).exists():
                run_json(
                    "create_shop", "--owner-email", SELLER_EMAIL, "--name", name,
                    "--region", region, "--password", DEMO_PASSWORD,
                )  # fmt: skip
            shops.append(Shop.objects.get(owner__email=SELLER_EMAIL, name=name))

        secret = (
            app.get("client_secret") or "(shown once, at the first run; rotate it in the console)"
        )
        # The issuer is the console's public base URL; under `make run` it follows PORT.
        base_url = settings.OAUTH_ISSUER.rstrip("/")
        catalog_admin = base_url + reverse("admin:scopes_scope_changelist")
        self.stdout.write(
            "\n".join(
                [
                    "",
                    f"Demo data is ready at {base_url}/ (password for every login below: "
                    f"{DEMO_PASSWORD})",
                    f"  Partner  {PARTNER_EMAIL}  → {base_url}{reverse('partner:dashboard')}  "
                    f"TOTP secret {partner_totp} (owners need it to create an app or rotate its "
                    "secret)",
                    f"           app “{APP_NAME}”: client id {app['client_id']}",
                    f"           client secret {secret}",
                    f"           token endpoint {base_url}{reverse('oauth2_provider:token')}",
                    f"  Reviewer {REVIEWER_EMAIL}  → {base_url}{reverse('admin:index')}  "
                    f"TOTP secret {reviewer_totp} (add it to an authenticator app)",
                    *[
                        f"  Catalog manager {email}  → {catalog_admin}  TOTP secret {totp}"
                        for email, totp in zip(CATALOG_MANAGER_EMAILS, catalog_totps, strict=True)
                    ],
                    f"  Seller   {SELLER_EMAIL}  → {base_url}{reverse('seller-home')}  shops: "
                    + ", ".join(f"{shop.name} ({shop.cipher})" for shop in shops),
                    "",
                ]
            )
        )

    @classmethod
    def staff_totp_secret(cls, command: str, email: str) -> str:
        """Create the staff account with `command` unless it exists; its TOTP secret either way."""
        if get_user_model().objects.filter(email=email).exists():
            return cls.totp_secret(email)
        return run_json(command, "--email", email, "--password", DEMO_PASSWORD)["totp_secret"]

    @classmethod
    def owner_totp_secret(cls, owner) -> str:
        """Enrol the demo partner's owner in TOTP unless enrolled; its TOTP secret either way."""
        if Authenticator.objects.filter(user=owner, type=Authenticator.Type.TOTP).exists():
            return cls.totp_secret(owner.email)
        return totp_activate(owner)

    @staticmethod
    def totp_secret(email: str) -> str:
        authenticator = Authenticator.objects.get(user__email=email, type=Authenticator.Type.TOTP)
        return get_mfa_adapter().decrypt(authenticator.data["secret"])
