"""The daily purge of expired OAuth tokens (housekeeping_jobs.expired_tokens_purge, ADR 0023):
it deletes exactly what django-oauth-toolkit's `clear_expired` deletes, in windows of at most
CLEAR_EXPIRED_TOKENS_BATCH_SIZE rows, each its own transaction, so a concurrent writer never waits
for the whole purge."""

from __future__ import annotations

import re
import threading
import time
from datetime import UTC, datetime, timedelta
from io import StringIO
from itertools import count

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from oauth2_provider.models import AccessToken, Grant, IDToken, RefreshToken, clear_expired
from oauth2_provider.models import set_token_value as set_value

from apps_registry import tasks
from apps_registry.services import housekeeping_jobs
from apps_registry.services.housekeeping_jobs import expired_tokens_purge
from tests import factories
from tests.concurrency import race

NOW = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)
TOKEN_TABLES = (AccessToken, RefreshToken, IDToken, Grant)
_numbers = count()


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def owner_and_app(db):
    return factories.UserFactory(), factories.PartnerAppFactory()


def access_token(owner_and_app, *, expires, **fields) -> AccessToken:
    user, app = owner_and_app
    token = AccessToken(user=user, application=app, scope="", expires=expires, **fields)
    set_value(token, f"access-{next(_numbers)}")
    token.save()
    return token


def refresh_token(owner_and_app, **fields) -> RefreshToken:
    user, app = owner_and_app
    token = RefreshToken(user=user, application=app, **fields)
    set_value(token, f"refresh-{next(_numbers)}")
    token.save()
    return token


def every_kind_of_token(owner_and_app) -> None:
    """One token of each case `clear_expired` tells apart, on both sides of each limit."""
    user, app = owner_and_app
    access_token(owner_and_app, expires=NOW + timedelta(hours=1))
    access_token(owner_and_app, expires=NOW - timedelta(minutes=1))
    # Expired, but its refresh token was used a day ago: it may still be refreshed.
    refresh_token(
        owner_and_app, access_token=access_token(owner_and_app, expires=NOW - timedelta(days=1))
    )
    # Idle past REFRESH_TOKEN_EXPIRE_SECONDS (30 days): both go.
    refresh_token(
        owner_and_app, access_token=access_token(owner_and_app, expires=NOW - timedelta(days=31))
    )
    long_revoked = refresh_token(owner_and_app, revoked=NOW - timedelta(days=31))
    refresh_token(owner_and_app, revoked=NOW - timedelta(hours=1))
    refresh_token(owner_and_app)  # orphaned: neither revoked nor holding an access token
    # Issued by a refresh token the purge deletes: it keeps living, unlinked.
    access_token(owner_and_app, expires=NOW + timedelta(hours=1), source_refresh_token=long_revoked)
    IDToken.objects.create(user=user, application=app, expires=NOW - timedelta(minutes=1))
    held = IDToken.objects.create(user=user, application=app, expires=NOW - timedelta(minutes=1))
    access_token(owner_and_app, expires=NOW + timedelta(hours=1), id_token=held)
    IDToken.objects.create(user=user, application=app, expires=NOW + timedelta(hours=1))
    for number, expires in enumerate([NOW - timedelta(minutes=1), NOW + timedelta(minutes=5)]):
        Grant.objects.create(
            user=user, application=app, code=f"code-{number}", expires=expires, redirect_uri="/"
        )


def surviving_rows() -> dict[str, list[tuple]]:
    return {
        model.__name__: list(model.objects.order_by("pk").values_list()) for model in TOKEN_TABLES
    }


@pytest.mark.parametrize(
    "overrides",
    [
        {},  # the console's settings: reuse protection keeps revoked refresh tokens 30 days
        {"REFRESH_TOKEN_REUSE_PROTECTION": False},
        {"REFRESH_TOKEN_REUSE_PROTECTION": False, "REFRESH_TOKEN_GRACE_PERIOD_SECONDS": 7200},
        {"REFRESH_TOKEN_REUSE_PROTECTION": False, "REFRESH_TOKEN_EXPIRE_SECONDS": None},
    ],
)
def test_the_purge_deletes_exactly_what_clear_expired_deletes(
    clock, settings, owner_and_app, overrides
):
    settings.OAUTH2_PROVIDER = {
        **settings.OAUTH2_PROVIDER,
        **overrides,
        "CLEAR_EXPIRED_TOKENS_BATCH_INTERVAL": 0,
    }
    every_kind_of_token(owner_and_app)
    before = surviving_rows()
    with transaction.atomic():
        clear_expired()
        after_clear_expired = surviving_rows()
        transaction.set_rollback(True)
    assert surviving_rows() == before

    purge = expired_tokens_purge(batch_size=3)

    assert surviving_rows() == after_clear_expired
    assert purge.total == sum(map(len, before.values())) - sum(
        map(len, after_clear_expired.values())
    )
    assert after_clear_expired != before


