"""`manage.py seed_demo`: the demo data behind `make run`, safe to run twice."""

import io

import pytest
from allauth.mfa.models import Authenticator
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.urls import reverse
from oauth2_provider.models import get_access_token_model, get_refresh_token_model
from PIL import Image

from apps_registry.models import (
    AccessRequest,
    AccessRequestAttachment,
    AuthorizationEvent,
    Membership,
    Partner,
    PartnerApp,
    ReviewEvent,
    Shop,
    ShopAuthorization,
)
from apps_registry.selectors.access_requests import answers_under_review
from apps_registry.selectors.installs import (
    app_installs_for_user,
    installed_shop,
    installed_shops_for_user,
)
from apps_registry.services.authorizations import shop_create
from console.management.commands.seed_demo import (
    REVIEW_QUESTION,
    REVISED_DATA_PROTECTION,
    Command,
)
from scopes.services.scope_edits import is_catalog_manager

SEEDED_MODELS = (
    Partner,
    PartnerApp,
    AccessRequest,
    ReviewEvent,
    AccessRequestAttachment,
    Shop,
    ShopAuthorization,
    AuthorizationEvent,
    get_access_token_model(),
    get_refresh_token_model(),
)

pytestmark = pytest.mark.django_db


def test_seed_demo_creates_every_role_and_prints_their_logins(catalog, settings, capsys):
    settings.DEBUG = True

    call_command("seed_demo")

    output = capsys.readouterr().out
    app = PartnerApp.objects.get(name="Acme Inventory Sync")
    assert app.status == PartnerApp.Status.LIVE
    assert {(s.scope.key, s.is_required) for s in app.requested_scopes.all()} == {
        ("seller.product.basic", True),
        ("seller.product.write", True),
        ("seller.order.info", False),
    }
    assert AccessRequest.objects.get(app=app).scope.key == "seller.customer_service"
    assert Membership.objects.get(user__email="partner@demo.test").role == "owner"
    reviewer = get_user_model().objects.get(email="reviewer@demo.test")
    assert reviewer.is_staff
    managers = get_user_model().objects.filter(
        email__in=["catalog@demo.test", "catalog2@demo.test"]
    )
    assert [is_catalog_manager(manager) for manager in managers] == [True, True]
    assert sorted(
        Shop.objects.filter(owner__email="seller@demo.test").values_list("name", flat=True)
    ) == [
        "Acme Outdoor UK",
        "Acme Outdoor US",
    ]
    for expected in ("partner@demo.test", "reviewer@demo.test", "seller@demo.test", app.client_id):
        assert expected in output
    assert "Catalog manager catalog@demo.test" in output
    assert "Catalog manager catalog2@demo.test" in output
    assert "TOTP secret " in output
    partner_line = next(line for line in output.splitlines() if "partner@demo.test" in line)
    assert "TOTP secret " in partner_line
    assert Authenticator.objects.filter(
        user__email="partner@demo.test", type=Authenticator.Type.TOTP
    ).exists()


def test_seed_demo_twice_changes_nothing_and_prints_the_same_totp_secret(catalog, settings, capsys):
    settings.DEBUG = True
    call_command("seed_demo")
    first = capsys.readouterr().out
    counts = [model.objects.count() for model in SEEDED_MODELS]
    icon = PartnerApp.objects.values_list("icon", "icon_sha256").get()

    call_command("seed_demo")

    second = capsys.readouterr().out
    assert [model.objects.count() for model in SEEDED_MODELS] == counts
    assert PartnerApp.objects.values_list("icon", "icon_sha256").get() == icon
    assert first.splitlines()[-4:] == second.splitlines()[-4:]
    totp_lines = [line for line in first.splitlines() if "TOTP secret" in line]
    assert len(totp_lines) == 4  # the partner's owner, the reviewer, two catalog managers
    for totp_line in totp_lines:
        assert totp_line in second


def test_seed_demo_refuses_without_debug(catalog, settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="DJANGO_DEBUG=1"):
        call_command("seed_demo")

    assert get_user_model().objects.count() == 0


def test_seed_demo_prints_every_url_under_the_issuer_make_run_serves(catalog, settings, capsys):
    settings.DEBUG = True
    settings.OAUTH_ISSUER = "http://127.0.0.1:8010"

    call_command("seed_demo")

    output = capsys.readouterr().out
    for url in (
        "http://127.0.0.1:8010/ ",
        "http://127.0.0.1:8010/console/",
        "http://127.0.0.1:8010/oauth/token/",
        "http://127.0.0.1:8010/admin/",
        "http://127.0.0.1:8010/seller/",
    ):
        assert url in output
    assert "8000" not in output


