"""scrapy-redis 0.9.1's known faults, each shown on scrapy-redis itself and handled by aggregator.distributed.

In-process against the real Redis server; the crawl-level checks (pages fetched once, the engine's poll
interval, a killed worker) are in test_workers.py.
"""

from __future__ import annotations

import time
import warnings

import pytest
import redis
from scrapy import Request, Spider
from scrapy.exceptions import DontCloseSpider, ScrapyDeprecationWarning
from scrapy.settings import BaseSettings
from scrapy.utils.test import get_crawler
from scrapy_redis.scheduler import Scheduler as RedisScheduler
from scrapy_redis.spiders import RedisSpider

from aggregator.crawl import project_settings
from aggregator.distributed import (
    Keys,
    Scheduler,
    shared_crawl_settings,
    worker_settings,
)
from aggregator.distributed_claims import CLAIM
from aggregator.middleware import NOT_BEFORE
from aggregator.sources import SourceConfig
from spiders.mydramalist import MyDramaListSpider


class Plain(Spider):
    name = "plain"


def start(url: str) -> Request:
    # What Scrapy makes of `start_urls` (and RedisSpider of its queue): dont_filter=True.
    return Request(url, dont_filter=True, meta={"is_start_request": True})


def crawler_for(redis_url: str, prefix: str, spidercls=Plain, **settings):
    base = {"REDIS_URL": redis_url, "DRAMASCORE_REDIS_PREFIX": prefix,
            "SCHEDULER_QUEUE_KEY": f"{prefix}:plain-sr:requests", "SCHEDULER_DUPEFILTER_KEY": f"{prefix}:plain-sr:seen"}
    return get_crawler(spidercls, {**base, **settings})  # fmt: skip


def worker(redis_url: str, prefix: str, **settings) -> Scheduler:
    """Our scheduler joined to the shared crawl of the spider `plain` (no engine: `attach`, not `open`)."""
    crawler = crawler_for(redis_url, prefix, **{**worker_settings(BaseSettings(), redis_url), **settings})
    crawler.spider = Plain.from_crawler(crawler)
    scheduler = Scheduler.from_crawler(crawler)
    scheduler.attach(crawler.spider)
    return scheduler


def plain_scrapy_redis(redis_url: str, prefix: str, **settings) -> RedisScheduler:
    # Its own filter: with Scrapy's default one it calls DUPEFILTER_CLASS.from_settings(), gone in Scrapy 2.19.
    crawler = crawler_for(redis_url, prefix, DUPEFILTER_CLASS="scrapy_redis.dupefilter.RFPDupeFilter", **settings)
    crawler.spider = Plain.from_crawler(crawler)
    scheduler = RedisScheduler.from_crawler(crawler)
    scheduler.open(crawler.spider)
    return scheduler


@pytest.fixture
def client(redis_url, redis_prefix):
    client = redis.Redis.from_url(redis_url)
    yield client
    client.close()


def test_fault_1_start_urls_with_dont_filter_are_fetched_once_per_round(redis_url, redis_prefix):
    plain = plain_scrapy_redis(redis_url, redis_prefix)
    with pytest.warns(ScrapyDeprecationWarning):  # fault 5 as well: it passes spider= to the stats
        plain.enqueue_request(start("http://127.0.0.1/a"))
    with pytest.warns(ScrapyDeprecationWarning):
        fetched = plain.next_request()
    with pytest.warns(ScrapyDeprecationWarning):
        plain.enqueue_request(start("http://127.0.0.1/a"))  # the next worker's (or seeding's) start URLs
    assert fetched.url == "http://127.0.0.1/a" and len(plain.queue) == 1  # queued again: a second fetch

    seeding = worker(redis_url, redis_prefix, DRAMASCORE_WORKER_SEED=True)
    assert seeding.enqueue_request(start("http://127.0.0.1/a"))
    assert seeding.next_request().url == "http://127.0.0.1/a"
    assert not seeding.enqueue_request(start("http://127.0.0.1/a"))
    assert len(seeding.queue) == 0
    # A retry is dont_filter too, and must still go through.
    assert seeding.enqueue_request(Request("http://127.0.0.1/a", dont_filter=True))
    assert len(seeding.queue) == 1
    # Workers that are not seeding leave start requests to `dramascore enqueue`.
    assert not worker(redis_url, redis_prefix).enqueue_request(start("http://127.0.0.1/b"))
    assert len(seeding.queue) == 1


