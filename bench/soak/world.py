"""The soak's people, apps and pending work, written through the console's services in the soak
cluster's own environment (its database, signing key and production settings), as an operator, the
partners and the reviewers would make them: `python -m bench.soak.world RECEIVER_URL OUT.json
MINUTES`.

- REVIEWERS reviewers with TOTP;
- PARTNERS partners, each with one live "hooked" app holding a Public and an approved Custom scope,
  its webhook endpoint at RECEIVER_URL for every topic;
- STEADY_SELLERS sellers with a shop each, whom the gate callers and the app servers authorize at
  the start (their consent is never withdrawn, so every check must be allowed);
- CHURN_SELLERS sellers with a shop each, who authorize and disconnect the first hooked app again
  and again;
- applications for Custom scopes, enough for the reviewers' decisions over MINUTES of load; and
  approved ones whose apps hold seller consent and tokens for their Custom scope, for the
  reviewers to revoke.

The JSON gives the load script every id, e-mail, secret and path it needs.
"""

from __future__ import annotations

import json
import math
import secrets
import sys
from pathlib import Path

import django

django.setup()

from apps_registry.models import PartnerApp, Shop, WebhookTopic  # noqa: E402
from apps_registry.services.access_requests import access_request_submit  # noqa: E402
from apps_registry.services.apps import app_set_requested_scopes  # noqa: E402
from apps_registry.services.authorizations import authorization_grant, shop_create  # noqa: E402
from apps_registry.services.partners import partner_create_with_owner  # noqa: E402
from apps_registry.services.reviewers import reviewer_create  # noqa: E402
from apps_registry.services.reviews import (  # noqa: E402
    access_request_approve,
    access_request_assign,
)
from apps_registry.services.webhooks import webhook_endpoint_set  # noqa: E402
from bench.http_load.seed import access_token, published_app  # noqa: E402
from scopes.models import Scope  # noqa: E402

PASSWORD = "soak-password-not-secret"  # noqa: S105 - throwaway accounts in a throwaway database
REDIRECT_URI = "https://soak.example/callback"
PUBLIC_SCOPE = "seller.product.basic"
# A Custom scope one reviewer approves (no dual approval), and the calls each scope unlocks.
CUSTOM_SCOPE = "seller.order.ext_ref.read"
PUBLIC_CALL = "/product/202309/products/42"
CUSTOM_CALL = "/order/202406/orders/42/external_orders"
# Custom seller scopes a single reviewer decides: what the applicant apps apply for.
APPLIED_SCOPES = (
    "seller.order.ext_ref.read",
    "seller.order.ext_ref.write.custom",
    "seller.customer_engagement.read",
    "seller.creator_marketplace.read",
    "seller.affiliate_collaboration.read",
    "seller.affiliate_collaboration.write",
)
REVIEWERS = 2
PARTNERS = 3
STEADY_SELLERS = 24
CHURN_SELLERS = 6
# Two reviewers decide about one application a second each (assign, then decide): the queue holds
# twice that for each minute of load, six applications (one per scope) an app.
APPLICANT_APPS_PER_MINUTE = 20
# A reviewer revokes an approval every tenth task: some six a minute between the two.
REVOCABLE_APPROVALS_PER_MINUTE = 6
ANSWERS = {
    "data_usage": "We match platform orders to our ERP's order numbers.",
    "justification": "Only this scope exposes the external order references.",
    "endpoints_used": "GET /order/202406/orders/{order_id}/external_orders",
    "data_protection": "Encrypted at rest, deleted after 90 days.",
    "demo_url": "https://soak.example/demo",
}


def live_app(partner, owner, name: str, receiver_url: str) -> tuple[PartnerApp, str]:
    """A live app asking for the Public scope only (a Custom one is chosen once approved), whose
    webhooks for every topic go to the receiver."""
    app, secret = published_app(partner, owner, name=name, redirect_uri=REDIRECT_URI)
    app_set_requested_scopes(app=app, selections={PUBLIC_SCOPE: True}, acting_user=owner)
    webhook_endpoint_set(
        app_id=app.pk, acting_user=owner, url=receiver_url, topics=list(WebhookTopic.values)
    )
    return app, secret


