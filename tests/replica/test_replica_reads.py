"""Reads go to a real streaming replica only where allowed and only once it has replayed what the
reader must see; writes, transactions and a failing replica use the primary (ADR 0026)."""

from __future__ import annotations

from django.db import DEFAULT_DB_ALIAS, OperationalError, connections, transaction
from django.test.utils import CaptureQueriesContext

from apps_registry.models import Shop
from core.replica import lsn_number, read_from_replica
from tests import factories
from tests.replica.conftest import REPLICA_DATABASES

pytestmark = REPLICA_DATABASES

REPLAY_CHECK = "pg_last_wal_replay_lsn"


def primary_lsn() -> int:
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()::text")
        return lsn_number(cursor.fetchone()[0])


def shop_names() -> list[str]:
    return list(Shop.objects.order_by("name").values_list("name", flat=True))


def test_an_allowed_read_sees_committed_rows_on_the_replica_once_replayed(replica):
    factories.ShopFactory(name="Northwind Goods")
    written = primary_lsn()
    replica.wait_until_caught_up()

    with replica.queries() as on_replica:
        names = read_from_replica(shop_names, caught_up_to=written)

    assert names == ["Northwind Goods"]
    assert [REPLAY_CHECK in q["sql"] for q in on_replica.captured_queries] == [True, False]
    assert "apps_registry_shop" in on_replica.captured_queries[1]["sql"]


def test_a_replica_behind_the_position_is_not_read(replica):
    replica.pause()
    try:
        factories.ShopFactory(name="Northwind Goods")
        written = primary_lsn()

        with replica.queries() as on_replica:
            names = read_from_replica(shop_names, caught_up_to=written)
        on_the_replica = Shop.objects.using("replica").count()
    finally:
        replica.resume()

    assert names == ["Northwind Goods"]
    assert len(on_replica.captured_queries) == 1  # the replay check only
    assert on_the_replica == 0  # what reading it would have missed


def test_writes_inside_an_allowed_read_go_to_the_primary(replica):
    with replica.queries() as on_replica:
        shop = read_from_replica(
            lambda: factories.ShopFactory(name="Written inside"), caught_up_to=0
        )

    assert Shop.objects.using(DEFAULT_DB_ALIAS).filter(pk=shop.pk, name="Written inside").exists()
    sent = " ".join(q["sql"] for q in on_replica.captured_queries)
    assert "INSERT" not in sent.upper()
    replica.wait_until_caught_up()
    assert Shop.objects.using("replica").filter(pk=shop.pk).exists()  # by replication only


def test_reads_inside_a_transaction_stay_on_the_primary(replica):
    with replica.queries() as on_replica, transaction.atomic():
        factories.ShopFactory(name="Not committed yet")
        names = read_from_replica(shop_names, caught_up_to=0)

    assert names == ["Not committed yet"]
    assert on_replica.captured_queries == []


def test_a_read_the_replica_cancels_is_read_again_from_the_primary(replica, caplog):
    factories.ShopFactory(name="Northwind Goods")
    replica.wait_until_caught_up()

    def conflict(execute, sql, params, many, context):
        if REPLAY_CHECK in sql:
            return execute(sql, params, many, context)
        raise OperationalError("canceling statement due to conflict with recovery")

    with (
        connections["replica"].execute_wrapper(conflict),
        CaptureQueriesContext(connections[DEFAULT_DB_ALIAS]) as on_primary,
    ):
        names = read_from_replica(shop_names, caught_up_to=0)

    assert names == ["Northwind Goods"]
    assert len(on_primary.captured_queries) == 1
    assert "Reading from the replica failed; reading from the primary" in caplog.text


def test_an_unreachable_replica_is_skipped_for_the_primary(replica_unreachable, caplog):
    factories.ShopFactory(name="Northwind Goods")

    names = read_from_replica(shop_names, caught_up_to=0)

    assert names == ["Northwind Goods"]
    assert "The replica does not answer; reading from the primary" in caplog.text