def test_each_window_of_the_batch_size_is_one_transaction_with_at_most_one_delete(
    clock, owner_and_app
):
    expired = [access_token(owner_and_app, expires=NOW - timedelta(minutes=1)) for _ in range(5)]
    live = access_token(owner_and_app, expires=NOW + timedelta(hours=1))
    access_token(owner_and_app, expires=NOW - timedelta(minutes=1))  # a window of its own

    with CaptureQueriesContext(connection) as queries:
        purge = expired_tokens_purge(batch_size=2, pause_seconds=0)

    assert list(AccessToken.objects.values_list("pk", flat=True)) == [live.pk]
    assert purge.deleted["access tokens"] == len(expired) + 1
    # Windows of the access token table: [1, 2], [3, 4], [5, live], [last_expired].
    deleted_per_transaction = []
    for statement in (query["sql"] for query in queries.captured_queries):
        if statement.startswith("SAVEPOINT"):
            deleted_per_transaction.append([])
        elif statement.startswith('DELETE FROM "oauth2_provider_accesstoken"'):
            deleted_per_transaction[-1].append(
                len(re.search(r"IN \(([^)]*)\)", statement)[1].split(","))
            )
    access_token_deletes = [batch for batch in deleted_per_transaction if batch]
    assert access_token_deletes == [[2], [2], [1], [1]]


def test_the_purge_pauses_only_after_a_window_that_deleted_rows(clock, owner_and_app, monkeypatch):
    for expires in (1, 1, -1, 1, 1):  # windows of two: live, one expired, live
        access_token(owner_and_app, expires=NOW + timedelta(hours=expires))
    pauses = []
    monkeypatch.setattr(housekeeping_jobs.time, "sleep", pauses.append)

    purge = expired_tokens_purge(batch_size=2, pause_seconds=0.25)

    assert purge.batches == 3
    assert purge.total == 1
    assert pauses == [0.25]


def test_a_second_run_deletes_nothing_and_the_task_reports_what_it_did(clock, owner_and_app):
    every_kind_of_token(owner_and_app)

    first = tasks.clear_expired_oauth_tokens.enqueue().return_value
    left = surviving_rows()
    second = tasks.clear_expired_oauth_tokens.enqueue().return_value

    assert first["deleted"] == {
        "revoked refresh tokens": 1,
        "orphaned refresh tokens": 1,
        "idle refresh tokens": 1,
        "access tokens": 2,
        "ID tokens": 1,
        "grants": 1,
    }
    assert sum(second["deleted"].values()) == 0
    assert surviving_rows() == left


def test_the_command_purges_now_and_says_what_it_deleted(clock, owner_and_app):
    kept = access_token(owner_and_app, expires=NOW + timedelta(hours=1))
    access_token(owner_and_app, expires=NOW - timedelta(minutes=1))
    output = StringIO()

    call_command("purge_expired_tokens", stdout=output)

    assert list(AccessToken.objects.values_list("pk", flat=True)) == [kept.pk]
    assert output.getvalue().startswith(
        "Deleted 0 revoked refresh tokens, 0 orphaned refresh tokens, 0 idle refresh tokens, "
        "1 access tokens, 0 ID tokens, 0 grants in "
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_concurrent_writer_sees_each_batch_committed_and_never_waits_for_the_purge(
    owner_and_app,
):
    now = datetime.now(UTC)
    expired_ids = [
        access_token(owner_and_app, expires=now - timedelta(minutes=1)).pk for _ in range(12)
    ]
    purging, done = threading.Event(), threading.Event()
    expired_left_seen = []

    def purge():
        purging.set()
        try:
            return expired_tokens_purge(batch_size=3, pause_seconds=0.2)
        finally:
            done.set()

    def write_meanwhile():
        purging.wait(timeout=10)
        with connection.cursor() as cursor:
            # Waiting on a lock the purge holds fails the round instead of waiting it out.
            cursor.execute("SET lock_timeout = '500ms'")
        while not done.is_set():
            with transaction.atomic():
                access_token(owner_and_app, expires=now + timedelta(hours=1))
                # A row of the first window: the purge deletes it in its first transaction.
                AccessToken.objects.filter(pk=expired_ids[0]).update(scope="touched")
                expired_left_seen.append(AccessToken.objects.filter(pk__in=expired_ids).count())
            time.sleep(0.05)

    outcome, _ = race(purge, write_meanwhile)

    assert outcome.deleted["access tokens"] == len(expired_ids)
    assert not AccessToken.objects.filter(pk__in=expired_ids).exists()
    # While the purge ran, the writer saw some windows gone and others not yet: each committed
    # on its own (a purge in one transaction shows all 12 until it ends, then none).
    assert any(0 < left < len(expired_ids) for left in expired_left_seen)
