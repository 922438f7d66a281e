"""Review pages of dramas that stopped changing are revisited less often; --full fetches everything."""

from __future__ import annotations

import pytest
from scrapy import Request
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler

from aggregator.crawl import project_settings, source_settings
from aggregator.revisit import DAY, META, RevisitLedger, RevisitMiddleware
from aggregator.sources import SourceConfig

URL = "http://127.0.0.1:8765/700001-soundtrack-1/reviews?page=1"
T0 = 1_700_000_000.0


def test_ledger_notes_changes_and_says_when_a_page_is_due(tmp_path):
    ledger = RevisitLedger(tmp_path / "ledger.sqlite")
    stale, every = 30 * DAY, 7 * DAY
    assert ledger.due(URL, T0, stale, every)  # never seen
    assert ledger.record(URL, b"<p>v1</p>", T0) is True
    assert ledger.due(URL, T0 + DAY, stale, every)  # changed recently: always revisited
    assert ledger.record(URL, b"<p>v1</p>", T0 + 40 * DAY) is False  # unchanged for 40 days
    assert not ledger.due(URL, T0 + 41 * DAY, stale, every)  # stale and fetched yesterday: skip
    assert ledger.due(URL, T0 + 48 * DAY, stale, every)  # a week since the last fetch: due again
    assert ledger.record(URL, b"<p>v2</p>", T0 + 48 * DAY) is True
    assert ledger.due(URL, T0 + 49 * DAY, stale, every)  # it changed: fresh again
    ledger.close()


def make_middleware(tmp_path, clock, **settings):
    crawler = get_crawler(settings_dict={"DRAMASCORE_REVISIT_LEDGER": str(tmp_path / "l.sqlite"), **settings})
    crawler.stats.open_spider()
    mw = RevisitMiddleware.from_crawler(crawler)
    mw.clock = clock
    return crawler, mw


def fetch(mw, body=b"<html><p>same reviews</p></html>", meta=True):
    request = Request(URL, meta={META: True} if meta else {})
    mw.process_request(request)
    return mw.process_response(request, HtmlResponse(URL, body=body, request=request))


def test_middleware_skips_a_stale_page_fetched_recently_and_counts_it(tmp_path):
    now = [T0]
    crawler, mw = make_middleware(tmp_path, lambda: now[0])
    fetch(mw)
    now[0] = T0 + 40 * DAY
    fetch(mw)  # unchanged for 40 days, fetched again: now it is stale and recently fetched
    now[0] = T0 + 41 * DAY
    with pytest.raises(IgnoreRequest, match="unchanged for long"):
        fetch(mw)
    assert crawler.stats.get_value("dramascore/revisit/skipped") == 1
    assert crawler.stats.get_value("dramascore/revisit/unchanged") == 1
    # Requests the spider did not mark (listings, drama pages) always go through.
    fetch(mw, meta=False)
    assert crawler.stats.get_value("dramascore/revisit/skipped") == 1
    now[0] = T0 + 48 * DAY
    fetch(mw, body=b"<html><p>a new review</p></html>")
    assert crawler.stats.get_value("dramascore/revisit/changed") == 2


def test_full_recrawl_and_no_ledger_turn_it_off(tmp_path):
    with pytest.raises(NotConfigured):
        make_middleware(tmp_path, lambda: T0, DRAMASCORE_REVISIT_ALL=True)
    with pytest.raises(NotConfigured):
        RevisitMiddleware.from_crawler(get_crawler(settings_dict={}))


def test_incremental_crawls_get_a_ledger_per_source(tmp_path):
    settings = project_settings({"DRAMASCORE_HTTPCACHE": True, "DRAMASCORE_STATE_DIR": str(tmp_path)})
    extra = source_settings(settings, SourceConfig(name="mydramalist", kind="mydramalist"))
    assert extra["DRAMASCORE_REVISIT_LEDGER"] == str(tmp_path / "revisit" / "mydramalist.sqlite")
    plain = source_settings(project_settings({"DRAMASCORE_STATE_DIR": str(tmp_path)}), SourceConfig("a", "mydramalist"))
    assert "DRAMASCORE_REVISIT_LEDGER" not in plain
