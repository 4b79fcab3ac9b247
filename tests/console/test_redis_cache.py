"""The Redis cache backend reuses one redis-py client per connection pool (console/cache.py)."""

from __future__ import annotations

import os

import pytest

from console.cache import RedisCache


@pytest.fixture
def redis_cache():
    if not os.environ.get("REDIS_URL"):
        pytest.skip("needs Redis (set REDIS_URL)")
    backend = RedisCache(os.environ["REDIS_URL"], {"KEY_PREFIX": "test-redis-cache"})
    yield backend
    backend.clear()


def test_every_operation_goes_through_one_client(redis_cache):
    redis_cache.set("a", {"value": 1})
    redis_cache.add("b", 2)

    assert redis_cache.get_many(["a", "b", "missing"]) == {"a": {"value": 1}, "b": 2}
    client = redis_cache._cache.get_client()
    assert redis_cache._cache.get_client(write=True) is client
    assert redis_cache._cache._clients == {id(client.connection_pool): client}
