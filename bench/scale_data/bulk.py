"""The bulk of the scale data, written by PostgreSQL itself: each step is one INSERT ... SELECT over
generate_series, so no row crosses the wire.

Rows are numbered, not random, so every count is exact for a factor and every constraint holds by
construction: an app's access requests take a different Custom scope each until the scopes run out
(later ones are closed), and a shop's k-th connected app is `k` places after an app drawn for the
shop, so no shop holds two active authorizations for one app. Dates spread over the last two years
by a hash of the row's number (pg_temp.moment), open applications over the last month.

Ids of the rows later steps point at (users, partners, apps, shops, access tokens) are given
explicitly, from the table's largest id on; the identity sequences are moved past them at the end.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.db import connection
from oauth2_provider.settings import oauth2_settings

from apps_registry.models import PartnerApp, WebhookTopic
from bench.scale_data.sizes import Sizes

DAYS_SPREAD = 730
# The console's access token lifetime; an unexpired token has ten minutes left at least.
ACCESS_TOKEN_LIFETIME = timedelta(seconds=oauth2_settings.ACCESS_TOKEN_EXPIRE_SECONDS)
# Of the access tokens, those numbered 1-3 modulo 10 have expired; those numbered 0 modulo 5 (all
# unexpired) come with a refresh token.
EXPIRED_TOKEN_REMAINDERS = [1, 2, 3]
REFRESH_TOKEN_EVERY = 5
# Of the bulk authorizations (the bench seller's excepted), every 13th is revoked and every 17th
# (not revoked) has expired.
REVOKED_EVERY = 13
EXPIRED_EVERY = 17
# How strongly the spread authorizations favour the first apps (see AUTHORIZATIONS).
SKEW = 5

# What the bench app's endpoint subscribes to, and so the types of its deliveries.
WEBHOOK_TOPICS = [
    WebhookTopic.AUTHORIZATION_REVOKED,
    WebhookTopic.AUTHORIZATION_EXPIRING,
    WebhookTopic.AUTHORIZATION_EXPIRED,
    WebhookTopic.ACCESS_REQUEST_DECIDED,
]

# Tables whose ids are given explicitly, and so whose sequences move at the end.
EXPLICIT_ID_TABLES = (
    "auth_user",
    "apps_registry_partner",
    "apps_registry_partnerapp",
    "apps_registry_shop",
    "oauth2_provider_accesstoken",
)

MOMENT_FUNCTION = f"""
CREATE FUNCTION pg_temp.moment(n bigint) RETURNS timestamptz LANGUAGE sql STABLE AS $$
    SELECT now() - ((n * 7919) % {DAYS_SPREAD}) * interval '1 day'
                 - ((n * 104729) % 86400) * interval '1 second'
$$
"""

USERS = """
INSERT INTO auth_user (id, password, is_superuser, username, first_name, last_name, email,
                       is_staff, is_active, date_joined)
SELECT %(user_base)s + n, %(password_hash)s, false, email, '', '', email, false, true,
       pg_temp.moment(n)
FROM (
    SELECT n, CASE WHEN n <= %(members)s THEN 'member-' || n
                   ELSE 'seller-' || (n - %(members)s) END || '@scale.test' AS email
    FROM generate_series(1, %(members)s + %(shops)s) n
) numbered
"""

PARTNERS = """
INSERT INTO apps_registry_partner (id, name, is_verified, created_at)
SELECT %(partner_base)s + n, 'Scale Partner ' || n, n %% 3 = 0, pg_temp.moment(n)
FROM generate_series(1, %(partners)s) n
"""

# The first `partners` members own their partner; the rest are developers of the first half.
MEMBERSHIPS = """
INSERT INTO apps_registry_membership (role, created_at, user_id, partner_id)
SELECT CASE WHEN m <= %(partners)s THEN 'owner' ELSE 'developer' END, pg_temp.moment(m),
       %(user_base)s + m, %(partner_base)s + (m - 1) %% %(partners)s + 1
