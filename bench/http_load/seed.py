"""The HTTP benchmark's data, written in the server's own environment (bench/bench_http.py runs
this module with the settings, database, cache and keys gunicorn gets, so client secrets hash
under the same key and catalog versions land in the same cache):

    python -m bench.http_load prepare FIXTURE.json   # a fresh database, described in FIXTURE.json
    python -m bench.http_load grow-catalog COUNT     # COUNT synthetic endpoints more
    python -m bench.http_load shrink-catalog         # the synthetic endpoints gone again

`prepare` drops and re-creates the database, so every run measures the same tables; it refuses
a database whose name does not start with "bench". It migrates, loads the scope catalog, collects
static files (production serves them through whitenoise's manifest), and empties the cache.
The rows a check reads go through the console's services, as an operator and a seller would make
them: a partner's live app with a Public scope and an approved Custom scope chosen, and a seller
who authorized one shop for both. The bulk of the token table (ACCESS_TOKENS rows over
FILLER_SELLERS sellers) and the refresh tokens are written as DOT writes them (a SHA-256 checksum,
no plaintext), in a few bulk inserts.
"""

from __future__ import annotations

import hashlib
import json
import random
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta
from io import StringIO
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.hashers import make_password
from django.core.cache import cache
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone
from oauth2_provider.models import get_access_token_model, get_refresh_token_model
from psycopg import sql

from apps_registry.models import AccessRequest, Partner, PartnerApp, Shop
from apps_registry.services.access_requests import access_request_submit
from apps_registry.services.apps import app_create, app_publish, app_set_requested_scopes
from apps_registry.services.authorizations import authorization_grant, shop_create
from apps_registry.services.partners import partner_create_with_owner
from apps_registry.services.reviewers import reviewer_create
from apps_registry.services.reviews import access_request_approve, access_request_assign
from apps_registry.services.secret_access import Assurance
from bench.bench_matching import synthetic_rows, template_shape
from deploy.cluster import maintenance_connection
from scopes.catalog_version import catalog_version_bump
from scopes.models import Endpoint, Scope

# Scopes of the catalog (scopes/catalog/catalog.json) the benchmark's app uses.
PUBLIC_SCOPE = "seller.product.basic"  # bench/urls.py's TokenHasScope view requires it too
CUSTOM_SCOPE = "seller.order.ext_ref.read"  # one reviewer approves it (no dual approval)
ACCESS_TOKENS = 100_000
FILLER_SELLERS = 1_000
REFRESH_TOKENS = 40  # every refresh rotates: each wrk run takes a fresh one per thread
# What DOT gives an access token by default (OAUTH_ACCESS_TOKEN_LIFETIME_SECONDS): the run fits.
TOKEN_LIFETIME = timedelta(hours=4)
SYNTHETIC_MODULE = "bench-synthetic"  # marks the endpoints grow-catalog adds
PASSWORD = "bench-password-not-secret"  # noqa: S105 - throwaway accounts in a throwaway database
OWNER_EMAIL = "owner@bench.test"
REVIEWER_EMAIL = "reviewer@bench.test"
SELLER_EMAIL = "seller@bench.test"
APP_NAME = "Bench App"
REDIRECT_URI = "https://bench.example/callback"


def _checksum(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def recreate_database() -> None:
    name = settings.DATABASES["default"]["NAME"]
    if not name.startswith("bench"):
        raise SystemExit(f"refusing to drop database {name!r}: its name must start with 'bench'")
    with maintenance_connection(settings.DATABASES["default"]) as maintenance:
        quoted = sql.Identifier(name)
        maintenance.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(quoted))
        maintenance.execute(sql.SQL("CREATE DATABASE {}").format(quoted))


def fresh_database() -> None:
    """A new, migrated database with the scope catalog, static files collected (production
    serves them through whitenoise's manifest) and an empty cache."""
    recreate_database()
    cache.clear()
    call_command("migrate", interactive=False, verbosity=0)
    call_command("load_scope_catalog", stdout=StringIO())
    call_command("collectstatic", interactive=False, verbosity=0)


