"""The app page shows its owner recent failed client authentications, by address; nobody else
sees them (ADR 0009)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from apps_registry.models import ClientAuthFailure, Membership
from apps_registry.selectors import partners as selectors
from apps_registry.services.client_auth import client_auth_failure_record
from tests import factories

pytestmark = pytest.mark.django_db


def app_page(client, app):
    return client.get(reverse("partner:app-detail", args=[app.pk]))


def test_the_owner_sees_failures_of_the_last_24_hours_by_address(client, app):
    for _ in range(3):
        client_auth_failure_record(client_ids={app.client_id}, address="203.0.113.7")
    client_auth_failure_record(client_ids={app.client_id}, address="2001:db8::")
    yesterday = timezone.now() - timedelta(hours=25)
    ClientAuthFailure.objects.create(
        app=app, address="192.0.2.9", hour=yesterday, count=40, last_seen_at=yesterday
    )

    response = app_page(client, app)

    summary = response.context["client_auth_failures"]
    assert summary.total == 4
    assert [(row["address"], row["failures"]) for row in summary.by_address] == [
        ("2001:db8::", 1),
        ("203.0.113.7", 3),
    ]
    page = response.text
    assert "4 requests to the token, revocation or introspection endpoints" in page
    assert "<code>203.0.113.7</code></td><td>3</td>" in page
    assert "192.0.2.9" not in page


def test_an_app_without_failures_says_so(client, app):
    assert "None in the last 24 hours." in app_page(client, app).text


def test_another_organisation_cannot_see_an_apps_failures(client, app):
    client_auth_failure_record(client_ids={app.client_id}, address="203.0.113.7")
    stranger = factories.MembershipFactory(role=Membership.Role.OWNER).user
    client.force_login(stranger)

    assert app_page(client, app).status_code == 404
    summary = selectors.client_auth_failures_for_user(user=stranger, app_id=app.pk)
    assert (summary.total, summary.by_address) == (0, [])


def test_the_total_counts_addresses_beyond_those_listed(member, app):
    for index in range(3):
        client_auth_failure_record(client_ids={app.client_id}, address=f"192.0.2.{index}")

    summary = selectors.client_auth_failures_for_user(user=member.user, app_id=app.pk, limit=2)

    assert summary.total == 3
    assert [row["address"] for row in summary.by_address] == ["192.0.2.2", "192.0.2.1"]
