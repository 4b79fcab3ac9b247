"""The scale-data generator (bench/scale_data/) at a tiny factor: exact row counts, and the
constraints and shapes the pages benchmark relies on."""

import hashlib
import time
from datetime import timedelta
from io import StringIO

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, hotp_value
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.db import connection
from django.db.models import Count
from django.utils import timezone
from oauth2_provider.models import AccessToken, RefreshToken

from apps_registry.models import (
    AccessRequest,
    AuthorizationEvent,
    PartnerApp,
    ReviewEvent,
    ShopAuthorization,
    WebhookDelivery,
)
from bench.http_load.seed import APP_NAME, SELLER_EMAIL
from bench.scale_data.generate import fixture, marker, populate, refresh_expiring, row_counts
from bench.scale_data.sizes import Sizes

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

FACTOR = 0.05


@pytest.fixture
def scale_data():
    call_command("load_scope_catalog", stdout=StringIO())
    populate(Sizes.for_factor(FACTOR))


def test_full_size_is_the_issues():
    sizes = Sizes.for_factor(100)
    assert (
        sizes.partners + 1,
        sizes.apps + 1,
        sizes.access_requests,
        sizes.authorizations,
        sizes.access_tokens,
    ) == (10_001, 10_001, 100_000, 1_000_000, 5_000_000)
    assert (sizes.measured_installs, sizes.seller_apps, sizes.bench_partner_apps) == (
        10_000,
        200,
        100,
    )


def test_factor_must_be_positive():
    with pytest.raises(ValueError, match="positive"):
        Sizes.for_factor(0)


def test_marker_names_the_factor():
    assert marker(1.0) != marker(100.0)
    assert "factor=100.0" in marker(100.0)


def test_row_counts_are_exact(scale_data):
    assert row_counts() == {
        "auth_user": 108,
        "apps_registry_partner": 6,
        "apps_registry_membership": 8,
        "apps_registry_partnerapp": 7,
        "apps_registry_appscope": 17,
        "apps_registry_accessrequest": 51,
        "apps_registry_reviewevent": 141,
        "apps_registry_shop": 99,
        "apps_registry_shopauthorization": 500,
        "apps_registry_shopauthorization_scopes": 1000,
        "apps_registry_authorizationevent": 538,
        "oauth2_provider_accesstoken": 2500,
        "oauth2_provider_refreshtoken": 500,
        "apps_registry_webhookendpoint": 1,
        "apps_registry_webhookdelivery": 50,
        "apps_registry_webhookattempt": 49,
    }


def scalar(query: str, parameters=()) -> int:
    with connection.cursor() as cursor:
        cursor.execute(query, parameters)
        return cursor.fetchone()[0]


def test_every_authorization_has_its_grant_event_and_two_scopes(scale_data):
    assert not scalar(
        """SELECT count(*) FROM apps_registry_shopauthorization a
           WHERE (SELECT count(*) FROM apps_registry_authorizationevent e
                  WHERE e.action = 'grant' AND e.app_id = a.app_id AND e.shop_id = a.shop_id
                    AND e.seller_id = a.granted_by_id) < 1"""
    )
    assert not ShopAuthorization.objects.annotate(granted=Count("scopes")).exclude(granted=2)
    revoked = ShopAuthorization.objects.exclude(revoked_at=None)
    assert revoked.count() == 38
    assert AuthorizationEvent.objects.filter(action="revoke_app").count() == 38
    assert AuthorizationEvent.objects.filter(action="grant").count() == 500


def test_one_active_authorization_per_app_and_shop_and_request_per_app_and_scope(scale_data):
    assert not scalar(
        """SELECT count(*) FROM (SELECT 1 FROM apps_registry_shopauthorization
           WHERE revoked_at IS NULL GROUP BY app_id, shop_id HAVING count(*) > 1) twice"""
    )
    assert not scalar(
        """SELECT count(*) FROM (SELECT 1 FROM apps_registry_accessrequest
           WHERE status IN ('submitted', 'in_review', 'changes_requested', 'approved')
           GROUP BY app_id, scope_id HAVING count(*) > 1) twice"""
    )


def test_each_access_request_history_ends_in_its_status(scale_data):
    assert not scalar(
        """SELECT count(*) FROM apps_registry_accessrequest r
           WHERE r.status IS DISTINCT FROM (
               SELECT to_status FROM apps_registry_reviewevent e WHERE e.request_id = r.id
               ORDER BY e.created_at DESC, e.id DESC LIMIT 1)"""
    )
    assert not AccessRequest.objects.exclude(events__action=ReviewEvent.Action.SUBMIT).exists()


def test_the_measured_world_grows_with_the_factor(scale_data):
    sizes = Sizes.for_factor(FACTOR)
    bench_app = ShopAuthorization.objects.filter(app__name=APP_NAME)
    assert bench_app.count() == sizes.measured_installs == 5
    assert ShopAuthorization.objects.filter(shop__owner__email=SELLER_EMAIL).count() == 6
    assert sizes.seller_apps == 6  # every app of this small world, fewer than FULL_PAGE
    deliveries = WebhookDelivery.objects.filter(app__name=APP_NAME)
    assert list(deliveries.values_list("status").annotate(Count("id")).order_by("status")) == [
        ("delivered", 47),
        ("failed", 2),
        ("pending", 1),
    ]


def test_tokens_are_stored_as_dot_stores_them(scale_data):
    assert AccessToken.objects.filter(expires__lte=timezone.now()).count() == 750
    assert not AccessToken.objects.exclude(token="").exists()
    assert AccessToken.objects.filter(
        token_checksum=hashlib.sha256(b"scale-access-7").hexdigest()
    ).exists()
    # Refresh tokens come with unexpired access tokens only.
    assert not RefreshToken.objects.filter(access_token__expires__lte=timezone.now()).exists()
    # Every token belongs to an authorization in force for its app and seller.
    assert not scalar(
        """SELECT count(*) FROM oauth2_provider_accesstoken t WHERE NOT EXISTS (
               SELECT 1 FROM apps_registry_shopauthorization a
               WHERE a.app_id = t.application_id AND a.granted_by_id = t.user_id
                 AND a.revoked_at IS NULL AND a.expires_at > now())"""
    )


def test_the_fixture_names_the_world(scale_data):
    written = fixture(FACTOR)
    app = PartnerApp.objects.get(pk=written["app_id"])
    assert (app.name, app.partner_id, app.client_id) == (
        APP_NAME,
        written["partner_id"],
        written["client_id"],
    )
    assert written["consent_scope"] == "seller.order.ext_ref.read seller.product.basic"
    application = AccessRequest.objects.get(pk=written["access_request_id"])
    assert (application.app_id, application.events.count()) == (app.pk, 3)
    reviewer = get_user_model().objects.get(email=written["reviewer_email"])
    code = format_hotp_value(hotp_value(written["reviewer_totp_secret"], int(time.time()) // 30))
    assert TOTP(Authenticator.objects.get(user=reviewer)).validate_code(code)
    assert written["counts"] == row_counts()


def test_reuse_refreshes_what_expires_and_drops_the_sessions(scale_data, client):
    world_authorization = ShopAuthorization.objects.get(
        app__name=APP_NAME, shop__owner__email=SELLER_EMAIL
    )
    ShopAuthorization.objects.filter(pk=world_authorization.pk).update(
        expires_at=timezone.now() - timedelta(days=1)
    )
    client.force_login(world_authorization.granted_by)
    assert Session.objects.count() == 1
    refresh_expiring()
    world_authorization.refresh_from_db()
    assert world_authorization.expires_at > timezone.now() + timedelta(days=364)
    assert not Session.objects.exists()