@dataclass(frozen=True)
class World:
    """The rows the scenarios name: the partner app, the seller's shop it is authorized for, and
    the gateway client, with the raw client secrets; the partner's approved Custom-scope
    application and the reviewer who decided it, with the reviewer's TOTP secret."""

    partner: Partner
    owner: AbstractBaseUser
    app: PartnerApp
    app_secret: str
    application: AccessRequest
    reviewer: AbstractBaseUser
    reviewer_totp_secret: str
    shop: Shop
    gateway: PartnerApp
    gateway_secret: str


def published_app(partner, owner, *, name: str, redirect_uri: str) -> tuple[PartnerApp, str]:
    """A live app of the partner's, made and published by its owner as on the console, for a
    server that may be shown its client secret; returns the app and that secret."""
    origin = urlsplit(redirect_uri)._replace(path="").geturl()
    app, secret = app_create(
        partner=partner,
        acting_user=owner,
        name=name,
        redirect_uris=[redirect_uri],
        privacy_policy_url=f"{origin}/privacy",
        assurance=Assurance.SERVER_OPERATOR,
    )
    app_publish(app_id=app.pk, acting_user=owner)
    return app, secret


def seed_world() -> World:
    partner, owner, _ = partner_create_with_owner(
        name="Bench Partner", owner_email=OWNER_EMAIL, password=PASSWORD
    )
    app, app_secret = published_app(partner, owner, name=APP_NAME, redirect_uri=REDIRECT_URI)
    application = access_request_submit(
        app=app,
        scope=Scope.objects.get(key=CUSTOM_SCOPE),
        answers={
            "data_usage": "We match platform orders to our ERP's order numbers.",
            "justification": "Only this scope exposes the external order references.",
            "endpoints_used": "GET /order/202406/orders/{order_id}/external_orders",
            "data_protection": "Encrypted at rest, deleted after 90 days.",
            "demo_url": "https://bench.example/demo",
        },
        acting_user=owner,
    )
    reviewer, reviewer_totp_secret = reviewer_create(email=REVIEWER_EMAIL, password=PASSWORD)
    access_request_assign(request_id=application.pk, reviewer=reviewer)
    access_request_approve(request_id=application.pk, reviewer=reviewer)
    app_set_requested_scopes(
        app=app, selections={PUBLIC_SCOPE: True, CUSTOM_SCOPE: True}, acting_user=owner
    )
    shop, _ = shop_create(
        owner_email=SELLER_EMAIL, name="Bench Shop", region="GB", password=PASSWORD
    )
    authorization_grant(
        seller=shop.owner,
        app=app,
        shops=[shop],
        scope_keys=[PUBLIC_SCOPE, CUSTOM_SCOPE],
        duration_days=365,
    )
    # A platform-owned resource server, made as the admin makes one (the only place that sets
    # can_introspect): it introspects at the console's endpoint and at DOT's stock one.
    gateway_secret = secrets.token_urlsafe(32)
    gateway = PartnerApp.objects.create(
        name="Bench Gateway",
        partner=None,
        can_introspect=True,
        client_type=PartnerApp.CLIENT_CONFIDENTIAL,
        authorization_grant_type=PartnerApp.GRANT_CLIENT_CREDENTIALS,
        client_secret=gateway_secret,
        status=PartnerApp.Status.LIVE,
    )
    return World(
        partner=partner,
        owner=owner,
        app=app,
        app_secret=app_secret,
        application=application,
        reviewer=reviewer,
        reviewer_totp_secret=reviewer_totp_secret,
        shop=shop,
        gateway=gateway,
        gateway_secret=gateway_secret,
    )


def access_token(*, app, user, scope: str, raw: str):
    return get_access_token_model()(
        user=user,
        application=app,
        token="",
        token_checksum=_checksum(raw),
        expires=timezone.now() + TOKEN_LIFETIME,
        scope=scope,
    )


