"""The app page shows its owner the calls the gate denied in the last 7 days, one row per reason in
plain words; nobody else sees them, and the read is one query however many rows there are."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from apps_registry.models import GateDenialCount, Membership
from apps_registry.selectors import gate as gate_selectors
from apps_registry.selectors.gate import DenialsByReason
from tests import factories

pytestmark = pytest.mark.django_db


def denied(app, reason, *, days_ago, count, hours_ago=0):
    at = timezone.now() - timedelta(days=days_ago, hours=hours_ago)
    return GateDenialCount.objects.create(
        app=app, reason=reason, day=at.date(), count=count, last_denied_at=at
    )


def app_page(client, app):
    return client.get(reverse("partner:app-detail", args=[app.pk]))


def test_the_owner_sees_the_last_7_days_by_reason_most_recent_first(client, app):
    latest = denied(app, "scope_not_granted_by_seller", days_ago=0, hours_ago=1, count=3)
    denied(app, "scope_not_granted_by_seller", days_ago=6, count=2)
    shop_required = denied(app, "shop_required", days_ago=1, count=5)
    denied(app, "unknown_endpoint", days_ago=7, count=100)  # before the 7 days
    denied(factories.PartnerAppFactory(), "app_suspended", days_ago=0, count=9)  # another app

    response = app_page(client, app)

    rows = [row for row, _text in response.context["recent_denials"]]
    assert rows == [
        DenialsByReason("scope_not_granted_by_seller", 5, latest.last_denied_at),
        DenialsByReason("shop_required", 5, shop_required.last_denied_at),
    ]
    page = response.text
    assert "Scope not granted by the seller" in page
    assert "The seller&#x27;s consent does not include a scope the endpoint needs." in page
    assert "Choose the scope on the app&#x27;s Manage API page" in page
    assert "<code>shop_required</code>" in page
    assert "unknown_endpoint" not in page
    assert "app_suspended" not in page
    assert f'<a href="/console/apps/{app.pk}/explain/">Explain a call</a>' in page


def test_an_app_without_denials_says_so(client, app):
    denied(app, "unknown_endpoint", days_ago=8, count=1)

    response = app_page(client, app)

    assert response.context["recent_denials"] == []
    assert "None in the last 7 days." in response.text


def test_another_organisation_cannot_see_an_apps_denials(client, app):
    denied(app, "shop_required", days_ago=0, count=1)
    stranger = factories.MembershipFactory(role=Membership.Role.OWNER).user
    client.force_login(stranger)

    assert app_page(client, app).status_code == 404
    assert gate_selectors.recent_denials_for_user(user=stranger, app_id=app.pk) == []


def test_the_denials_are_read_in_one_query(member, app, django_assert_num_queries):
    reasons = ["shop_required", "unknown_endpoint", "shop_not_authorized", "app_suspended"]
    for days_ago in range(7):
        for reason in reasons:
            denied(app, reason, days_ago=days_ago, count=days_ago + 1)

    with django_assert_num_queries(1):
        rows = gate_selectors.recent_denials_for_user(user=member.user, app_id=app.pk)

    assert sorted((row.reason, row.count) for row in rows) == [
        (reason, 28) for reason in sorted(reasons)
    ]