FROM generate_series(1, %(members)s) m
"""

# Copies the bench app's OAuth settings and hashed secret (DOT's columns), so every app is a
# client DOT would accept; the last `bench_partner_apps` belong to the bench partner.
APPS = """
INSERT INTO apps_registry_partnerapp (
    id, client_id, redirect_uris, post_logout_redirect_uris, client_type,
    authorization_grant_type, client_secret, hash_client_secret, name, skip_authorization,
    created, updated, algorithm, allowed_origins, registration_source, cimd_expires_at,
    description, category, homepage_url, privacy_policy_url, status, secret_hint,
    secret_rotated_at, can_introspect, user_id, partner_id, icon, icon_sha256, publisher_url)
SELECT %(app_base)s + n, 'scale-app-' || n, 'https://app-' || n || '.scale.example/callback', '',
       bench.client_type, bench.authorization_grant_type, bench.client_secret,
       bench.hash_client_secret, 'Scale App ' || n, false, pg_temp.moment(n), pg_temp.moment(n),
       bench.algorithm, bench.allowed_origins, bench.registration_source, NULL,
       'An app of the scale data.',
       (%(categories)s::text[])[n %% cardinality(%(categories)s::text[]) + 1],
       'https://app-' || n || '.scale.example',
       'https://app-' || n || '.scale.example/privacy',
       CASE WHEN n %% 20 = 0 THEN 'suspended' WHEN n %% 10 = 5 THEN 'draft' ELSE 'live' END,
       bench.secret_hint, NULL, false, NULL,
       CASE WHEN n > %(apps)s - %(bench_partner_apps)s THEN %(bench_partner_id)s
            ELSE %(partner_base)s + (n - 1) %% %(partners)s + 1 END,
       '', '', 'https://app-' || n || '.scale.example'
FROM generate_series(1, %(apps)s) n
CROSS JOIN (SELECT * FROM apps_registry_partnerapp WHERE id = %(bench_app_id)s) bench
"""

# Three consecutive Public scopes per app, the first two required (what authorizations grant).
APP_SCOPES = """
INSERT INTO apps_registry_appscope (is_required, created_at, app_id, scope_id)
SELECT j < 2, pg_temp.moment(n), %(app_base)s + n,
       (%(public_scopes)s::bigint[])[(n + j) %% cardinality(%(public_scopes)s::bigint[]) + 1]
FROM generate_series(1, %(apps)s) n CROSS JOIN generate_series(0, 2) j
"""

# Request r is app (r mod apps)'s application number `round`; rounds below the number of Custom
# scopes take distinct scopes and any status, later rounds only closed ones.
ACCESS_REQUESTS = """
INSERT INTO apps_registry_accessrequest (
    status, data_usage, justification, endpoints_used, data_protection, demo_url, submitted_at,
    decided_at, decision_reason, approval_expires_at, version, updated_at, app_id,
    assigned_to_id, decided_by_id, first_approved_by_id, scope_id, submitted_by_id,
    requires_dual_approval, chosen_endpoints)
SELECT status,
       'We read this data to serve the seller.', 'No narrower scope exposes it.',
       'GET /order/202309/orders', 'Encrypted at rest, deleted after 90 days.', '',
       submitted_at,
       CASE WHEN status IN ('approved', 'rejected', 'expired', 'revoked')
            THEN submitted_at + interval '2 days' END,
       CASE WHEN status = 'rejected' THEN 'The answers do not justify the scope.' ELSE '' END,
       CASE WHEN status = 'approved' THEN now() + (r %% 335 + 30) * interval '1 day'
            WHEN status = 'expired' THEN submitted_at + interval '3 days' END,
       CASE status WHEN 'submitted' THEN 1 WHEN 'in_review' THEN 2 WHEN 'withdrawn' THEN 2
                   WHEN 'expired' THEN 4 WHEN 'revoked' THEN 4 ELSE 3 END,
       submitted_at + CASE status WHEN 'submitted' THEN interval '0' WHEN 'in_review'
                   THEN interval '1 day' ELSE interval '3 days' END,
       app_id,
       CASE WHEN status NOT IN ('submitted', 'withdrawn') THEN %(reviewer_id)s END,
       CASE WHEN status IN ('approved', 'rejected', 'expired', 'revoked')
            THEN %(reviewer_id)s END,
       NULL, scope_id, owner.user_id, false, '[]'::jsonb
