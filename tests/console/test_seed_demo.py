"""`manage.py seed_demo`: the demo data behind `make run`, safe to run twice."""

import pytest
from allauth.mfa.models import Authenticator
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from apps_registry.models import AccessRequest, Membership, Partner, PartnerApp, Shop
from scopes.services.scope_edits import is_catalog_manager

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
    counts = [model.objects.count() for model in (Partner, PartnerApp, AccessRequest, Shop)]

    call_command("seed_demo")

    second = capsys.readouterr().out
    assert [model.objects.count() for model in (Partner, PartnerApp, AccessRequest, Shop)] == counts
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