def test_fault_2_the_idle_clock_starts_when_this_worker_is_idle_with_the_round_done(redis_url, redis_prefix):
    # RedisSpider: the idle start is a class attribute taken at import, so a worker idle long after import
    # closes the moment it is first idle, with MAX_IDLE_TIME_BEFORE_CLOSE never waited.
    class Redisish(RedisSpider):
        name = "redisish"

    crawler = crawler_for(redis_url, redis_prefix, Redisish, MAX_IDLE_TIME_BEFORE_CLOSE=30,
                          REDIS_START_URLS_KEY=f"{redis_prefix}:redisish:start_urls")  # fmt: skip
    spider = Redisish.from_crawler(crawler)
    assert "spider_idle_start_time" not in vars(spider)
    Redisish.spider_idle_start_time = int(time.time()) - 60  # imported a minute ago
    assert spider.spider_idle() is None  # no DontCloseSpider: it closes at once

    ours = worker(redis_url, redis_prefix, DRAMASCORE_WORKER_IDLE_CLOSE=30)
    now = [1000.0]  # a minute after this worker started, say
    ours.clock = lambda: now[0]
    with pytest.raises(DontCloseSpider):
        ours.spider_idle(ours.spider)  # first idle: the clock starts now
    now[0] += 29
    with pytest.raises(DontCloseSpider):
        ours.spider_idle(ours.spider)
    # Another worker claims a request: the round is not over, the clock starts again once it is.
    other = worker(redis_url, redis_prefix)
    other.enqueue_request(Request("http://127.0.0.1/c"))
    assert other.next_request() is not None
    now[0] += 31
    with pytest.raises(DontCloseSpider):
        ours.spider_idle(ours.spider)
    with pytest.raises(DontCloseSpider):
        other.spider_idle(other.spider)  # idle there too: its claim is confirmed
    for step in (0, 29):
        now[0] += step
        with pytest.raises(DontCloseSpider):
            ours.spider_idle(ours.spider)
    now[0] += 1
    assert ours.spider_idle(ours.spider) is None  # 30 s idle with the round done: it may close


def test_fault_4_no_worker_clears_the_shared_queue_when_it_closes(redis_url, redis_prefix, client):
    plain = plain_scrapy_redis(redis_url, redis_prefix)  # SCHEDULER_PERSIST off, the default
    with pytest.warns(ScrapyDeprecationWarning):
        plain.enqueue_request(Request("http://127.0.0.1/d"))
    plain.close("finished")  # the first worker to finish...
    assert len(plain.queue) == 0  # ...deletes what the others still had to do

    assert worker_settings(BaseSettings(), redis_url)["SCHEDULER_PERSIST"] is True
    a, b = worker(redis_url, redis_prefix), worker(redis_url, redis_prefix)
    a.enqueue_request(Request("http://127.0.0.1/d"))
    a.enqueue_request(Request("http://127.0.0.1/e"))
    claimed = b.next_request()
    a.close("finished")
    assert len(b.queue) == 1 and client.scard(Keys(redis_prefix, "plain").seen) == 2
    assert client.hlen(Keys(redis_prefix, "plain").claims(b.worker)) == 1, claimed