def hooked_app(
    partner, owner, reviewer, name: str, receiver_url: str
) -> tuple[PartnerApp, str, int]:
    """A live app with the Public scope required and the approved Custom scope optional (a seller
    may withdraw it), whose webhooks go to the receiver. Returns it, its client secret and its
    application's id."""
    app, secret = live_app(partner, owner, name, receiver_url)
    application = access_request_submit(
        app=app, scope=Scope.objects.get(key=CUSTOM_SCOPE), answers=ANSWERS, acting_user=owner
    )
    access_request_assign(request_id=application.pk, reviewer=reviewer)
    access_request_approve(request_id=application.pk, reviewer=reviewer)
    app_set_requested_scopes(
        app=app, selections={PUBLIC_SCOPE: True, CUSTOM_SCOPE: False}, acting_user=owner
    )
    return app, secret, application.pk


def shops(kind: str, count: int, run: str) -> list[Shop]:
    """`count` sellers with a shop each (and a password)."""
    return [
        shop_create(
            owner_email=f"{kind}-{number}-{run}@soak.test",
            name=f"{kind.title()} Shop {number}",
            region="GB",
            password=PASSWORD,
        )[0]
        for number in range(count)
    ]


def described(shops: list[Shop]) -> list[dict]:
    return [{"email": s.owner.email, "shop_id": s.pk, "shop_cipher": s.cipher} for s in shops]


def write_world(receiver_url: str, minutes: float) -> dict:
    run = secrets.token_hex(3)
    reviewers = []
    for number in range(REVIEWERS):
        email = f"reviewer-{number}-{run}@soak.test"
        user, totp_secret = reviewer_create(email=email, password=PASSWORD)
        reviewers.append({"email": email, "totp_secret": totp_secret, "user": user})
    deciding = reviewers[0]["user"]

    partners, hooked_apps = [], []
    for number in range(PARTNERS):
        partner, owner, _ = partner_create_with_owner(
            name=f"Soak Partner {number} {run}",
            owner_email=f"owner-{number}-{run}@soak.test",
            password=PASSWORD,
        )
        app, secret, _ = hooked_app(partner, owner, deciding, f"Soak Hooks {number}", receiver_url)
        partners.append((partner, owner))
        hooked_apps.append({"id": app.pk, "client_id": app.client_id, "client_secret": secret})

    pending = []
    for number in range(math.ceil(minutes * APPLICANT_APPS_PER_MINUTE)):
        partner, owner = partners[number % PARTNERS]
        app, _ = live_app(partner, owner, f"Soak Applicant {number}", receiver_url)
        pending += [
            access_request_submit(
                app=app, scope=Scope.objects.get(key=key), answers=ANSWERS, acting_user=owner
            ).pk
            for key in APPLIED_SCOPES
        ]

    # Seller consent and a live token for the Custom scope each: what a revocation must cut.
    revocable = []
    revocable_count = math.ceil(minutes * REVOCABLE_APPROVALS_PER_MINUTE)
    for number, shop in enumerate(shops("consenting", revocable_count, run)):
        partner, owner = partners[number % PARTNERS]
        app, _, application = hooked_app(
            partner, owner, deciding, f"Soak Revocable {number}", receiver_url
        )
        authorization_grant(
            seller=shop.owner,
            app=app,
            shops=[shop],
            scope_keys=[PUBLIC_SCOPE, CUSTOM_SCOPE],
            duration_days=90,
        )
        token = access_token(
            app=app,
            user=shop.owner,
            scope=f"{PUBLIC_SCOPE} {CUSTOM_SCOPE}",
            raw=secrets.token_urlsafe(30),
        )
        token.save()
        revocable.append(application)

    return {
        "password": PASSWORD,
        "redirect_uri": REDIRECT_URI,
        "scope": f"{PUBLIC_SCOPE} {CUSTOM_SCOPE}",
        "public_call": PUBLIC_CALL,
        "custom_call": CUSTOM_CALL,
        "reviewers": [{k: v for k, v in r.items() if k != "user"} for r in reviewers],
        "partners": [{"email": owner.email} for _, owner in partners],
        "hooked_apps": hooked_apps,
        "steady_sellers": described(shops("steady", STEADY_SELLERS, run)),
        "churn_sellers": described(shops("churn", CHURN_SELLERS, run)),
        "pending_applications": pending,
        "revocable_applications": revocable,
    }


if __name__ == "__main__":
    receiver_url, output, minutes = sys.argv[1:]
    world = write_world(receiver_url, float(minutes))
    Path(output).write_text(json.dumps(world), encoding="utf-8")
