"""What the gate records: last use per (app, shop, scope) and denials per reason, buffered in
memory and written in batches, never once per call."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from apps_registry.gate import usage
from apps_registry.models import GateDenialCount, ScopeUsage, ShopAuthorization
from tests import factories
from tests.oauth.flow import issue_tokens, refresh

pytestmark = pytest.mark.django_db


def test_allowed_calls_record_the_scope_used_on_the_shop_when_flushed(gate, app, shop, flushed):
    for _ in range(3):
        assert gate.check().status_code == 200
    assert not ScopeUsage.objects.exists()  # buffered, not written per call

    flushed()

    usage_row = ScopeUsage.objects.get()
    assert (usage_row.app_id, usage_row.shop_id, usage_row.scope_id) == (
        app.pk,
        shop.pk,
        "seller.product.basic",
    )
    authorization = ShopAuthorization.objects.get(shop=shop)
    assert authorization.last_used_at == usage_row.last_used_at


def test_a_later_flush_moves_the_last_use_forward(gate, flushed):
    gate.check()
    flushed()
    first = ScopeUsage.objects.get().last_used_at

    later = timezone.now() + timedelta(minutes=5)
    with mock.patch("django.utils.timezone.now", return_value=later):
        assert gate.check().status_code == 200
        flushed()

    assert ScopeUsage.objects.get().last_used_at == later > first


def test_denials_are_counted_by_reason_and_day(gate, app, flushed):
    for _ in range(2):
        gate.check(uri="/product/202309/products/42")  # shop_required
    gate.check(method="DELETE")  # unknown_endpoint
    gate.check(token="nonsense")  # no app to count it against
    flushed()
    gate.check(uri="/product/202309/products/42")
    flushed()

    counts = {row.reason: row.count for row in GateDenialCount.objects.filter(app=app)}
    assert counts == {"shop_required": 3, "unknown_endpoint": 1}
    assert GateDenialCount.objects.count() == 2
    assert {row.day for row in GateDenialCount.objects.all()} == {timezone.now().date()}


def test_the_buffer_is_written_once_the_interval_has_passed(gate):
    gate.check()
    assert not ScopeUsage.objects.exists()

    later = timezone.now() + usage.FLUSH_INTERVAL + timedelta(seconds=1)
    with mock.patch("django.utils.timezone.now", return_value=later):
        gate.check()

    assert ScopeUsage.objects.get().last_used_at == later


def test_a_failed_write_never_fails_the_call(gate, caplog):
    gate.check()
    later = timezone.now() + usage.FLUSH_INTERVAL + timedelta(seconds=1)
    with (
        mock.patch.object(usage, "_write", side_effect=RuntimeError("database gone")),
        mock.patch("django.utils.timezone.now", return_value=later),
    ):
        response = gate.check()

    assert response.status_code == 200
    assert "could not write the gate's usage" in caplog.text
    assert not ScopeUsage.objects.exists()


def test_the_shops_api_stamps_the_consent_without_a_write_per_call(client, gate, flushed):
    ShopAuthorization.objects.update(last_used_at=None)
    response = client.get("/api/v1/authorization/shops", HTTP_AUTHORIZATION=f"Bearer {gate.token}")
    assert response.status_code == 200
    assert ShopAuthorization.objects.get().last_used_at is None

    flushed()

    assert ShopAuthorization.objects.get().last_used_at is not None


def test_a_refresh_stamps_the_consent_once_its_transaction_commits(
    client, app, seller, shop, flushed, django_capture_on_commit_callbacks
):
    tokens = issue_tokens(client, app, seller, [shop])
    ShopAuthorization.objects.update(last_used_at=None)

    with django_capture_on_commit_callbacks(execute=False) as pending:
        assert refresh(client, app, tokens["refresh_token"]).status_code == 200
    flushed()
    assert ShopAuthorization.objects.get().last_used_at is None  # not inside the transaction

    for callback in pending:
        callback()
    flushed()

    assert ShopAuthorization.objects.get().last_used_at is not None


def test_denials_of_another_app_are_its_own(gate, app, flushed):
    other = factories.PartnerAppFactory()
    gate.check(method="DELETE")
    flushed()

    assert not GateDenialCount.objects.filter(app=other).exists()
    assert GateDenialCount.objects.get().app == app


def test_gate_denials_are_not_logged_as_warnings(gate, caplog):
    caplog.set_level("WARNING", logger="django.request")

    gate.check(method="DELETE")

    assert "Forbidden" not in caplog.text
