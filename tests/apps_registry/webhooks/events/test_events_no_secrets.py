"""No event carries a token, a token's stored checksum, the client secret or the webhook secret:
every topic is produced by its real service for an app that holds all of them, and every payload
recorded is searched for each."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone
from oauth2_provider.models import AccessToken, RefreshToken

from apps_registry.models import PartnerApp, WebhookDelivery, WebhookEndpoint, WebhookTopic
from apps_registry.services import reviews
from apps_registry.services.app_status import app_suspend
from apps_registry.services.authorization_jobs import (
    authorizations_expire_due,
    authorizations_warn_expiring,
)
from apps_registry.services.authorizations import (
    authorization_grant,
    authorization_revoke_scope,
    authorization_revoke_shop,
)
from apps_registry.services.catalog import catalog_scope_edit
from tests import factories
from tests.apps_registry.review_helpers import (
    make_access_token,
    make_catalog_manager,
    make_request,
    make_reviewer,
)
from tests.apps_registry.webhooks.events.helpers import subscribe

pytestmark = pytest.mark.django_db

RAW_CLIENT_SECRET = factories.PartnerAppFactory.client_secret


def _produce_every_topic(app, seller, shop, product_scope, admin_user) -> None:
    reviewer = make_reviewer()
    in_review = make_request(app=app, status="in_review", assigned_to=reviewer)
    reviews.access_request_approve(request_id=in_review.pk, reviewer=reviewer, comment="Fine.")
    second_shop = factories.ShopFactory(owner=seller)
    authorization_grant(
        seller=seller,
        app=app,
        shops=[shop, second_shop],
        scope_keys=["seller.product.basic", "seller.order.info"],
        duration_days=30,
    )
    authorization_revoke_scope(seller=seller, app=app, scope_key="seller.order.info")
    authorization_revoke_shop(seller=seller, app=app, shop=second_shop)
    now = timezone.now()
    authorizations_warn_expiring(now=now + timedelta(days=1))
    authorizations_expire_due(now=now + timedelta(days=31))
    catalog_scope_edit(
        scope_id=product_scope.pk,
        changes={"description": "Products."},
        actor=make_catalog_manager(),
    )
    reviews.access_request_revoke(request_id=in_review.pk, reviewer=reviewer, reason="Misuse.")
    app_suspend(app_id=app.pk, acting_user=admin_user, reason="Phishing reports.")


def test_no_payload_carries_a_token_or_a_secret(app, seller, shop, product_scope, admin_user):
    webhook_secret = subscribe(app)
    make_access_token(app=app, user=seller, scope="seller.product.basic", raw="raw-access-1")
    _produce_every_topic(app, seller, shop, product_scope, admin_user)

    payloads = [json.dumps(d.payload) for d in WebhookDelivery.objects.filter(app=app)]
    assert {json.loads(payload)["type"] for payload in payloads} == set(WebhookTopic.values)
    endpoint = WebhookEndpoint.objects.get(app=app)
    stored_client_secret = PartnerApp.objects.get(pk=app.pk).client_secret
    forbidden = {
        "raw access token": "raw-access-1",
        "raw refresh token": "refresh-raw-access-1",
        "raw client secret": RAW_CLIENT_SECRET,
        "client secret hash": stored_client_secret,
        "webhook secret": webhook_secret,
        "webhook secret's key": webhook_secret.removeprefix("whsec_"),
        "webhook secret ciphertext": endpoint.secret_ciphertext,
    }
    # What DOT keeps of each token: its checksum, and the token itself unless it redacts it.
    for token in [*AccessToken.objects.all(), *RefreshToken.objects.all()]:
        for column in ("token", "token_checksum"):
            if stored := getattr(token, column, ""):
                forbidden[f"{column} of {token._meta.model_name} {token.pk}"] = stored
    assert any(name.startswith("token_checksum") for name in forbidden)
    # Each value is a real one to look for, not an empty string found everywhere.
    assert all(len(value) >= 12 for value in forbidden.values())
    leaks = [
        (name, json.loads(payload)["type"])
        for payload in payloads
        for name, value in forbidden.items()
        if value in payload
    ]
    assert leaks == []