def seed_tokens(world: World) -> tuple[str, list[str]]:
    """ACCESS_TOKENS access tokens, one of them the seller's that the scenarios present, and
    REFRESH_TOKENS refresh tokens of that seller, each the head of its own family. Returns the
    raw values of the presented access token and of the refresh tokens."""
    app, seller = world.app, world.shop.owner
    scope = f"{CUSTOM_SCOPE} {PUBLIC_SCOPE}"
    user_model = get_user_model()
    fillers = user_model.objects.bulk_create(
        user_model(
            username=f"bench-seller-{number}",
            email=f"bench-seller-{number}@bench.test",
            password=make_password(None),  # unusable: these sellers never sign in
        )
        for number in range(FILLER_SELLERS)
    )
    presented = secrets.token_urlsafe(30)
    rows = [access_token(app=app, user=seller, scope=scope, raw=presented)]
    rows += [
        access_token(
            app=app,
            user=fillers[number % FILLER_SELLERS],
            scope=PUBLIC_SCOPE,
            raw=secrets.token_urlsafe(30),
        )
        for number in range(ACCESS_TOKENS - 1 - REFRESH_TOKENS)
    ]
    refreshed = [
        access_token(app=app, user=seller, scope=scope, raw=secrets.token_urlsafe(30))
        for _ in range(REFRESH_TOKENS)
    ]
    get_access_token_model().objects.bulk_create(rows + refreshed, batch_size=5_000)
    refresh_values = [secrets.token_urlsafe(30) for _ in range(REFRESH_TOKENS)]
    refresh_model = get_refresh_token_model()
    refresh_model.objects.bulk_create(
        refresh_model(
            user=seller,
            application=app,
            token="",
            token_checksum=_checksum(raw),
            access_token=issued_with,
            token_family=uuid.uuid4(),
        )
        for raw, issued_with in zip(refresh_values, refreshed, strict=True)
    )
    return presented, refresh_values


def prepare(fixture_path: Path) -> None:
    fresh_database()
    world = seed_world()
    presented, refresh_tokens = seed_tokens(world)
    fixture = {
        "client_id": world.app.client_id,
        "client_secret": world.app_secret,
        "gateway_client_id": world.gateway.client_id,
        "gateway_client_secret": world.gateway_secret,
        "shop_cipher": world.shop.cipher,
        "access_token": presented,
        "refresh_tokens": refresh_tokens,
    }
    fixture_path.write_text(json.dumps(fixture, indent=2), encoding="utf-8")


def grow_catalog(count: int) -> None:
    """`count` synthetic endpoints shaped like the real API, bound to the Public scope the token
    holds (so a gate that did work per endpoint of a granted scope would show it), then a new
    catalog version, as every catalog write ends, so each worker rebuilds its index."""
    scope = Scope.objects.get(key=PUBLIC_SCOPE)
    taken = {template_shape(*row) for row in Endpoint.objects.values_list("method", "path")}
    rows = synthetic_rows(count, taken, random.Random(20240601))
    with transaction.atomic():
        endpoints = Endpoint.objects.bulk_create(
            (
                Endpoint(
                    method=row.method,
                    path=row.path,
                    title=row.title,
                    module=SYNTHETIC_MODULE,
                    needs_shop=row.needs_shop,
                )
                for row in rows
            ),
            batch_size=5_000,
        )
        link = Endpoint.scopes.through
        link.objects.bulk_create(
            (link(endpoint_id=endpoint.pk, scope_id=scope.pk) for endpoint in endpoints),
            batch_size=5_000,
        )
        transaction.on_commit(catalog_version_bump)
    print(f"catalog: {Endpoint.objects.count()} endpoints")


def shrink_catalog() -> None:
    """Remove what grow_catalog added, and move the catalog version again."""
    with transaction.atomic():
        Endpoint.objects.filter(module=SYNTHETIC_MODULE).delete()
        transaction.on_commit(catalog_version_bump)
    print(f"catalog: {Endpoint.objects.count()} endpoints")


def main(arguments: list[str]) -> None:
    match arguments:
        case ["prepare", fixture_path]:
            prepare(Path(fixture_path))
        case ["grow-catalog", count]:
            grow_catalog(int(count))
        case ["shrink-catalog"]:
            shrink_catalog()
        case _:
            raise SystemExit(__doc__)
