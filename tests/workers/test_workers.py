"""Two `dramascore worker` processes crawl one generated site through the shared Redis queue into PostgreSQL.

Fetches are counted on the server, per page; reviews in the store. The kill test defines "exactly once"
as docs/workers.md does: every page is fetched, and fetched again only if the killed worker had claimed it
(the claims put back in the queue are counted in ``<prefix>:<source>:requeued``).
"""

from __future__ import annotations

import signal
import time
from collections import Counter

import pytest
import redis

from aggregator.demo.generated import GeneratedSite

from .harness import (
    CONCURRENCY,
    enqueue,
    runs,
    seed_in_process,
    sources_file,
    start_worker,
    stored_reviews,
    tails,
    wait_all,
)

pytestmark = [pytest.mark.slow, pytest.mark.postgres]
DRAMAS = 300  # 4 pages per drama (main page, three reviews pages) and 6 listing pages: 1,206 pages
STORE_BATCH = 200  # the project's DRAMASCORE_STORE_BATCH: reviews a killed worker may hold uncommitted


def extra_fetches(hits: Counter, site: GeneratedSite) -> int:
    assert set(hits) == site.page_keys(), f"pages never fetched: {sorted(site.page_keys() - set(hits))[:10]}"
    return sum(hits.values()) - len(hits)


def test_two_workers_fetch_every_page_once_and_store_every_review_once(tmp_path, pg_url, redis_url, redis_prefix):
    logs = ["a.log", "b.log"]
    with GeneratedSite(DRAMAS, reviews_per_drama=3) as site:
        sources = sources_file(tmp_path, site)
        assert "yes" in enqueue(tmp_path, sources, redis_url, redis_prefix)  # a new round
        workers = [start_worker(tmp_path, sources, redis_url, redis_prefix, pg_url, log) for log in logs]
        wait_all(workers, tmp_path, logs)
        hits = site.page_hits()

    assert extra_fetches(hits, site) == 0, [k for k, n in hits.items() if n > 1][:10]
    stored = stored_reviews(pg_url)
    assert len(stored) == len(set(stored)) == len(site.review_ids())
    assert set(stored) == site.review_ids()
    finished = runs(pg_url)
    # Both took part, between them fetching each page once (each fetched robots.txt for itself too).
    assert [status for status, _, _ in finished] == ["finished", "finished"], tails(tmp_path, logs)
    assert all(pages > 1 for _, pages, _ in finished) and sum(p for _, p, _ in finished) == len(hits) + 2
    # scrapy-redis's calls of APIs Scrapy deprecates are gone (Scrapy logs warnings through logging).
    assert not [log for log in logs if "DeprecationWarning" in (tmp_path / log).read_text()]
    # An idle worker polls the queue every DRAMASCORE_WORKER_POLL seconds, not on Scrapy's 5 s heartbeat.
    assert {stats["dramascore/workers/poll_seconds"] for _, _, stats in finished} == {0.5}
    client = redis.Redis.from_url(redis_url)
    key = f"{redis_prefix}:mydramalist"
    assert client.zcard(f"{key}:requests") == 0 and not client.exists(f"{key}:requeued")
    assert client.scard(f"{key}:dupefilter") == len(site.page_keys())  # kept: the round's record
    assert not list(client.scan_iter(f"{key}:claims:*")) and client.scard(f"{key}:workers") == 0
    client.close()


def test_a_worker_killed_mid_crawl_and_restarted_loses_nothing(tmp_path, pg_url, redis_url, redis_prefix):
    logs = ["a.log", "b.log", "a2.log"]
    client = redis.Redis.from_url(redis_url)
    requeued_key = f"{redis_prefix}:mydramalist:requeued"
    with GeneratedSite(DRAMAS, reviews_per_drama=3) as site:
        sources = sources_file(tmp_path, site)
        seed_in_process(sources, redis_url, redis_prefix)
        a, b = (start_worker(tmp_path, sources, redis_url, redis_prefix, pg_url, log) for log in logs[:2])
        deadline = time.monotonic() + 60
        while sum(site.page_hits().values()) < len(site.page_keys()) // 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        a.send_signal(signal.SIGKILL)  # no goodbye: its claims stay in Redis until its heartbeat key expires
        a.wait(10)
        assert b.poll() is None, "the crawl ended before the kill: make the site bigger\n" + tails(tmp_path, logs)
        a2 = start_worker(tmp_path, sources, redis_url, redis_prefix, pg_url, logs[2])
        wait_all([b, a2], tmp_path, logs[1:])
        hits = site.page_hits()
    requeued = int(client.get(requeued_key) or 0)
    client.close()

    # Fetched again: only pages the killed worker had claimed (in flight, or with reviews not yet committed).
    assert 0 < requeued <= CONCURRENCY + STORE_BATCH, requeued
    assert extra_fetches(hits, site) <= requeued
    stored = stored_reviews(pg_url)
    assert len(stored) == len(set(stored)) == len(site.review_ids())
    assert set(stored) == site.review_ids()


def test_a_worker_stopped_with_sigterm_and_started_again_fetches_nothing_twice(tmp_path, pg_url, redis_url, redis_prefix):
    logs = ["first.log", "again.log"]
    with GeneratedSite(100, reviews_per_drama=3) as site:
        sources = sources_file(tmp_path, site)
        seed_in_process(sources, redis_url, redis_prefix)
        first = start_worker(tmp_path, sources, redis_url, redis_prefix, pg_url, logs[0])
        deadline = time.monotonic() + 60
        while sum(site.page_hits().values()) < len(site.page_keys()) // 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        first.send_signal(signal.SIGTERM)  # a clean stop: finish what is in flight, commit, leave
        assert first.wait(30) == 1, tails(tmp_path, logs[:1])  # stopped before the round was done
        assert len(site.page_hits()) < len(site.page_keys())
        again = start_worker(tmp_path, sources, redis_url, redis_prefix, pg_url, logs[1])
        wait_all([again], tmp_path, logs[1:])
        hits = site.page_hits()
    assert extra_fetches(hits, site) == 0, [k for k, n in hits.items() if n > 1][:10]
    assert set(stored_reviews(pg_url)) == site.review_ids()
    assert [status for status, _, _ in runs(pg_url)] == ["failed", "finished"]
