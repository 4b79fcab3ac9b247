"""`manage.py seed_demo`: the demo data `make run` serves, built with the operator commands.

Creates a partner with a live app (with an icon and a publisher website) and a Custom-scope
application that went through one round of changes requested and is waiting for review again, its
owner with TOTP (owners see client secrets only after using it, ADR 0018), a reviewer and two
catalog managers with TOTP (a weakening catalog change needs two of them), a seller with two shops,
and a second seller whose shop authorized the app (a token issued, then the optional scope
withdrawn), so the app's installs page has something to show; then prints every login. Safe to run
again: existing rows are kept and reported, and the review round and the consent happen only when
their application or shop is created. It publishes a fixed demo password, so it refuses to run
unless DJANGO_DEBUG is on.

Everything goes through the services (and, for the token, DOT's server with the console's
validator) the product itself uses: nothing is inserted or back-dated by hand.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import secrets
from urllib.parse import parse_qs, urlencode, urlsplit

from allauth.mfa.adapter import get_adapter as get_mfa_adapter
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.tasks import task_backends
from django.urls import reverse
from django_tasks_db import DatabaseBackend
from oauth2_provider.oauth2_backends import get_oauthlib_core
from PIL import Image, ImageDraw, ImageFont

from apps_registry.allauth_internals import totp_activate
from apps_registry.models import AccessRequest, PartnerApp, Shop
from apps_registry.services.access_requests import access_request_resubmit, access_request_submit
from apps_registry.services.apps import app_update_branding
from apps_registry.services.authorizations import authorization_grant, authorization_revoke_scope
from apps_registry.services.reviews import access_request_assign, access_request_request_changes
from scopes.models import Scope

DEMO_PASSWORD = "demo-console-2026"  # noqa: S105 - published on purpose; DEBUG-only command
PARTNER_EMAIL = "partner@demo.test"
REVIEWER_EMAIL = "reviewer@demo.test"
CATALOG_MANAGER_EMAILS = ["catalog@demo.test", "catalog2@demo.test"]
SELLER_EMAIL = "seller@demo.test"
SECOND_SELLER_EMAIL = "seller2@demo.test"
APP_NAME = "Acme Inventory Sync"
PUBLISHER_URL = "https://acme-commerce.example"
APP_SCOPES = ["seller.product.basic", "seller.product.write", "seller.order.info:optional"]
OPTIONAL_SCOPE = "seller.order.info"
APP_REDIRECT_URIS = ["https://acme.example/oauth/callback", "http://127.0.0.1:8765/callback"]
APPLIED_SCOPE = "seller.customer_service"
APPLICATION_ANSWERS = {
    "data_usage": "Our help desk shows buyer conversations next to the order.",
    "justification": "Only Customer Service exposes the conversations; Order "
    "Information has no messages.",
    "endpoints_used": "Get Conversations, Get Conversation Messages, Send Message",
    "data_protection": "Encrypted at rest (AES-256), access logged, messages "
    "deleted 90 days after the conversation closes.",
    "demo_url": "https://acme.example/demo",
}
# The reviewer's question and the partner's answer to it: the diff the reviewer's page shows.
REVIEW_QUESTION = "Who at Acme can read the buyers' messages?"
REVISED_DATA_PROTECTION = (
    "Encrypted at rest (AES-256), readable only by our support team (role-based access, every "
    "read logged), messages deleted 90 days after the conversation closes."
)
SHOPS = [("Acme Outdoor UK", "GB"), ("Acme Outdoor US", "US")]
SECOND_SELLER_SHOP = ("Birch & Co", "GB")
CONSENT_DAYS = 90


def run_json(command: str, *args: str) -> dict:
    out = io.StringIO()
    call_command(command, *args, stdout=out)
    return json.loads(out.getvalue())


def demo_icon() -> SimpleUploadedFile:
    """The demo app's icon, drawn in memory: its initials on a rounded square."""
    image = Image.new("RGBA", (256, 256))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((0, 0, 255, 255), radius=56, fill="#1f6f5c")
    font = ImageFont.load_default(size=120)
    draw.text((128, 128), "AI", fill="white", font=font, anchor="mm")
    png = io.BytesIO()
    image.save(png, format="PNG")
    return SimpleUploadedFile("acme-inventory-sync.png", png.getvalue(), content_type="image/png")


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
            *[arg for uri in APP_REDIRECT_URIS for arg in ("--redirect-uri", uri)],
            *[arg for scope in APP_SCOPES for arg in ("--scope", scope)], "--live",
        )  # fmt: skip
        partner_app = PartnerApp.objects.get(pk=app["app_id"])
        owner = users.get(email=PARTNER_EMAIL)
        if not partner_app.icon_sha256:
            partner_app = app_update_branding(
                app_id=partner_app.pk, acting_user=owner, publisher_url=PUBLISHER_URL,
                icon=demo_icon(),
            )  # fmt: skip

        partner_totp = self.owner_totp_secret(owner)
        reviewer_totp = self.staff_totp_secret("create_reviewer", REVIEWER_EMAIL)
        catalog_totps = [
            self.staff_totp_secret("create_catalog_manager", email)
            for email in CATALOG_MANAGER_EMAILS
        ]

        if not AccessRequest.objects.filter(app=partner_app, scope__key=APPLIED_SCOPE).exists():
            self.apply_with_one_review_round(
                app=partner_app, owner=owner, reviewer=users.get(email=REVIEWER_EMAIL)
            )

        shops = []
        for name, region in SHOPS:
            if not Shop.objects.filter(owner__email=SELLER_EMAIL, name=name).exists():
                run_json(
                    "create_shop", "--owner-email", SELLER_EMAIL, "--name", name,
                    "--region", region, "--password", DEMO_PASSWORD,
                )  # fmt: skip
            shops.append(Shop.objects.get(owner__email=SELLER_EMAIL, name=name))
        second_name, second_region = SECOND_SELLER_SHOP
        if not Shop.objects.filter(owner__email=SECOND_SELLER_EMAIL, name=second_name).exists():
            shop = run_json(
                "create_shop", "--owner-email", SECOND_SELLER_EMAIL, "--name", second_name,
                "--region", second_region, "--password", DEMO_PASSWORD,
            )  # fmt: skip
            self.install_app(
                app=partner_app,
                seller=users.get(email=SECOND_SELLER_EMAIL),
                shop=Shop.objects.get(pk=shop["id"]),
                client_secret=app.get("client_secret"),
            )
        second_shop = Shop.objects.get(owner__email=SECOND_SELLER_EMAIL, name=second_name)

        self.send_queued_mail()
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
                    f"           installs {base_url}"
                    f"{reverse('partner:app-installs', args=[partner_app.pk])}  applications "
                    f"{base_url}{reverse('partner:request-list')}",
                    f"  Reviewer {REVIEWER_EMAIL}  → {base_url}{reverse('admin:index')}  "
                    f"TOTP secret {reviewer_totp} (add it to an authenticator app)",
                    *[
                        f"  Catalog manager {email}  → {catalog_admin}  TOTP secret {totp}"
                        for email, totp in zip(CATALOG_MANAGER_EMAILS, catalog_totps, strict=True)
                    ],
                    f"  Seller   {SELLER_EMAIL}  → {base_url}{reverse('seller-home')}  shops: "
                    + ", ".join(f"{shop.name} ({shop.cipher})" for shop in shops),
                    f"  Seller   {SECOND_SELLER_EMAIL}  → {base_url}{reverse('seller-home')}  "
                    f"shop: {second_shop.name} ({second_shop.cipher}), which authorized the app",
                    "",
                ]
            )
        )

    @staticmethod
    def send_queued_mail() -> None:
        """Send the mail the demo's steps queued (printed to the console in development) before the
        logins, so the worker does not print it after them and push them off the screen."""
        if isinstance(task_backends["default"], DatabaseBackend):
            call_command(
                "db_worker", batch=True, queue_name="default", reload=False,
                startup_delay=False, verbosity=0,
            )  # fmt: skip

    @staticmethod
    def apply_with_one_review_round(*, app: PartnerApp, owner, reviewer) -> None:
        """Apply for the Custom scope; the reviewer takes the application and asks about one
        answer, and the partner resubmits with that answer revised: the reviewer's page shows the
        change as a diff, and the application waits for review again."""
        access_request = access_request_submit(
            app=app,
            scope=Scope.objects.get(key=APPLIED_SCOPE),
            answers=APPLICATION_ANSWERS,
            acting_user=owner,
        )
        access_request_assign(request_id=access_request.pk, reviewer=reviewer)
        access_request_request_changes(
            request_id=access_request.pk,
            reviewer=reviewer,
            comment="Thanks; one question before we decide.",
            field_comments={"data_protection": REVIEW_QUESTION},
        )
        access_request_resubmit(
            request_id=access_request.pk,
            answers={"data_protection": REVISED_DATA_PROTECTION},
            acting_user=owner,
        )

    @staticmethod
    def install_app(*, app: PartnerApp, seller, shop: Shop, client_secret: str | None) -> None:
        """The seller authorizes the app on `shop` and the app redeems the code for tokens, as
        the consent page and the token endpoint do it (DOT's server with the console's validator,
        in process); then the seller withdraws the optional scope. Without the client secret
        (only the run that created the app has it) the consent is recorded without a token."""
        server = get_oauthlib_core().server
        verifier = secrets.token_urlsafe(48)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
        redirect_uri = APP_REDIRECT_URIS[-1]
        base_url = settings.OAUTH_ISSUER.rstrip("/")
        authorize_url = f"{base_url}{reverse('oauth2_provider:authorize')}?" + urlencode(
            {
                "response_type": "code",
                "client_id": app.client_id,
                "redirect_uri": redirect_uri,
                "scope": " ".join(scope.split(":")[0] for scope in APP_SCOPES),
                "state": "demo",
                "code_challenge": challenge.decode().rstrip("="),
                "code_challenge_method": "S256",
            }
        )
        with transaction.atomic():  # as the consent page's POST
            scopes, credentials = server.validate_authorization_request(authorize_url)
            credentials = {key: value for key, value in credentials.items() if key != "request"}
            headers, _, _ = server.create_authorization_response(
                authorize_url, scopes=scopes, credentials={**credentials, "user": seller}
            )
            authorization_grant(
                seller=seller, app=app, shops=[shop], scope_keys=scopes, duration_days=CONSENT_DAYS
            )
        if client_secret:
            code = parse_qs(urlsplit(headers["Location"]).query)["code"][0]
            basic = base64.b64encode(f"{app.client_id}:{client_secret}".encode()).decode()
            with transaction.atomic():  # as the token endpoint
                _, body, status = server.create_token_response(
                    f"{base_url}{reverse('oauth2_provider:token')}",
                    "POST",
                    urlencode(
                        {
                            "grant_type": "authorization_code",
                            "code": code,
                            "redirect_uri": redirect_uri,
                            "code_verifier": verifier,
                        }
                    ),
                    {"Authorization": f"Basic {basic}", "HTTP_AUTHORIZATION": f"Basic {basic}"},
                )
            if status != 200:
                raise CommandError(f"The demo token request failed: {body}")
        authorization_revoke_scope(seller=seller, app=app, scope_key=OPTIONAL_SCOPE)

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
