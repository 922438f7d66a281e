"""Fixtures of the shared-crawl tests: the Redis server on 127.0.0.1 and a key prefix of the test's own."""

from __future__ import annotations

import os
import uuid

import pytest

from tests.conftest import service_missing

REDIS_URL = os.environ.get("DRAMASCORE_TEST_REDIS", "redis://127.0.0.1:6379/0")


@pytest.fixture
def redis_url() -> str:
    return REDIS_URL


@pytest.fixture
def redis_prefix():
    """A key prefix no other test (or test run) uses; every key under it is deleted afterwards."""
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.RedisError as exc:
        client.close()
        service_missing(f"Redis at {REDIS_URL}: {exc}")
    prefix = f"dstest-{uuid.uuid4().hex[:12]}"
    yield prefix
    keys = list(client.scan_iter(f"{prefix}:*", count=1000))
    if keys:
        client.delete(*keys)
    client.close()
