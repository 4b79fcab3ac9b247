"""The people and apps the cluster's tests use, written in the cluster's own environment (its
database, its signing key, its production settings), as bench/http_load/seed.py writes the
benchmark's: `python -m tests.cluster.world RECEIVER_URL OUTPUT.json`. Names carry the run's
token, so runs never collide; the JSON gives the tests the ids, ciphers and secrets they need.

A seller with two shops and a password; a partner's live app asking for one Public scope that
nobody has authorized yet (the consent flow's); and a second app of the partner, authorized on
the first shop, whose webhook endpoint for `authorization.revoked` is RECEIVER_URL.
"""

from __future__ import annotations

import json
import secrets
import sys
from pathlib import Path

import django

django.setup()

from apps_registry.models import WebhookTopic  # noqa: E402 - after django.setup()
from apps_registry.services.apps import app_set_requested_scopes  # noqa: E402
from apps_registry.services.authorizations import authorization_grant, shop_create  # noqa: E402
from apps_registry.services.partners import partner_create_with_owner  # noqa: E402
from bench.http_load.seed import published_app  # noqa: E402
from tests.oauth.flow import REDIRECT_URI  # noqa: E402
from tests.webhook_receiver import subscribe  # noqa: E402

PASSWORD = "cluster-password-not-secret"
# A Public scope of the catalog, and a call it unlocks on an authorized shop.
PUBLIC_SCOPE = "seller.product.basic"
PRODUCT_CALL = "/product/202309/products/42"


def live_app(partner, owner, name: str) -> tuple:
    app, secret = published_app(partner, owner, name=name, redirect_uri=REDIRECT_URI)
    app_set_requested_scopes(app=app, selections={PUBLIC_SCOPE: True}, acting_user=owner)
    return app, secret


def write_world(receiver_url: str) -> dict:
    run = secrets.token_hex(4)
    seller_email = f"seller-{run}@cluster.test"
    shops = [
        shop_create(owner_email=seller_email, name=name, region="GB", password=PASSWORD)[0]
        for name in ("North Shop", "South Shop")
    ]
    partner, owner, _ = partner_create_with_owner(
        name=f"Cluster Partner {run}", owner_email=f"owner-{run}@cluster.test", password=PASSWORD
    )
    app, secret = live_app(partner, owner, "Cluster Sync")
    hooked, _ = live_app(partner, owner, "Cluster Hooks")
    authorization_grant(
        seller=shops[0].owner,
        app=hooked,
        shops=[shops[0]],
        scope_keys=[PUBLIC_SCOPE],
        duration_days=90,
    )
    subscribe(hooked, url=receiver_url, topics=[WebhookTopic.AUTHORIZATION_REVOKED])
    return {
        "seller_email": seller_email,
        "password": PASSWORD,
        "shops": [{"id": shop.pk, "cipher": shop.cipher} for shop in shops],
        "app": {"id": app.pk, "client_id": app.client_id, "client_secret": secret},
        "hooked_app": {"id": hooked.pk},
    }


if __name__ == "__main__":
    receiver_url, output = sys.argv[1:]
    Path(output).write_text(json.dumps(write_world(receiver_url)), encoding="utf-8")
