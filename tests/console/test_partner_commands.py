"""Operator commands create_partner and create_app: JSON on stdout, same services, clear errors."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import check_password
from django.core.management import CommandError, call_command

from apps_registry.models import AppScope, Membership, Partner, PartnerApp
from tests import factories

pytestmark = pytest.mark.django_db


def run(*args) -> dict:
    out = StringIO()
    call_command(*args, stdout=out)
    return json.loads(out.getvalue())


def test_create_partner_creates_a_verified_owner_and_is_idempotent():
    first = run(
        "create_partner",
        "--name",
        "Acme",
        "--owner-email",
        "a@acme.test",
        "--password",
        "pw-long-123",
    )

    partner = Partner.objects.get()
    assert first == {
        "partner_id": partner.pk,
        "owner_id": first["owner_id"],
        "owner_email": "a@acme.test",
        "created": True,
    }
    assert EmailAddress.objects.get(email="a@acme.test").verified is True
    assert Membership.objects.get().role == "owner"

    again = run("create_partner", "--name", "Acme", "--owner-email", "a@acme.test")
    assert again == {**first, "created": False}
    assert Partner.objects.count() == 1


def test_create_partner_without_a_password_for_a_new_account_is_a_command_error():
    with pytest.raises(CommandError, match="password"):
        call_command("create_partner", "--name", "Acme", "--owner-email", "a@acme.test")

    assert not Partner.objects.exists()


def test_create_app_prints_the_one_time_secret_and_applies_scopes():
    membership = factories.MembershipFactory(role="owner")
    factories.ScopeFactory(key="seller.product.basic")
    factories.ScopeFactory(key="seller.order.info")

    output = run(
        "create_app",
        "--partner-id", str(membership.partner_id),
        "--name", "ERP Sync",
        "--redirect-uri", "https://erp.example.com/cb",
        "--redirect-uri", "http://127.0.0.1:8765/cb",
        "--scope", "seller.product.basic",
        "--scope", "seller.order.info:optional",
        "--privacy-policy-url", "https://erp.example.com/privacy",
        "--live",
    )  # fmt: skip

    app = PartnerApp.objects.get()
    assert output["app_id"] == app.pk
    assert output["client_id"] == app.client_id
    assert output["status"] == "live"
    assert output["scopes"] == {"seller.product.basic": "required", "seller.order.info": "optional"}
    assert check_password(output["client_secret"], app.client_secret)
    assert app.redirect_uris == "https://erp.example.com/cb http://127.0.0.1:8765/cb"

    again = run(
        "create_app", "--partner-id", str(membership.partner_id), "--name", "ERP Sync",
        "--redirect-uri", "https://erp.example.com/cb",
    )  # fmt: skip
    assert again["app_id"] == app.pk
    assert again["created"] is False
    assert "client_secret" not in again
    assert PartnerApp.objects.count() == 1


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--redirect-uri", "http://erp.example.com/cb"], "uses http"),
        (["--redirect-uri", "https://erp.example.com/cb", "--scope", "seller.nope"], "seller.nope"),
        (
            ["--redirect-uri", "https://erp.example.com/cb", "--scope", "a:sometimes"],
            "KEY:optional",
        ),
        (["--redirect-uri", "https://erp.example.com/cb", "--live"], "privacy policy"),
    ],
)
def test_create_app_refuses_bad_input_and_creates_nothing(extra, message):
    membership = factories.MembershipFactory(role="owner")

    with pytest.raises(CommandError, match=message):
        call_command(
            "create_app", "--partner-id", str(membership.partner_id), "--name", "ERP", *extra
        )

    assert not PartnerApp.objects.exists()
    assert not AppScope.objects.exists()


def test_create_app_command_with_an_overlong_url_is_refused_and_creates_nothing(member):
    long_url = "https://app.example.com/" + "a" * 200

    with pytest.raises(CommandError, match="homepage URL can be at most 200 characters"):
        call_command(
            "create_app",
            "--partner-id",
            str(member.partner_id),
            "--name",
            "Helpdesk Sync",
            "--redirect-uri",
            "https://app.example.com/callback",
            "--homepage-url",
            long_url,
        )

    assert not PartnerApp.objects.exists()


def test_create_app_for_an_unknown_partner_is_a_command_error():
    with pytest.raises(CommandError, match="No partner has id 999"):
        call_command(
            "create_app", "--partner-id", "999", "--name", "X", "--redirect-uri", "https://x.test/"
        )