FROM (
    SELECT r, app_id, scope_id,
           CASE WHEN status IN ('submitted', 'in_review')
                THEN now() - ((r * 7919) %% 30) * interval '1 day' - interval '1 hour'
                ELSE pg_temp.moment(r) END AS submitted_at,
           status
    FROM (
        SELECT r, %(app_base)s + r %% %(apps)s + 1 AS app_id,
               (%(custom_scopes)s::bigint[])[
                   (r / %(apps)s + r %% %(apps)s) %% cardinality(%(custom_scopes)s::bigint[]) + 1
               ] AS scope_id,
               CASE WHEN r / %(apps)s < cardinality(%(custom_scopes)s::bigint[]) THEN
                   CASE WHEN b < 10 THEN 'submitted' WHEN b < 20 THEN 'in_review'
                        WHEN b < 25 THEN 'changes_requested' WHEN b < 65 THEN 'approved'
                        WHEN b < 80 THEN 'rejected' WHEN b < 88 THEN 'withdrawn'
                        WHEN b < 94 THEN 'expired' ELSE 'revoked' END
               ELSE
                   CASE WHEN b < 50 THEN 'rejected' WHEN b < 75 THEN 'withdrawn'
                        ELSE 'expired' END
               END AS status
        FROM (SELECT r, (r * 7919) %% 100 AS b
              FROM generate_series(0, %(access_requests)s - 1) r) hashed
    ) placed
) dated
JOIN (SELECT id, partner_id FROM apps_registry_partnerapp) app ON app.id = dated.app_id
JOIN apps_registry_membership owner ON owner.partner_id = app.partner_id AND owner.role = 'owner'
"""

# The history each status implies, as the services write it: who acted (the partner who
# submitted, the reviewer, or nobody for the expiry job) and when, a day apart.
REVIEW_EVENTS = """
INSERT INTO apps_registry_reviewevent (action, from_status, to_status, comment, details,
                                       created_at, actor_id, request_id)
SELECT step.action, step.from_status, step.to_status, '',
       CASE WHEN step.action = 'approve' THEN jsonb_build_object('expires_at',
           coalesce(request.approval_expires_at, request.decided_at + interval '365 days'))
       ELSE '{}'::jsonb END,
       request.submitted_at + (step.position - 1) * interval '1 day',
       CASE step.actor WHEN 'partner' THEN request.submitted_by_id
                       WHEN 'reviewer' THEN %(reviewer_id)s END,
       request.id
FROM apps_registry_accessrequest request
JOIN (VALUES
    ('submitted', 1, 'submit', '', 'submitted', 'partner'),
    ('in_review', 1, 'submit', '', 'submitted', 'partner'),
    ('in_review', 2, 'assign', 'submitted', 'in_review', 'reviewer'),
    ('changes_requested', 1, 'submit', '', 'submitted', 'partner'),
    ('changes_requested', 2, 'assign', 'submitted', 'in_review', 'reviewer'),
    ('changes_requested', 3, 'request_changes', 'in_review', 'changes_requested', 'reviewer'),
    ('approved', 1, 'submit', '', 'submitted', 'partner'),
    ('approved', 2, 'assign', 'submitted', 'in_review', 'reviewer'),
    ('approved', 3, 'approve', 'in_review', 'approved', 'reviewer'),
    ('rejected', 1, 'submit', '', 'submitted', 'partner'),
    ('rejected', 2, 'assign', 'submitted', 'in_review', 'reviewer'),
    ('rejected', 3, 'reject', 'in_review', 'rejected', 'reviewer'),
    ('withdrawn', 1, 'submit', '', 'submitted', 'partner'),
    ('withdrawn', 2, 'withdraw', 'submitted', 'withdrawn', 'partner'),
    ('expired', 1, 'submit', '', 'submitted', 'partner'),
    ('expired', 2, 'assign', 'submitted', 'in_review', 'reviewer'),
    ('expired', 3, 'approve', 'in_review', 'approved', 'reviewer'),
    ('expired', 4, 'expire', 'approved', 'expired', 'platform'),
    ('revoked', 1, 'submit', '', 'submitted', 'partner'),
    ('revoked', 2, 'assign', 'submitted', 'in_review', 'reviewer'),
    ('revoked', 3, 'approve', 'in_review', 'approved', 'reviewer'),
    ('revoked', 4, 'revoke', 'approved', 'revoked', 'reviewer')
) step (status, position, action, from_status, to_status, actor) ON step.status = request.status
WHERE request.id > %(access_request_base)s
"""

SHOPS = """
INSERT INTO apps_registry_shop (id, name, region, cipher, created_at, owner_id)
SELECT %(shop_base)s + s, 'Scale Shop ' || s,
       (ARRAY['GB', 'DE', 'FR', 'ES', 'IT', 'PL', 'NL', 'SE'])[s %% 8 + 1],
       'ROW_scale_' || s, pg_temp.moment(s), %(seller_base)s + s