def test_fault_5_no_deprecated_scrapy_api_is_called(redis_url, redis_prefix):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        a = worker(redis_url, redis_prefix, DRAMASCORE_WORKER_SEED=True)
        a.enqueue_request(start("http://127.0.0.1/f"))
        a.enqueue_request(Request("http://127.0.0.1/g"))
        while (request := a.next_request()) is not None:
            a.claims.callback_done(request.meta[CLAIM])
        a.close("finished")
    deprecations = [w for w in caught if issubclass(w.category, (DeprecationWarning, ScrapyDeprecationWarning))]
    assert deprecations == []
    assert a.stats.get_value("scheduler/enqueued/redis") == 2 and a.stats.get_value("scheduler/dequeued/redis") == 2


def test_a_dead_workers_claims_go_back_to_the_queue_in_place(redis_url, redis_prefix, client):
    keys = Keys(redis_prefix, "plain")
    a, b = worker(redis_url, redis_prefix), worker(redis_url, redis_prefix)
    for path in ("h", "i", "j"):
        a.enqueue_request(Request(f"http://127.0.0.1/{path}"))
    taken = [a.next_request().url for _ in range(2)]
    assert b.queue.recover() == 0  # a is alive: its claims are its own
    client.delete(keys.alive(a.worker))  # its heartbeat key expired: a is dead
    assert b.queue.recover() == 2 and int(client.get(keys.requeued)) == 2
    assert client.sismember(keys.workers, a.worker) == 0
    assert [b.next_request().url for _ in range(3)] == [*taken, "http://127.0.0.1/j"]  # in their old order


def test_a_retry_of_a_claimed_request_takes_its_place_in_one_step(redis_url, redis_prefix, client):
    a = worker(redis_url, redis_prefix)
    a.enqueue_request(Request("http://127.0.0.1/k"))
    request = a.next_request()
    claim = request.meta[CLAIM]
    retry = request.replace(dont_filter=True, priority=-1)  # what RetryMiddleware queues: same meta
    assert a.enqueue_request(retry)
    assert claim not in a.claims.open and client.hlen(Keys(redis_prefix, "plain").claims(a.worker)) == 0
    again = a.next_request()
    assert again.url == request.url and again.meta[CLAIM] != claim


def test_a_retry_after_deadline_travels_as_wall_clock_time(redis_url, redis_prefix):
    a, b = worker(redis_url, redis_prefix), worker(redis_url, redis_prefix)
    a.enqueue_request(Request("http://127.0.0.1/l", dont_filter=True, meta={NOT_BEFORE: time.monotonic() + 30}))
    request = b.next_request()
    assert request.meta[NOT_BEFORE] - time.monotonic() == pytest.approx(30, abs=2)


def test_pages_are_confirmed_only_once_their_items_are_committed(redis_url, redis_prefix, client):
    a = worker(redis_url, redis_prefix)
    claims_key = Keys(redis_prefix, "plain").claims(a.worker)
    commits = []
    a.claims.flusher = lambda: commits.append(a.claims.take_ready()) or a.claims.confirm(commits[-1])
    for path in ("m", "n"):
        a.enqueue_request(Request(f"http://127.0.0.1/{path}"))
    with_items, links_only = (a.next_request().meta[CLAIM] for _ in range(2))
    a.claims.output(with_items, item=True)
    a.claims.callback_done(with_items)
    a.claims.output(links_only, item=False)
    a.claims.callback_done(links_only)
    assert client.hlen(claims_key) == 2  # the item is not stored yet, the child request not queued yet
    a.claims.settle(links_only)  # its child request is in the queue: nothing else to wait for
    a.claims.settle(with_items)  # its item went through the pipelines, into the store's batch
    assert client.hkeys(claims_key) == [with_items.encode()] and commits == []
    a.claims.finish()  # idle: the batch is committed, then the page confirmed
    assert commits == [[with_items]] and client.hlen(claims_key) == 0


