"""authorization.revoked: what a seller's disconnection or withdrawal, and the platform's
withdrawal of a Custom scope, tell the app, one event per shop, in the change's transaction."""

from __future__ import annotations

import pytest

from apps_registry.models import ShopAuthorization, WebhookDelivery, WebhookTopic
from apps_registry.services.authorizations import (
    authorization_grant,
    authorization_revoke_app,
    authorization_revoke_scope,
    authorization_revoke_shop,
    authorization_withdraw_scope_for_platform,
)
from core.errors import InvalidTransitionError
from tests import factories
from tests.apps_registry.webhooks.events.helpers import (
    call_and_roll_back,
    deliveries,
    sent_data,
    subscribe,
)

pytestmark = pytest.mark.django_db

REVOKED = WebhookTopic.AUTHORIZATION_REVOKED
BOTH_SCOPES = ["seller.order.info", "seller.product.basic"]


@pytest.fixture
def second_shop(seller):
    return factories.ShopFactory(owner=seller, name="Southwind Goods")


@pytest.fixture
def connected(app, seller, shop, second_shop):
    """Both of the seller's shops granted both scopes of the app, which listens to everything."""
    subscribe(app)
    return authorization_grant(
        seller=seller,
        app=app,
        shops=[shop, second_shop],
        scope_keys=BOTH_SCOPES,
        duration_days=90,
    )


def _shop(shop) -> dict:
    return {
        "seller_id": shop.owner_id,
        "shop_id": shop.pk,
        "shop_cipher": shop.cipher,
        "shop_name": shop.name,
    }


def _revoked_at(app, shop) -> str:
    return ShopAuthorization.objects.get(
        app=app, shop=shop, revoked_at__isnull=False
    ).revoked_at.isoformat()


def test_disconnecting_the_app_tells_it_once_per_shop_with_the_whole_payload(
    app, seller, shop, second_shop, connected
):
    authorization_revoke_app(seller=seller, app=app)

    sent = deliveries(app, REVOKED)
    revoked_at = _revoked_at(app, shop)
    assert [delivery.payload for delivery in sent] == [
        {
            "id": delivery.event_id,
            "type": "authorization.revoked",
            "created_at": revoked_at,
            "app_id": app.client_id,
            "data": {
                **_shop(expected_shop),
                "revoked_scopes": BOTH_SCOPES,
                "remaining_scopes": [],
                "authorization_ended": True,
                "reason": "seller_disconnected_app",
                "revoked_at": revoked_at,
            },
        }
        for delivery, expected_shop in zip(sent, [shop, second_shop], strict=True)
    ]
    assert len({delivery.event_id for delivery in sent}) == 2
    assert all(delivery.status == WebhookDelivery.Status.PENDING for delivery in sent)


def test_disconnecting_one_shop_tells_the_app_of_that_shop_only(
    app, seller, shop, second_shop, connected
):
    authorization_revoke_shop(seller=seller, app=app, shop=second_shop)

    assert sent_data(app, REVOKED) == [
        {
            **_shop(second_shop),
            "revoked_scopes": BOTH_SCOPES,
            "remaining_scopes": [],
            "authorization_ended": True,
            "reason": "seller_disconnected_shop",
            "revoked_at": _revoked_at(app, second_shop),
        }
    ]


def test_withdrawing_an_optional_scope_tells_what_each_shop_keeps(
    app, seller, shop, second_shop, connected
):
    authorization_revoke_scope(seller=seller, app=app, scope_key="seller.order.info")

    data = sent_data(app, REVOKED)
    assert data == [
        {
            **_shop(expected_shop),
            "revoked_scopes": ["seller.order.info"],
            "remaining_scopes": ["seller.product.basic"],
            "authorization_ended": False,
            "reason": "seller_withdrew_scope",
            "revoked_at": data[0]["revoked_at"],
        }
        for expected_shop in [shop, second_shop]
    ]