FROM generate_series(1, %(shops)s) s
"""

# Three sources: the bench app on its own shops (1% of all), the bench seller's shop on other
# apps, and the spread: shop s's k-th app is k places after an app drawn for s as the first of
# `apps` times u**SKEW, u spread evenly in [0, 1) by the golden ratio, so a few apps hold many
# installs (at F=100 the biggest 4%, the bench app 1%, the median app 34). The bench seller's
# rows stay active.
AUTHORIZATIONS = """
INSERT INTO apps_registry_shopauthorization (
    granted_at, expires_at, revoked_at, last_used_at, app_id, granted_by_id, shop_id,
    expired_notified_at, expiry_warned_on)
SELECT granted_at,
       CASE WHEN expired THEN granted_at + (now() - granted_at) / 2
            ELSE now() + (o %% 335 + 30) * interval '1 day' END,
       CASE WHEN revoked THEN granted_at + (now() - granted_at) / 3 END,
       CASE WHEN NOT (revoked OR expired) THEN now() - (o %% 72) * interval '1 hour' END,
       app_id, seller_id, shop_id,
       CASE WHEN expired THEN granted_at + (now() - granted_at) / 2 END,
       NULL
FROM (
    SELECT o, app_id, shop_id, seller_id, pg_temp.moment(o) AS granted_at,
           NOT bench_seller AND o %% %(revoked_every)s = 0 AS revoked,
           NOT bench_seller AND o %% %(revoked_every)s <> 0
                                    AND o %% %(expired_every)s = 0 AS expired
    FROM (
        SELECT row_number() OVER () AS o, sources.*
        FROM (
            SELECT %(bench_app_id)s AS app_id, %(shop_base)s + n AS shop_id,
                   %(seller_base)s + n AS seller_id, false AS bench_seller
            FROM generate_series(1, %(measured_installs)s - 1) n
            UNION ALL
            SELECT %(app_base)s + n, %(bench_shop_id)s, %(bench_seller_id)s, true
            FROM generate_series(1, %(seller_apps)s - 1) n
            UNION ALL
            SELECT %(app_base)s
                       + (floor(%(apps)s * power(s * 0.6180339887 - floor(s * 0.6180339887),
                                                  %(skew)s))
                          ::bigint + k) %% %(apps)s + 1,
                   %(shop_base)s + s + 1, %(seller_base)s + s + 1, false
            FROM (SELECT i %% %(shops)s AS s, i / %(shops)s AS k
                  FROM generate_series(0, %(spread_authorizations)s - 1) i) spread
        ) sources
    ) numbered
) flagged
"""

AUTHORIZATION_SCOPES = """
INSERT INTO apps_registry_shopauthorization_scopes (shopauthorization_id, scope_id)
SELECT authorization_.id, requested.scope_id
FROM apps_registry_shopauthorization authorization_
JOIN apps_registry_appscope requested
  ON requested.app_id = authorization_.app_id AND requested.is_required
WHERE authorization_.id > %(authorization_base)s
"""

# What an app's authorizations grant (its required scopes, as AUTHORIZATION_SCOPES links them; the
# bench app's too), by app: the history and the tokens read the keys from here.
APP_GRANTS = """
CREATE TEMPORARY TABLE app_grant AS
SELECT requested.app_id, array_agg(scope.key ORDER BY scope.key) AS scope_keys
FROM apps_registry_appscope requested
JOIN scopes_scope scope ON scope.id = requested.scope_id
WHERE requested.is_required
GROUP BY requested.app_id
"""

AUTHORIZATION_EVENTS = """
INSERT INTO apps_registry_authorizationevent (action, scope_keys, details, created_at, app_id,
                                              seller_id, shop_id)
SELECT event.action, to_jsonb(app_grant.scope_keys),
       CASE WHEN event.action = 'grant'
            THEN jsonb_build_object('withdrawn', '[]'::jsonb, 'duration_days', 365)
            ELSE '{}'::jsonb END,
       event.at, authorization_.app_id, authorization_.granted_by_id, authorization_.shop_id