def test_enqueue_starts_a_round_only_when_the_last_one_is_over(redis_url, redis_prefix):
    from aggregator.cli_worker import seed

    settings = project_settings({"DRAMASCORE_REDIS_PREFIX": redis_prefix})
    source = SourceConfig(name="mdl", kind="mydramalist", base_url="http://127.0.0.1:9")
    first = seed(settings, source, redis_url)
    assert (first.new_round, first.pushed, first.queued) == (True, 1, 1)
    joined = seed(settings, source, redis_url)  # the round is still on: same fingerprints
    assert (joined.new_round, joined.pushed, joined.filtered) == (False, 0, 1)
    crawler = crawler_for(redis_url, redis_prefix, MyDramaListSpider)
    crawler.spider = MyDramaListSpider.from_crawler(crawler, source=source)  # the queue is per source
    drain = Scheduler.from_crawler(crawler)
    drain.attach(crawler.spider)
    assert drain.next_request().url == "http://127.0.0.1:9/shows/popular?page=1"
    drain.claims.finish()  # idle with nothing in flight: the page is done
    again = seed(settings, source, redis_url)  # over: the next round fetches everything again
    assert (again.new_round, again.pushed) == (True, 1)


def test_dramascore_crawl_with_a_redis_url_is_a_worker_that_starts_the_round(redis_url):
    settings = project_settings({"DRAMASCORE_REDIS_URL": redis_url})
    shared = shared_crawl_settings(settings)
    assert shared["SCHEDULER"] == "aggregator.distributed.Scheduler" and shared["DRAMASCORE_WORKER_SEED"] is True
    assert shared["ITEM_PIPELINES"]["aggregator.distributed_claims.ClaimingStorePipeline"] == 900
    assert "pipelines.store.StorePipeline" not in shared["ITEM_PIPELINES"]
    assert shared_crawl_settings(project_settings({"DRAMASCORE_REDIS_URL": None})) == {}  # no URL: each crawl on its own, as before
    assert shared_crawl_settings(project_settings({**shared, "DRAMASCORE_REDIS_URL": redis_url})) == {}  # a worker
    with pytest.raises(ValueError, match="--resume"):
        shared_crawl_settings(project_settings({"DRAMASCORE_REDIS_URL": redis_url, "DRAMASCORE_RESUMABLE": True}))


def test_the_commands_say_what_is_missing_or_contradictory(monkeypatch, capsys, tmp_path, redis_url):
    from aggregator.cli_worker import main

    monkeypatch.delenv("DRAMASCORE_REDIS_URL", raising=False)
    sources = tmp_path / "sources.toml"
    sources.write_text('[sources.mdl]\nkind = "mydramalist"\nbase_url = "http://127.0.0.1:9"\n')
    assert main(["enqueue", "--sources", str(sources)]) == 2
    assert "no Redis URL: pass --redis or set DRAMASCORE_REDIS_URL" in capsys.readouterr().err
    assert main(["worker", "--sources", str(sources), "--redis", "redis://127.0.0.1:1/0"]) == 2
    assert "cannot reach Redis at redis://127.0.0.1:1/0" in capsys.readouterr().err
    assert main(["worker", "--sources", str(sources), "--redis", redis_url, "-s", "DRAMASCORE_RESUMABLE=True"]) == 2
    assert "--resume keeps a local journal" in capsys.readouterr().err
    assert main(["enqueue", "--sources", str(sources), "--redis", redis_url, "--source", "nope"]) == 2
    assert "unknown source(s) ['nope']" in capsys.readouterr().err


def test_enqueue_status_reads_the_queue(redis_url, redis_prefix, client):
    from aggregator.cli_worker import status

    keys = Keys(redis_prefix, "plain")
    a, b = worker(redis_url, redis_prefix), worker(redis_url, redis_prefix)
    for path in ("o", "p", "q"):
        a.enqueue_request(Request(f"http://127.0.0.1/{path}"))
    b.next_request()
    client.delete(keys.alive(a.worker))  # a died (it claimed nothing)
    assert status(client, keys) == {"queued": 2, "claimed": 1, "seen": 3, "workers": 1, "dead": 1, "requeued": 0}
