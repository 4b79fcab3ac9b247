"""The soak's consistency checks (bench/soak/checks.py): each passes on what the services write,
and names exactly what is wrong when a row is missing, doubled or left behind."""

from collections import Counter
from datetime import timedelta

import pytest
from django.utils import timezone
from oauth2_provider.models import AccessToken

from apps_registry.models import ShopAuthorization, WebhookDelivery
from apps_registry.services.authorizations import authorization_grant, authorization_revoke_shop
from apps_registry.services.reviewers import reviewer_create
from apps_registry.services.reviews import (
    access_request_approve,
    access_request_assign,
    access_request_revoke,
)
from bench.soak import checks
from tests import factories
from tests.webhook_receiver import subscribe

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    """An app with a Public scope and an approved Custom one, subscribed to every webhook, and a
    seller who authorized both on a shop, holding a token for them."""
    public = factories.ScopeFactory(key="seller.product.basic")
    custom = factories.CustomScopeFactory(key="seller.order.ext_ref.read")
    app = factories.PartnerAppFactory()
    application = factories.AccessRequestFactory(app=app, scope=custom)
    subscribe(app, url="https://hooks.example/soak")
    reviewer, _ = reviewer_create(email="reviewer@soak.test", password="x-long-password-1")
    since = timezone.now()
    access_request_assign(request_id=application.pk, reviewer=reviewer)
    access_request_approve(request_id=application.pk, reviewer=reviewer)
    factories.AppScopeFactory(app=app, scope=public)
    factories.AppScopeFactory(app=app, scope=custom, is_required=False)
    shop = factories.ShopFactory()
    authorization_grant(
        seller=shop.owner, app=app, shops=[shop], scope_keys=[public.key, custom.key],
        duration_days=90,
    )  # fmt: skip
    token = AccessToken.objects.create(
        user=shop.owner,
        application=app,
        token="",
        token_checksum="a" * 64,
        expires=timezone.now() + timedelta(hours=1),
        scope=f"{public.key} {custom.key}",
    )
    return {
        "app": app, "application": application, "reviewer": reviewer, "shop": shop,
        "token": token, "since": since,
    }  # fmt: skip


def delivered_everything() -> Counter:
    """Mark every delivery delivered, as the webhook worker would, and return what a receiver
    that got each once counted."""
    WebhookDelivery.objects.update(
        status=WebhookDelivery.Status.DELIVERED,
        next_attempt_at=None,
        finished_at=timezone.now(),
        attempt_count=1,
    )
    return Counter(WebhookDelivery.objects.values_list("event_id", flat=True))


def test_everything_the_services_wrote_passes(world):
    received = delivered_everything()

    found = checks.run_checks(
        [{"kind": "decision", "request": world["application"].pk, "action": "approve"}],
        received,
        world["since"],
    )

    assert [(check.name, check.problems) for check in found] == [
        ("every decision has exactly one event", []),
        ("every revocation has exactly one event", []),
        ("no token carries a revoked scope", []),
        ("no delivery lost or sent twice", []),
        ("no authorization without its event", []),
    ]
    assert [check.looked_at for check in found] == [
        "1 confirmed decisions",
        "0 confirmed revocations",
        "1 live tokens",
        "1 deliveries, 1 received",
        "1 authorizations",
    ]


def test_a_decision_confirmed_without_an_event_or_recorded_unconfirmed_is_named(world):
    application = world["application"].pk

    check = checks.decisions_have_one_event([(application, "reject")], world["since"])

    assert check.problems == [
        f"application {application}: approve confirmed 0×, recorded 1×",
        f"application {application}: reject confirmed 1×, recorded 0×",
    ]


def test_a_decision_confirmed_twice_but_recorded_once_is_named(world):
    application = world["application"].pk

    check = checks.decisions_have_one_event([(application, "approve")] * 2, world["since"])

    assert check.problems == [f"application {application}: approve confirmed 2×, recorded 1×"]