FROM apps_registry_shopauthorization authorization_
JOIN app_grant ON app_grant.app_id = authorization_.app_id
CROSS JOIN LATERAL (VALUES ('grant', authorization_.granted_at),
                           ('revoke_app', authorization_.revoked_at)) AS event (action, at)
WHERE authorization_.id > %(authorization_base)s AND event.at IS NOT NULL
"""

# Tokens go round the authorizations in force, the world's included.
AUTHORIZATIONS_IN_FORCE = """
CREATE TEMPORARY TABLE token_holder AS
SELECT row_number() OVER (ORDER BY authorization_.id) - 1 AS n, authorization_.app_id,
       authorization_.granted_by_id AS user_id,
       array_to_string(app_grant.scope_keys, ' ') AS scope
FROM apps_registry_shopauthorization authorization_
JOIN app_grant ON app_grant.app_id = authorization_.app_id
WHERE authorization_.revoked_at IS NULL AND authorization_.expires_at > now()
"""

# As DOT stores them: no plaintext, the SHA-256 of the token in token_checksum.
ACCESS_TOKENS = """
INSERT INTO oauth2_provider_accesstoken (id, token, expires, scope, application_id, user_id,
                                         created, updated, source_refresh_token_id, id_token_id,
                                         token_checksum, resource)
SELECT %(access_token_base)s + t + 1, '', created + %(token_lifetime)s,
       holder.scope, holder.app_id, holder.user_id, created, created, NULL, NULL,
       encode(sha256(convert_to('scale-access-' || t, 'UTF8')), 'hex'), '[]'::jsonb
FROM (
    SELECT t, CASE WHEN t %% 10 = ANY(%(expired_token_remainders)s)
                   THEN pg_temp.moment(t) - %(token_lifetime)s
                   ELSE now() - (%(token_lifetime)s - interval '10 minutes') * (t %% 997) / 997.0
              END AS created
    FROM generate_series(0, %(access_tokens)s - 1) t
) numbered
JOIN token_holder holder ON holder.n = numbered.t %% (SELECT count(*) FROM token_holder)
"""

REFRESH_TOKENS = """
INSERT INTO oauth2_provider_refreshtoken (token, access_token_id, application_id, user_id,
                                          created, updated, revoked, token_family,
                                          token_checksum, resource)
SELECT '', token.id, token.application_id, token.user_id, token.created, token.created, NULL,
       gen_random_uuid(),
       encode(sha256(convert_to('scale-refresh-' || (token.id - %(access_token_base)s - 1),
                                'UTF8')), 'hex'),
       '[]'::jsonb
FROM oauth2_provider_accesstoken token
WHERE token.id > %(access_token_base)s
  AND (token.id - %(access_token_base)s - 1) %% %(refresh_token_every)s = 0
"""

# The bench app's event log: mostly delivered, a few failed after their retries, a few pending.
WEBHOOK_DELIVERIES = """
INSERT INTO apps_registry_webhookdelivery (
    event_id, event_type, payload, created_at, status, attempt_count, round_started_at_attempt,
    next_attempt_at, locked_until, last_response_status, finished_at, app_id)
SELECT event_id, event_type,
       jsonb_build_object('id', event_id, 'type', event_type, 'created_at', created_at,
                          'app_id', %(bench_client_id)s,
                          'data', jsonb_build_object('shop_cipher', 'ROW_scale_' || d)),
       created_at, status,
       CASE status WHEN 'pending' THEN 0 WHEN 'failed' THEN 8 ELSE 1 END, 0,
       CASE WHEN status = 'pending' THEN now() + (d %% 60) * interval '1 minute' END,
       NULL,
       CASE status WHEN 'failed' THEN 500 WHEN 'delivered' THEN 200 END,
       CASE status WHEN 'failed' THEN created_at + interval '1 day'
                   WHEN 'delivered' THEN created_at + interval '1 second' END,
       %(bench_app_id)s
