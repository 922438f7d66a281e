"""The benchmark scripts in bench/ work: each one's core function on a tiny input gives sensible figures.

Timings are never asserted here (the ratios live in the scripts' own output); what is checked is that each
benchmark measures what it says on data it generated. bench/near_duplicates.py is covered by
tests/test_duplicates.py.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"


@pytest.fixture(autouse=True, scope="module")
def _bench_on_path():
    """bench/ is not a package: its scripts import their helpers by name, as when run from the command line."""
    saved = list(sys.path)
    sys.path.insert(0, str(BENCH))
    yield
    sys.path[:] = saved


def _load(name: str):
    """A bench script as a module, under a name no other test uses."""
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def dates():
    return _load("dates")


def test_date_corpus_is_seeded_and_mixed(dates):
    corpus = dates.make_corpus(300, seed=3)
    assert corpus == dates.make_corpus(300, seed=3)
    assert corpus != dates.make_corpus(300, seed=4)
    assert {s.kind for s in corpus} == set(dates.MIX)
    assert any(s.day_first for s in corpus) and any("전" in s.text for s in corpus)
    assert all(s.meant.tzinfo is not None and s.meant <= dates.NOW for s in corpus)


def test_dates_compare_counts_every_string_and_finds_no_error_of_ours(dates):
    corpus = dates.make_corpus(60, seed=5)
    result = dates.compare(corpus, chunks=3)
    assert result.agree + sum(result.differences.values()) == len(corpus)
    assert result.agree > len(corpus) // 2
    assert set(result.differences) <= set(dates.EXPLAIN)
    assert not {"ours_none", "ours_wrong"} & set(result.differences)
    assert result.ours_s > 0 and result.theirs_s > 0


def test_dates_classify_tells_the_kinds_of_difference_apart(dates):
    from datetime import datetime

    utc = dates.NOW.tzinfo
    meant = datetime(2022, 4, 3, tzinfo=utc)
    sample = dates.Sample("03/04/2022", "numeric", meant, day_first=True)
    assert dates.classify(sample, meant, meant) is None
    assert dates.classify(sample, meant, datetime(2022, 3, 4, tzinfo=utc)) == "day_order"
    assert dates.classify(sample, meant, None) == "dateparser_none"
    assert dates.classify(sample, None, meant) == "ours_none"
    yesterday = dates.Sample("yesterday", "relative", datetime(2025, 6, 14, tzinfo=utc))
    assert dates.classify(yesterday, yesterday.meant, dates.NOW.replace(day=14)) == "day_word_clock"


def test_extraction_measures_the_demo_pages_of_a_site():
    extraction = _load("extraction")
    from aggregator.crawl import project_settings
    from aggregator.demo.mdl_pages import render_site
    from aggregator.sources import SourceConfig
    from pipelines.apply import NormaliseConfig

    source = SourceConfig("mydramalist", "mydramalist", "http://127.0.0.1:1", language="en", default_scale=10)
    pages = [
        extraction.Page(source.base_url + key, text.encode(), json=False)
        for key, (_, text) in render_site().items()
        if "/reviews?page=" in key
    ][:2]
    cfg = NormaliseConfig.from_settings(project_settings(), [source])
    cost = extraction.measure(source, pages, cfg, rounds=2)
    assert cost.pages == 2 and cost.reviews == sum(len(extraction.items_of(p, source)) for p in pages) > 0
    assert cost.bare_ms > 0 and cost.extract_ms > 0 and cost.normalise_ms > 0 and cost.ratio > 0


def test_store_bench_writes_every_review_both_ways_on_sqlite():
    store = _load("store")
    items = store.make_items(24)
    assert len({(i.source, i.source_review_id) for i in items}) == 24
    result = store.measure("sqlite", items, batch=10)  # raises unless each store holds the 24 reviews
    assert result.size == 24 and result.batched_s > 0 and result.single_s > 0 and result.ratio > 0


def test_generated_site_is_crawlable_by_the_real_extractors():
    site_module = _load("generated_site")
    import urllib.request

    from spiders.extractors.mydramalist import (
        extract_listing,
        extract_review_page_urls,
        extract_reviews,
    )

    content = site_module.generate_content(dramas=5, reviews_per_drama=12, seed=1)
    assert content == site_module.generate_content(dramas=5, reviews_per_drama=12, seed=1)
    paths = site_module.page_paths(content)
    assert len(paths) == 2 + 5 * 3  # 2 listing pages; per drama its page and 2 reviews pages
    with site_module.GeneratedSite(content) as site:
        def get(path: str) -> str:
            with urllib.request.urlopen(site.url(path), timeout=10) as answer:
                return answer.read().decode()

        listings, next_url = extract_listing(get(paths[0]), site.url(paths[0]))
        assert len(listings) == 4 and next_url == site.url(paths[1])
        reviews_page = [p for p in paths if p.endswith("/reviews?page=1")][0]
        reviews = extract_reviews(get(reviews_page), site.url(reviews_page))
        assert len(reviews) == 10 and all(r.score_raw and r.published_raw and r.body_raw for r in reviews)
        assert extract_review_page_urls(get(reviews_page), site.url(reviews_page)) == [
            site.url(reviews_page.replace("page=1", "page=2"))
        ]


@pytest.mark.slow  # two child processes, each starting Scrapy (a few seconds)
def test_crawl_bench_runs_both_crawls_on_a_tiny_site():
    crawl = _load("crawl")
    result = crawl.compare(dramas=2, reviews_per_drama=12)
    assert result.expected_pages == 1 + 1 + 2 * 3  # robots.txt, one listing page, 2 x (drama + 2 reviews pages)
    assert result.noop["pages"] == result.full["pages"] == result.expected_pages
    assert result.full["stored"] == result.expected_reviews == 24 and result.full["status"] == "finished"
    assert result.noop["peak_rss_mib"] > 0 and result.full["peak_rss_mib"] > 0 and result.ratio > 0
