"""The scheduled authorization jobs: authorization.expiring 30 days before a consent ends and
daily after, authorization.expired once; running them twice sends nothing twice."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps_registry.models import AuthorizationEvent, ShopAuthorization, WebhookTopic
from apps_registry.services import authorization_jobs
from apps_registry.services.authorization_jobs import (
    authorizations_expire_due,
    authorizations_warn_expiring,
)
from apps_registry.services.authorizations import authorization_grant
from tests import factories
from tests.apps_registry.webhooks.events.helpers import sent_data, subscribe

pytestmark = pytest.mark.django_db

EXPIRING = WebhookTopic.AUTHORIZATION_EXPIRING
EXPIRED = WebhookTopic.AUTHORIZATION_EXPIRED


@pytest.fixture
def now():
    return timezone.now().replace(hour=9, minute=0, second=0, microsecond=0)


def _authorization(app, product_scope, expires_at) -> ShopAuthorization:
    return factories.ShopAuthorizationFactory(
        app=app, scopes=[product_scope], expires_at=expires_at
    )


def _shop(authorization) -> dict:
    shop = authorization.shop
    return {
        "seller_id": shop.owner_id,
        "shop_id": shop.pk,
        "shop_cipher": shop.cipher,
        "shop_name": shop.name,
    }


def test_an_authorization_ending_within_30_days_is_warned_about_once_a_day(
    app, product_scope, order_scope, now
):
    subscribe(app)
    ends = now + timedelta(days=10, hours=2)
    authorization = _authorization(app, product_scope, ends)
    authorization.scopes.add(order_scope)

    assert authorizations_warn_expiring(now=now) == 1
    assert authorizations_warn_expiring(now=now + timedelta(hours=5)) == 0

    expiring = {
        **_shop(authorization),
        "scopes": ["seller.order.info", "seller.product.basic"],
        "expires_at": ends.isoformat(),
    }
    assert sent_data(app, EXPIRING) == [{**expiring, "days_left": 11}]
    authorization.refresh_from_db()
    assert authorization.expiry_warned_on == now.date()

    assert authorizations_warn_expiring(now=now + timedelta(days=1)) == 1
    assert sent_data(app, EXPIRING) == [
        {**expiring, "days_left": 11},
        {**expiring, "days_left": 10},
    ]


def test_nothing_is_warned_about_beyond_30_days_or_once_revoked_or_ended(app, product_scope, now):
    subscribe(app)
    _authorization(app, product_scope, now + timedelta(days=30, minutes=1))
    revoked = _authorization(app, product_scope, now + timedelta(days=3))
    revoked.revoked_at = now
    revoked.save()
    _authorization(app, product_scope, now - timedelta(minutes=1))

    assert authorizations_warn_expiring(now=now) == 0

    assert sent_data(app, EXPIRING) == []
    assert not ShopAuthorization.objects.filter(expiry_warned_on__isnull=False).exists()


def test_a_renewal_stops_the_warnings(app, seller, shop, now):
    subscribe(app)
    [authorization] = authorization_grant(
        seller=seller, app=app, shops=[shop], scope_keys=["seller.product.basic"], duration_days=30
    )
    assert authorizations_warn_expiring(now=now + timedelta(days=1)) == 1

    authorization_grant(
        seller=seller, app=app, shops=[shop], scope_keys=["seller.product.basic"], duration_days=90
    )

    assert authorizations_warn_expiring(now=now + timedelta(days=2)) == 0
    assert authorizations_expire_due(now=now + timedelta(days=31)) == 0
    assert [data["shop_id"] for data in sent_data(app, EXPIRING)] == [authorization.shop_id]


def test_an_ended_authorization_is_told_once_and_enters_the_sellers_history(
    app, product_scope, now
):
    subscribe(app)
    ended = now - timedelta(hours=1)
    authorization = _authorization(app, product_scope, ended)

    assert authorizations_expire_due(now=now) == 1
    assert authorizations_expire_due(now=now) == 0
    assert authorizations_expire_due(now=now + timedelta(days=1)) == 0

    assert sent_data(app, EXPIRED) == [
        {
            **_shop(authorization),
            "scopes": ["seller.product.basic"],
            "expires_at": ended.isoformat(),
        }
    ]
    event = AuthorizationEvent.objects.get()
    assert (event.action, event.seller, event.app, event.shop, event.scope_keys, event.details) == (
        AuthorizationEvent.Action.EXPIRE,
        authorization.shop.owner,
        app,
        authorization.shop,
        ["seller.product.basic"],
        {"expires_at": ended.isoformat()},
    )
    authorization.refresh_from_db()
    assert authorization.expired_notified_at == now


def test_a_consent_renewed_after_it_ended_is_told_of_its_new_end_too(app, seller, shop, now):
    subscribe(app)
    [authorization] = authorization_grant(
        seller=seller, app=app, shops=[shop], scope_keys=["seller.product.basic"], duration_days=30
    )
    assert authorizations_expire_due(now=now + timedelta(days=31)) == 1

    ShopAuthorization.objects.filter(pk=authorization.pk).update(
        expires_at=now + timedelta(days=32)
    )

    assert authorizations_expire_due(now=now + timedelta(days=31, hours=1)) == 0
    assert authorizations_expire_due(now=now + timedelta(days=33)) == 1
    assert len(sent_data(app, EXPIRED)) == 2


def test_a_consent_that_ended_long_ago_is_not_news(app, product_scope, now):
    subscribe(app)
    _authorization(app, product_scope, now - timedelta(days=31))

    assert authorizations_expire_due(now=now) == 0

    assert sent_data(app, EXPIRED) == []
    assert AuthorizationEvent.objects.count() == 0


def test_an_app_without_the_topic_gets_no_event_but_the_job_still_records_it(
    app, product_scope, now
):
    subscribe(app, WebhookTopic.APP_SUSPENDED)
    _authorization(app, product_scope, now + timedelta(days=3))
    _authorization(app, product_scope, now - timedelta(days=3))

    assert authorizations_warn_expiring(now=now) == 1
    assert authorizations_expire_due(now=now) == 1

    assert sent_data(app, EXPIRING) == sent_data(app, EXPIRED) == []
    assert authorizations_warn_expiring(now=now) == authorizations_expire_due(now=now) == 0


def test_the_jobs_work_through_every_batch(app, product_scope, now, monkeypatch):
    monkeypatch.setattr(authorization_jobs, "BATCH_SIZE", 2)
    subscribe(app)
    for _ in range(5):
        _authorization(app, product_scope, now + timedelta(days=3))
        _authorization(app, product_scope, now - timedelta(days=3))

    assert authorizations_warn_expiring(now=now) == 5
    assert authorizations_expire_due(now=now) == 5

    assert len(sent_data(app, EXPIRING)) == len(sent_data(app, EXPIRED)) == 5


@pytest.mark.parametrize("job", [authorizations_warn_expiring, authorizations_expire_due])
def test_a_batch_costs_the_same_queries_whatever_its_size(app, product_scope, now, job):
    subscribe(app)
    ends = now + timedelta(days=3) if job is authorizations_warn_expiring else now
    counts = []
    for size in (1, 6):
        ShopAuthorization.objects.update(revoked_at=now)  # the last round's are no longer due
        for _ in range(size):
            _authorization(app, product_scope, ends)
        with CaptureQueriesContext(connection) as queries:
            assert job(now=now) == size
        counts.append(len(queries))

    assert counts[0] == counts[1]