def test_a_revocation_confirmed_but_not_recorded_or_recorded_twice_is_named(world):
    app, shop = world["app"], world["shop"]
    authorization_revoke_shop(seller=shop.owner, app=app, shop=shop)
    other = factories.ShopFactory()

    check = checks.revocations_have_one_event(
        [("revoke_shop", app.pk, shop.pk)] * 2 + [("revoke_scope", app.pk, other.pk)],
        world["since"],
    )

    assert check.problems == [
        f"app {app.pk}, shop {shop.pk}: revoke_shop confirmed 2×, recorded 1×",
        f"app {app.pk}, shop {other.pk}: revoke_scope confirmed 1×, recorded 0×",
    ]


def test_a_token_keeping_a_scope_the_seller_withdrew_is_named(world):
    token, app, seller = world["token"], world["app"], world["shop"].owner
    # The authorization loses the Custom scope behind the services' back: the token keeps it.
    ShopAuthorization.objects.get(app=app).scopes.remove(
        *ShopAuthorization.objects.get(app=app).scopes.filter(key="seller.order.ext_ref.read")
    )

    check = checks.tokens_carry_only_granted_scopes()

    assert check.problems == [
        f"token {token.pk} of app {app.pk}, seller {seller.pk}: carries "
        "seller.order.ext_ref.read, which it may no longer use"
    ]


def test_a_token_keeping_a_custom_scope_whose_approval_ended_is_named(world):
    token, app = world["token"], world["app"]
    access_request_revoke(
        request_id=world["application"].pk, reviewer=world["reviewer"], reason="Soak."
    )
    token.refresh_from_db()
    assert token.scope == "seller.product.basic"  # what the revocation does to tokens
    AccessToken.objects.filter(pk=token.pk).update(
        scope="seller.product.basic seller.order.ext_ref.read"
    )

    check = checks.tokens_carry_only_granted_scopes()

    assert check.problems == [
        f"token {token.pk} of app {app.pk}, seller {world['shop'].owner.pk}: carries "
        "seller.order.ext_ref.read, which it may no longer use"
    ]


def test_a_pending_doubled_or_unknown_delivery_is_named(world):
    authorization_revoke_shop(seller=world["shop"].owner, app=world["app"], shop=world["shop"])
    received = delivered_everything()
    decided, revoked = WebhookDelivery.objects.order_by("pk")
    WebhookDelivery.objects.filter(pk=revoked.pk).update(
        status=WebhookDelivery.Status.PENDING, next_attempt_at=timezone.now(), finished_at=None
    )
    received[decided.event_id] += 1
    received["msg_from_elsewhere"] = 1

    check = checks.deliveries_arrive_once(received)

    assert check.problems == [
        f"access_request.decided {decided.event_id}: received 2×",
        f"authorization.revoked {revoked.event_id}: pending, not delivered",
        "msg_from_elsewhere: received, yet no delivery of the console has this id",
    ]


def test_a_revocation_without_its_delivery_is_named(world):
    shop = world["shop"]
    authorization_revoke_shop(seller=shop.owner, app=world["app"], shop=shop)
    revoked = WebhookDelivery.objects.get(event_type="authorization.revoked")
    revoked_at = revoked.payload["data"]["revoked_at"]
    revoked.delete()

    check = checks.deliveries_arrive_once(delivered_everything())

    assert check.problems == [
        f"authorization.revoked of {shop.pk} at {revoked_at}: 0 deliveries, expected 1"
    ]


def test_an_authorization_without_its_grant_or_end_event_is_named(world):
    orphan = factories.ShopAuthorizationFactory(app=world["app"])
    shop = world["shop"]
    authorization_revoke_shop(seller=shop.owner, app=world["app"], shop=shop)
    ended = ShopAuthorization.objects.get(shop=shop)
    ShopAuthorization.objects.filter(pk=ended.pk).update(
        revoked_at=ended.revoked_at + timedelta(seconds=1)
    )

    check = checks.authorizations_have_events()

    assert check.problems == [
        f"authorization {ended.pk}: no event ended it at {ended.revoked_at + timedelta(seconds=1)}",
        f"authorization {orphan.pk}: no event granted it at {orphan.granted_at}",
    ]