FROM (
    SELECT d, 'evt_scale_' || d AS event_id, pg_temp.moment(d) AS created_at,
           (%(topics)s::text[])[d %% cardinality(%(topics)s::text[]) + 1] AS event_type,
           CASE WHEN d %% 50 = 0 THEN 'pending' WHEN d %% 50 < 3 THEN 'failed'
                ELSE 'delivered' END AS status
    FROM generate_series(1, %(webhook_deliveries)s) d
) numbered
"""

# The last attempt of each finished delivery.
WEBHOOK_ATTEMPTS = """
INSERT INTO apps_registry_webhookattempt (number, url, started_at, duration_ms, response_status,
                                          error, response_excerpt, delivery_id)
SELECT delivery.attempt_count, endpoint.url, delivery.finished_at - interval '1 second', 120,
       delivery.last_response_status,
       CASE WHEN delivery.status = 'failed' THEN 'The receiver answered 500.' ELSE '' END, '',
       delivery.id
FROM apps_registry_webhookdelivery delivery
JOIN apps_registry_webhookendpoint endpoint ON endpoint.app_id = delivery.app_id
WHERE delivery.event_id LIKE 'evt\\_scale\\_%%' AND delivery.status <> 'pending'
"""

STEPS = (
    ("users", USERS),
    ("partners", PARTNERS),
    ("memberships", MEMBERSHIPS),
    ("apps", APPS),
    ("app scopes", APP_SCOPES),
    ("access requests", ACCESS_REQUESTS),
    ("review events", REVIEW_EVENTS),
    ("shops", SHOPS),
    ("authorizations", AUTHORIZATIONS),
    ("authorization scopes", AUTHORIZATION_SCOPES),
    ("app grants (temporary)", APP_GRANTS),
    # Temporary tables are never analyzed on their own; the joins below need their sizes.
    ("app grants analyzed", "ANALYZE app_grant"),
    ("authorization events", AUTHORIZATION_EVENTS),
    ("token holders (temporary)", AUTHORIZATIONS_IN_FORCE),
    ("token holders analyzed", "ANALYZE token_holder"),
    ("access tokens", ACCESS_TOKENS),
    ("refresh tokens", REFRESH_TOKENS),
    ("webhook deliveries", WEBHOOK_DELIVERIES),
    ("webhook attempts", WEBHOOK_ATTEMPTS),
)


# The big tables: their secondary indexes and their unique and foreign-key constraints are
# dropped before the bulk and made again after it, one sorted build each instead of millions of
# random insertions (and checks); remaking them checks every row the bulk wrote.
REBUILT_TABLES = (
    "apps_registry_accessrequest",
    "apps_registry_reviewevent",
    "apps_registry_shop",
    "apps_registry_shopauthorization",
    "apps_registry_shopauthorization_scopes",
    "apps_registry_authorizationevent",
    "oauth2_provider_accesstoken",
    "oauth2_provider_refreshtoken",
)

# Indexes that no constraint of their table owns (a primary key's or a unique constraint's).
PLAIN_INDEXES = """
SELECT index.indexrelid::regclass::text, pg_get_indexdef(index.indexrelid)
FROM pg_index index
WHERE index.indrelid = %s::regclass AND NOT EXISTS (
    SELECT 1 FROM pg_constraint owner
    WHERE owner.conrelid = index.indrelid AND owner.conindid = index.indexrelid
      AND owner.contype IN ('p', 'u', 'x'))
