"""What sellers read on the consent page: no invisible format characters, no lookalike scripts.

One rule (apps_registry/validators.py) guards the app services, the partner service, the
console's forms, the API serializer and PartnerApp.clean (the admin).
"""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import ValidationError
from rest_framework.test import APIClient

from apps_registry.models import Membership, Partner, PartnerApp, PartnerAuditEvent
from apps_registry.services import apps as app_services
from apps_registry.services import partners as partner_services
from apps_registry.validators import validate_display_name, validate_no_format_characters
from core.errors import DomainError
from tests import factories
from tests.conftest import sign_in_with_mfa

pytestmark = pytest.mark.django_db

RIGHT_TO_LEFT_OVERRIDE = "\u202e"
CYRILLIC_A = "\u0410"  # looks exactly like Latin "A"
FORMAT_MESSAGE = "Remove the invisible character U+202E (RIGHT-TO-LEFT OVERRIDE)"
LOOKALIKE_MESSAGE = (
    f"“{CYRILLIC_A}cme Sync” mixes Cyrillic and Latin letters that look alike "
    f"({CYRILLIC_A} is CYRILLIC CAPITAL LETTER A). Write it in one alphabet so sellers cannot "
    "mistake it for another name."
)


@pytest.mark.parametrize(
    "name",
    [
        "Acme Sync",
        "Café Crème Sync",  # one script with accents
        "東京 Sync",  # scripts that cannot be mistaken for each other
        "ソニー Sync",
        "한국 Shop",
        "Магазин",  # one script, not Latin
        "Acme 24/7 — Sync",
    ],
)
def test_acceptable_display_names(name):
    validate_display_name(name)


@pytest.mark.parametrize(
    ("name", "code"),
    [
        (f"Acme{RIGHT_TO_LEFT_OVERRIDE}cnyS", "format_character"),
        ("Acme\u2066Sync\u2069", "format_character"),  # bidi isolates
        ("Ac\u200bme", "format_character"),  # zero width space
        ("Acme\u200dSync", "format_character"),  # zero width joiner
        ("\ufeffAcme", "format_character"),  # byte order mark
        (f"{CYRILLIC_A}cme", "lookalike_scripts"),
        ("Acme P\u0430y", "lookalike_scripts"),  # Cyrillic а inside a Latin word
        ("Acme \u0420\u0430\u0443", "lookalike_scripts"),  # "Рау": all Cyrillic, beside Latin
        ("\u0391cme", "lookalike_scripts"),  # Greek Alpha
    ],
)
def test_unacceptable_display_names(name, code):
    with pytest.raises(ValidationError) as raised:
        validate_display_name(name)

    assert [error.code for error in raised.value.error_list] == [code]


def test_the_messages_say_what_to_remove_or_rewrite():
    with pytest.raises(ValidationError) as invisible:
        validate_display_name(f"Acme{RIGHT_TO_LEFT_OVERRIDE}Sync")
    with pytest.raises(ValidationError) as lookalike:
        validate_display_name(f"{CYRILLIC_A}cme Sync")

    assert invisible.value.messages == [
        f"{FORMAT_MESSAGE}: it can change how sellers read the text on the consent page."
    ]
    assert lookalike.value.messages == [LOOKALIKE_MESSAGE]


def test_descriptions_may_mix_scripts_but_not_carry_format_characters():
    validate_no_format_characters(f"Syncs stock with {CYRILLIC_A}cme's warehouse, Склад.")

    with pytest.raises(ValidationError, match=re.escape(FORMAT_MESSAGE)):
        validate_no_format_characters(f"Syncs stock.{RIGHT_TO_LEFT_OVERRIDE}")


# --- services -----------------------------------------------------------------------------------