def test_unticking_an_optional_scope_on_renewal_is_a_withdrawal(
    app, seller, shop, second_shop, connected
):
    authorization_grant(
        seller=seller,
        app=app,
        shops=[shop],
        scope_keys=["seller.product.basic"],
        duration_days=30,
        withdrawn_keys=["seller.order.info"],
    )

    data = sent_data(app, REVOKED)
    assert data == [
        {
            **_shop(shop),
            "revoked_scopes": ["seller.order.info"],
            "remaining_scopes": ["seller.product.basic"],
            "authorization_ended": False,
            "reason": "seller_withdrew_scope",
            "revoked_at": data[0]["revoked_at"],
        }
    ]


def test_renewing_without_unticking_anything_tells_nothing(app, seller, shop, connected):
    authorization_grant(
        seller=seller, app=app, shops=[shop], scope_keys=BOTH_SCOPES, duration_days=365
    )

    assert sent_data(app, REVOKED) == []


@pytest.mark.parametrize(
    ("approval", "reason"), [("revoked", "approval_revoked"), ("expired", "approval_expired")]
)
def test_the_platform_taking_a_custom_scope_back_tells_each_shop(
    app, seller, shop, second_shop, custom_scope, approval, reason
):
    access_request = factories.ApprovedAccessRequestFactory(app=app, scope=custom_scope)
    factories.AppScopeFactory(app=app, scope=custom_scope, is_required=False)
    subscribe(app, REVOKED)
    authorization_grant(
        seller=seller,
        app=app,
        shops=[shop],
        scope_keys=["seller.product.basic", custom_scope.key],
        duration_days=90,
    )
    # The second shop holds nothing else, so it is disconnected.
    factories.ShopAuthorizationFactory(app=app, shop=second_shop, scopes=[custom_scope])

    authorization_withdraw_scope_for_platform(
        app=app, scope=custom_scope, access_request_id=access_request.pk, approval=approval
    )

    data = sent_data(app, REVOKED)
    common = {"revoked_scopes": [custom_scope.key], "reason": reason}
    assert data == [
        {
            **_shop(shop),
            **common,
            "remaining_scopes": ["seller.product.basic"],
            "authorization_ended": False,
            "revoked_at": data[0]["revoked_at"],
        },
        {
            **_shop(second_shop),
            **common,
            "remaining_scopes": [],
            "authorization_ended": True,
            "revoked_at": _revoked_at(app, second_shop),
        },
    ]


def test_an_app_not_listening_to_the_topic_gets_no_event(app, seller, shop):
    subscribe(app, WebhookTopic.APP_SUSPENDED)
    authorization_grant(
        seller=seller, app=app, shops=[shop], scope_keys=BOTH_SCOPES, duration_days=90
    )

    authorization_revoke_app(seller=seller, app=app)

    assert WebhookDelivery.objects.count() == 0


def test_an_app_without_a_webhook_gets_no_event(app, seller, shop):
    authorization_grant(
        seller=seller, app=app, shops=[shop], scope_keys=BOTH_SCOPES, duration_days=90
    )

    authorization_revoke_app(seller=seller, app=app)

    assert WebhookDelivery.objects.count() == 0


def test_a_rolled_back_revocation_records_no_event(app, seller, shop, connected):
    call_and_roll_back(authorization_revoke_app, seller=seller, app=app)

    assert WebhookDelivery.objects.count() == 0
    assert ShopAuthorization.objects.filter(app=app, revoked_at__isnull=True).count() == 2


def test_a_refused_revocation_records_no_event(app, seller, shop, connected):
    authorization_revoke_shop(seller=seller, app=app, shop=shop)
    WebhookDelivery.objects.all().delete()

    with pytest.raises(InvalidTransitionError):
        authorization_revoke_shop(seller=seller, app=app, shop=shop)

    assert WebhookDelivery.objects.count() == 0


def test_the_worker_is_told_of_each_event_once_the_revocation_commits(
    app, seller, connected, deliver, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        authorization_revoke_app(seller=seller, app=app)
    deliver.enqueue.assert_not_called()

    for callback in callbacks:
        callback()

    assert [call.args for call in deliver.enqueue.call_args_list] == [
        (delivery.pk,) for delivery in deliveries(app, REVOKED)
    ]