def test_seed_demo_brands_the_app_with_its_website_and_an_icon_the_console_serves(
    catalog, settings, capsys, client
):
    settings.DEBUG = True

    call_command("seed_demo")

    app = PartnerApp.objects.get(name="Acme Inventory Sync")
    assert app.publisher_url == "https://acme-commerce.example"
    assert app.publisher_domain == "acme-commerce.example"
    assert app.icon.name == f"app-icons/{app.pk}/{app.icon_sha256}.png"
    response = client.get(reverse("app-icon", args=[app.client_id, app.icon_sha256]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    icon = Image.open(io.BytesIO(b"".join(response.streaming_content)))
    assert (icon.format, icon.size) == ("PNG", (256, 256))


def test_seed_demo_installs_the_app_on_the_second_sellers_shop(catalog, settings, capsys):
    settings.DEBUG = True

    call_command("seed_demo")

    output = capsys.readouterr().out
    app = PartnerApp.objects.get(name="Acme Inventory Sync")
    shop = Shop.objects.get(owner__email="seller2@demo.test")
    assert (shop.name, shop.region) == ("Birch & Co", "GB")
    partner = get_user_model().objects.get(email="partner@demo.test")
    installs = app_installs_for_user(user=partner, app_id=app.pk)
    shops = map(installed_shop, installed_shops_for_user(user=partner, app_id=app.pk))
    assert [(s.name, s.cipher, s.region, s.scope_keys) for s in shops] == [
        ("Birch & Co", shop.cipher, "GB", ["seller.product.basic", "seller.product.write"])
    ]
    assert (installs.shop_count, installs.seller_count) == (1, 1)
    assert [(event.action, event.shop, event.scope_keys) for event in installs.recent_events] == [
        (AuthorizationEvent.Action.REVOKE_SCOPE, None, ["seller.order.info"]),  # every shop
        (
            AuthorizationEvent.Action.GRANT,
            shop,
            ["seller.order.info", "seller.product.basic", "seller.product.write"],
        ),
    ]
    assert installs.tokens_issued[-1].count == 1
    assert sum(day.count for day in installs.tokens_issued) == 1
    token = get_access_token_model().objects.get(application=app)
    assert (token.user.email, token.scope) == (
        "seller2@demo.test",
        "seller.product.basic seller.product.write",
    )
    seller_line = next(line for line in output.splitlines() if "seller2@demo.test" in line)
    assert seller_line.endswith(f"shop: Birch & Co ({shop.cipher}), which authorized the app")


def test_seed_demo_takes_the_application_through_one_round_of_changes(catalog, settings, capsys):
    settings.DEBUG = True

    call_command("seed_demo")

    access_request = AccessRequest.objects.get(scope__key="seller.customer_service")
    reviewer = get_user_model().objects.get(email="reviewer@demo.test")
    assert (access_request.status, access_request.assigned_to) == (
        AccessRequest.Status.SUBMITTED,
        reviewer,
    )
    assert list(access_request.events.order_by("pk").values_list("action", "actor__email")) == [
        (ReviewEvent.Action.SUBMIT, "partner@demo.test"),
        (ReviewEvent.Action.ASSIGN, "reviewer@demo.test"),
        (ReviewEvent.Action.REQUEST_CHANGES, "reviewer@demo.test"),
        (ReviewEvent.Action.RESUBMIT, "partner@demo.test"),
    ]
    changed = [
        (answer.field, answer.previous, answer.text, answer.reviewer_comment)
        for answer in answers_under_review(access_request).answers
        if answer.previous is not None
    ]
    assert changed == [
        (
            "data_protection",
            "Encrypted at rest (AES-256), access logged, messages deleted 90 days after the "
            "conversation closes.",
            REVISED_DATA_PROTECTION,
            REVIEW_QUESTION,
        )
    ]


def test_without_the_client_secret_the_consent_is_recorded_without_a_token(catalog, settings):
    """Only the run that created the app knows its secret; a later one cannot redeem a code."""
    settings.DEBUG = True
    call_command("seed_demo")
    app = PartnerApp.objects.get(name="Acme Inventory Sync")
    shop, _ = shop_create(owner_email="seller3@demo.test", name="Cedar Ltd", region="IE")
    tokens = get_refresh_token_model().objects.count()

    Command.install_app(app=app, seller=shop.owner, shop=shop, client_secret=None)

    authorization = ShopAuthorization.objects.get(app=app, shop=shop, revoked_at__isnull=True)
    assert sorted(authorization.scopes.values_list("key", flat=True)) == [
        "seller.product.basic",
        "seller.product.write",
    ]
    assert get_refresh_token_model().objects.count() == tokens