def _member_of(partner):
    return factories.MembershipFactory(partner=partner, role=Membership.Role.DEVELOPER).user


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"name": f"Acme{RIGHT_TO_LEFT_OVERRIDE}Sync"}, FORMAT_MESSAGE),
        ({"name": f"{CYRILLIC_A}cme Sync"}, LOOKALIKE_MESSAGE),
        ({"description": f"Syncs stock.{RIGHT_TO_LEFT_OVERRIDE}"}, FORMAT_MESSAGE),
    ],
)
def test_app_create_refuses_deceptive_text_and_creates_nothing(overrides, message):
    partner = factories.PartnerFactory()
    user = _member_of(partner)
    arguments = {
        "name": "Acme Sync",
        "description": "Syncs stock.",
        "redirect_uris": ["https://app.example.com/callback"],
        **overrides,
    }

    with pytest.raises(DomainError) as raised:
        app_services.app_create(partner=partner, acting_user=user, **arguments)

    assert str(raised.value).startswith(message)
    assert PartnerApp.objects.count() == 0
    assert PartnerAuditEvent.objects.count() == 0


def test_app_update_details_refuses_deceptive_text_and_changes_nothing():
    app = factories.PartnerAppFactory(name="Acme Sync", description="Syncs stock.")
    user = _member_of(app.partner)

    with pytest.raises(DomainError, match=re.escape(FORMAT_MESSAGE)):
        app_services.app_update_details(
            app_id=app.pk,
            acting_user=user,
            name=f"Acme{RIGHT_TO_LEFT_OVERRIDE}Sync",
            description="Syncs stock.",
            category=app.category,
            homepage_url="",
            privacy_policy_url=app.privacy_policy_url,
        )

    app.refresh_from_db()
    assert (app.name, app.description) == ("Acme Sync", "Syncs stock.")
    assert not PartnerAuditEvent.objects.filter(action=PartnerAuditEvent.Action.APP_UPDATED)


def test_partner_create_refuses_a_lookalike_name_and_creates_nothing():
    user = factories.UserFactory()

    with pytest.raises(DomainError, match="mixes Cyrillic and Latin"):
        partner_services.partner_create(name=f"{CYRILLIC_A}cme Software", acting_user=user)

    assert Partner.objects.count() == 0
    assert Membership.objects.count() == 0


def test_model_clean_refuses_deceptive_name_and_description():
    app = factories.PartnerAppFactory.build(
        partner=factories.PartnerFactory(),
        user=factories.UserFactory(),
        name=f"{CYRILLIC_A}cme Sync",
        description=f"Syncs stock.{RIGHT_TO_LEFT_OVERRIDE}",
    )

    with pytest.raises(ValidationError) as raised:
        app.clean()

    assert raised.value.message_dict["name"] == [LOOKALIKE_MESSAGE]
    assert raised.value.message_dict["description"][0].startswith(FORMAT_MESSAGE)


# --- console form and API -----------------------------------------------------------------------


def test_the_create_form_shows_the_reason_next_to_the_name(client):
    membership = factories.MembershipFactory(role=Membership.Role.OWNER)
    sign_in_with_mfa(client, membership.user)

    response = client.post(
        "/console/apps/new/",
        {
            "name": f"{CYRILLIC_A}cme Sync",
            "category": "other",
            "redirect_uris": "https://app.example.com/callback",
        },
    )

    assert response.status_code == 400
    assert response.context["form"].errors == {"name": [LOOKALIKE_MESSAGE]}
    assert PartnerApp.objects.count() == 0


def test_the_api_refuses_deceptive_text_per_field():
    membership = factories.MembershipFactory(role=Membership.Role.OWNER)
    api = APIClient()
    api.force_login(membership.user)

    response = api.post(
        "/api/v1/apps/",
        {
            "name": f"{CYRILLIC_A}cme Sync",
            "description": f"Syncs stock.{RIGHT_TO_LEFT_OVERRIDE}",
            "redirect_uris": ["https://app.example.com/callback"],
        },
        format="json",
    )

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert body["fields"]["name"] == [LOOKALIKE_MESSAGE]
    assert body["fields"]["description"][0].startswith(FORMAT_MESSAGE)
    assert PartnerApp.objects.count() == 0