"""

# Unique and foreign-key constraints; the primary key stays (other tables' keys point at it).
DROPPABLE_CONSTRAINTS = """
SELECT quote_ident(conname), pg_get_constraintdef(oid)
FROM pg_constraint
WHERE conrelid = %s::regclass AND contype IN ('u', 'f')
"""


@dataclass(frozen=True)
class Timed:
    label: str
    rows: int | None  # None: the step writes no rows
    seconds: float


def _largest_id(cursor, table: str) -> int:
    cursor.execute(f"SELECT coalesce(max(id), 0) FROM {table}")  # noqa: S608 - fixed names
    return cursor.fetchone()[0]


def _scope_ids(cursor, kind: str) -> list[int]:
    """Active scopes of `kind` a single reviewer can approve (no dual approval), by id."""
    cursor.execute(
        "SELECT id FROM scopes_scope WHERE kind = %s AND is_active AND NOT requires_dual_approval"
        " ORDER BY id",
        [kind],
    )
    return [row[0] for row in cursor.fetchall()]


def parameters(cursor, *, sizes: Sizes, world: dict[str, int | str], password_hash: str) -> dict:
    """What the statements read: the sizes, the world's ids, and where each table's new ids
    start."""
    user_base = _largest_id(cursor, "auth_user")
    return {
        **world,
        "password_hash": password_hash,
        "partners": sizes.partners,
        "members": sizes.members,
        "apps": sizes.apps,
        "bench_partner_apps": sizes.bench_partner_apps,
        "access_requests": sizes.access_requests,
        "shops": sizes.shops,
        "measured_installs": sizes.measured_installs,
        "seller_apps": sizes.seller_apps,
        "spread_authorizations": sizes.spread_authorizations,
        "access_tokens": sizes.access_tokens,
        "webhook_deliveries": sizes.webhook_deliveries,
        "user_base": user_base,
        "seller_base": user_base + sizes.members,
        "partner_base": _largest_id(cursor, "apps_registry_partner"),
        "app_base": _largest_id(cursor, "apps_registry_partnerapp"),
        "shop_base": _largest_id(cursor, "apps_registry_shop"),
        "access_request_base": _largest_id(cursor, "apps_registry_accessrequest"),
        "authorization_base": _largest_id(cursor, "apps_registry_shopauthorization"),
        "access_token_base": _largest_id(cursor, "oauth2_provider_accesstoken"),
        "categories": list(PartnerApp.Category.values),
        "public_scopes": _scope_ids(cursor, "public"),
        "custom_scopes": _scope_ids(cursor, "custom"),
        "topics": WEBHOOK_TOPICS,
        "revoked_every": REVOKED_EVERY,
        "skew": SKEW,
        "expired_every": EXPIRED_EVERY,
        "token_lifetime": ACCESS_TOKEN_LIFETIME,
        "expired_token_remainders": EXPIRED_TOKEN_REMAINDERS,
        "refresh_token_every": REFRESH_TOKEN_EVERY,
    }


def drop_indexes(cursor) -> dict[str, list[str]]:
    """Drop the REBUILT_TABLES' secondary indexes and constraints; returns, by table, the
    statements that make them again."""
    remake = {}
    for table in REBUILT_TABLES:
        remake[table] = []
        cursor.execute(PLAIN_INDEXES, [table])
        for name, definition in cursor.fetchall():
            cursor.execute(f"DROP INDEX {name}")
            remake[table].append(definition)
        cursor.execute(DROPPABLE_CONSTRAINTS, [table])
        for name, definition in cursor.fetchall():
            cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
            remake[table].append(f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}")
    return remake


def generate(
    *,
    sizes: Sizes,
    world: dict[str, int | str],
    password_hash: str,
    report: Callable[[Timed], None],
) -> None:
    """Run every step in one session (the temporary tables and function live in it), each step
    committed on its own, with the big tables' indexes made again after them; then move the
    sequences past the explicit ids and ANALYZE."""
    with connection.cursor() as cursor:
        # A crash would lose the whole throwaway database anyway: no need to wait for the WAL.
        cursor.execute("SET synchronous_commit = off")
        cursor.execute("SET work_mem = '256MB'")
        cursor.execute("SET maintenance_work_mem = '1GB'")
        cursor.execute(MOMENT_FUNCTION)
        # Inside a transaction (the tests'), the world's deferred foreign-key checks are still
        # pending, and a table with pending checks cannot be altered: run them now.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        remake = drop_indexes(cursor)
        values = parameters(cursor, sizes=sizes, world=world, password_hash=password_hash)
        for label, statement in STEPS:
            started = time.monotonic()
            cursor.execute(statement, values)
            rows = cursor.rowcount if cursor.rowcount >= 0 else None
            report(Timed(label, rows, time.monotonic() - started))
        for table, statements in remake.items():
            started = time.monotonic()
            for statement in statements:
                cursor.execute(statement)
            label = f"{len(statements)} indexes of {table.removeprefix('apps_registry_')}"
            report(Timed(label, None, time.monotonic() - started))
        started = time.monotonic()
        for table in EXPLICIT_ID_TABLES:
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence(%s, 'id'), (SELECT max(id) FROM {table}))",  # noqa: S608 - fixed names
                [table],
            )
        cursor.execute("DROP TABLE app_grant, token_holder")
        cursor.execute("DROP FUNCTION pg_temp.moment")
        cursor.execute("ANALYZE")
        report(Timed("sequences and ANALYZE", None, time.monotonic() - started))
