"""Runs one page through one site's extraction, as its spider reads a response, then through the real pipeline
stages (every stage of ITEM_PIPELINES before the monitors and the store), and says what came out.

    outcome = run(case, "mydramalist")
    outcome.kept, outcome.dropped, outcome.skipped, outcome.crashes, outcome.problems

`skipped` is what the extractor saw and did not turn into an item, by reason (the spiders count these under
``dramascore/<site>/...``); `dropped` is what a stage dropped, read from the crawler's stats
``dramascore/dropped/<reason>``; `problems` lists kept items whose normalised fields break a contract.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime, timedelta
from functools import cache
from types import SimpleNamespace

from scrapy.exceptions import DropItem
from scrapy.http import Headers
from scrapy.responsetypes import responsetypes
from scrapy.utils.misc import load_object
from scrapy.utils.test import get_crawler

from aggregator.crawl import project_settings
from aggregator.items import ReviewItem
from aggregator.sources import SourceConfig
from pipelines.normalise.authors import (
    MAX_NAME_LEN,
    clean_author_with_reason,
    handle_from_profile_url,
)
from pipelines.normalise.dates import EARLIEST, parse_date_with_reason
from pipelines.normalise.scores import aspect_key, parse_score_with_reason
from pipelines.normalise.sentiment import infer_score_with_reason
from pipelines.normalise.spoilers import spoiler_with_reason
from pipelines.normalise.status import watch_status
from pipelines.normalise.text import clean_body, fold_whitespace, lead_paragraph
from spiders.base import page_body
from spiders.extractors.mydramalist import review_block_count
from spiders.extractors.reddit import extract_page
from spiders.extractors.wordpress import api_kind, post_records
from spiders.mydramalist import MyDramaListSpider
from spiders.reddit import RedditSpider
from spiders.schemaorg import SchemaOrgSpider
from spiders.wordpress import WordPressSpider

SITES = ("mydramalist", "wordpress", "reddit", "schemaorg")
CRAWLED_AT = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
DROP_REASONS = frozenset({"missing_id", "missing_drama", "empty_review"})
# Stages after these need a database (the store) or judge a whole crawl (the monitors).
_LAST_STAGE = 799
# PostgreSQL refuses index entries over ~2,700 bytes: identities longer than this would fail a whole batch.
MAX_KEY_BYTES = 2000
_KEYS = ("source_review_id", "drama_site_id", "author_handle")
_URLS = ("url", "author_url", "drama_url")
_UNSTORABLE = re.compile(r"[\x00\ud800-\udfff]")  # PostgreSQL text refuses NUL; UTF-8 refuses lone surrogates
_MAX_INT = 2**31 - 1  # INTEGER columns


@dataclass
class Outcome:
    site: str
    seen: int = 0
    """Review blocks (records, comments, review nodes) the extractor found on the page."""
    extracted: int = 0
    kept: list[ReviewItem] = field(default_factory=list)
    skipped: Counter = field(default_factory=Counter)
    dropped: Counter = field(default_factory=Counter)
    crashes: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def source_for(site: str) -> SourceConfig:
    # English sources, as configured sources say: without a language, each date the fast path cannot read
    # makes dateparser try every locale it knows (a quarter of a second each).
    return SourceConfig(name=site, kind=site, language="en", default_scale=10.0 if site == "mydramalist" else None)


@cache
def _stages(site: str) -> tuple:
    """The real stages, configured from the project's settings, sharing one crawler (stats) per site."""
    settings = project_settings()
    crawler = get_crawler(settings_dict={k: v for k, v in settings.copy_to_dict().items() if k.startswith("DRAMASCORE_")})
    crawler.stats.open_spider()
    crawler.spider = SimpleNamespace(name=site, source_config=source_for(site))
    order = sorted(settings.getdict("ITEM_PIPELINES").items(), key=lambda kv: kv[1])
    stages = [load_object(path).from_crawler(crawler) for path, number in order if number <= _LAST_STAGE]
    return crawler, stages


def response_body(body: bytes | str, url: str, content_type: str | None) -> str | bytes:
    """What the spider's callback hands its extractor: the response decoded as Scrapy decodes it."""
    raw = body if isinstance(body, bytes) else body.encode("utf-8", "surrogatepass")
    headers = Headers({"Content-Type": content_type} if content_type else {})
    cls = responsetypes.from_args(headers=headers, url=url, body=raw[:5000])
    return page_body(cls(url=url, body=raw, headers=headers))


def extract(site: str, body: str | bytes, url: str) -> tuple[list[ReviewItem], int, Counter]:
    """(raw items, blocks seen, skipped by reason) as the site's spider callback gets them."""
    source = source_for(site)
    skipped: Counter = Counter()
    if site == "mydramalist":
        items = MyDramaListSpider.items_from_page(body, url, CRAWLED_AT, source)
        seen = review_block_count(body, url)
        skipped["unreadable_block"] = seen - len(items)  # a block without a numeric id
    elif site == "wordpress":
        records = post_records(body) if api_kind(body, url) in ("posts", "comments") else None
        items = WordPressSpider.items_from_page(body, url, CRAWLED_AT, source)
        seen = len(records) if records is not None else len(items)
        skipped["unreadable_record"] = seen - len(items)  # a record without an id or a link
    elif site == "reddit":
        result = extract_page(body, url)
        items, seen = RedditSpider.stamp(result.items, source, CRAWLED_AT), result.blocks_seen
        skipped.update(result.skipped)
    else:
        report: dict = {}
        items = SchemaOrgSpider.items_from_page(body, url, CRAWLED_AT, source, report=report)
        seen = report.get("review_nodes", 0)
        skipped.update({k: report.get(k, 0) for k in ("empty_reviews", "duplicates", "bad_jsonld")})
    return items, seen, +skipped


def run(body: str | bytes, url: str, site: str, *, content_type: str | None = None, decode: bool = True) -> Outcome:
    """One page through one site; `decode=False` hands the raw bytes over, as `dramascore extract` does."""
    out = Outcome(site)
    try:
        page = response_body(body, url, content_type) if decode else body
        items, out.seen, out.skipped = extract(site, page, url)
    except Exception as exc:  # noqa: BLE001 - the point is to record it
        out.crashes.append(f"extract: {type(exc).__name__}: {str(exc)[:200]}")
        return out
    out.extracted = len(items)
    crawler, stages = _stages(site)
    before = _drops(crawler)
    for item in items:
        try:
            for stage in stages:
                item = stage.process_item(item)
        except DropItem:
            continue
        except Exception as exc:  # noqa: BLE001
            out.crashes.append(f"{type(stage).__name__}: {type(exc).__name__}: {str(exc)[:200]}")
            continue
        out.kept.append(item)
        out.problems += [f"{item.source_review_id[:40]}: {p}" for p in item_problems(item)]
    out.dropped = +(_drops(crawler) - before)
    return out


def _drops(crawler) -> Counter:
    stats = crawler.stats.get_stats()
    return Counter({k.removeprefix("dramascore/dropped/"): v for k, v in stats.items() if k.startswith("dramascore/dropped/")})


# --- what a kept item must look like ---------------------------------------------------------------------------


def item_problems(item: ReviewItem) -> list[str]:
    """Contract breaches of one normalised item; empty when it may be stored and shown as it is."""
    out = []
    for rating in [item, *item.sub_scores, *item.episode_scores]:
        value = rating.score
        if value is not None and not (0.0 <= value <= 100.0 and math.isfinite(value)):
            out.append(f"score {value} outside 0-100")
    if item.score_raw and item.score is None and "score" not in item.null_reasons:
        out.append("score null without a reason")
    if item.inferred_score is not None and not 0.0 <= item.inferred_score <= 100.0:
        out.append(f"inferred score {item.inferred_score} outside 0-100")
    if item.published_at is not None:
        latest = (item.crawled_at or CRAWLED_AT) + timedelta(hours=24)
        if item.published_at.utcoffset() != timedelta(0) or not EARLIEST <= item.published_at <= latest:
            out.append(f"published_at {item.published_at} implausible")
    elif item.published_raw and "published_at" not in item.null_reasons:
        out.append("published_at null without a reason")
    for name in ("author_handle", "author_name"):
        value = getattr(item, name)
        if value is not None and not 0 < len(value) <= MAX_NAME_LEN:
            out.append(f"{name} of {len(value)} characters")
    if item.body is not None and (clean_body(item.body) != item.body or "<script" in item.body.lower()):
        out.append("body is not clean text")
    if item.spoiler not in (True, False, None) or not item.spoiler_reason:
        out.append("spoiler without a verdict and a reason")
    if item.watch_status not in ("completed", "ongoing", "dropped", None):
        out.append(f"watch status {item.watch_status!r}")
    for name in _URLS:
        value = getattr(item, name)
        if value is not None and not value.lower().startswith(("http://", "https://")):
            out.append(f"{name} is not an http(s) URL: {value[:60]!r}")
    return out + storable_problems(item)


def storable_problems(item: ReviewItem) -> list[str]:
    """Values the store's databases would refuse, failing the whole batch the item is written in."""
    out = []
    for obj in [item, *item.sub_scores, *item.episode_scores]:
        for f in fields(obj):
            value = getattr(obj, f.name)
            if isinstance(value, str) and _UNSTORABLE.search(value):
                out.append(f"{f.name} holds NUL or a lone surrogate")
            if isinstance(value, int) and not isinstance(value, bool) and abs(value) > _MAX_INT:
                out.append(f"{f.name} = {value} overflows an INTEGER column")
    for name in _KEYS:
        value = getattr(item, name)
        if isinstance(value, str) and len(value.encode("utf-8", "replace")) > MAX_KEY_BYTES:
            out.append(f"{name} of {len(value)} characters is too long for an index")
    for name in ("drama_title", "drama_native_title"):
        value = getattr(item, name)
        if isinstance(value, str) and len(value.encode("utf-8", "replace")) > MAX_KEY_BYTES:
            out.append(f"{name} of {len(value)} characters is too long for the alias index")
    return out


# --- a case's verdict -------------------------------------------------------------------------------------------


def failures(case, out: Outcome) -> list[str]:
    """Why `out` (the case run through one site) is wrong; empty when it is right."""
    bad = [f"crash in {c}" for c in out.crashes] + out.problems
    if out.extracted != len(out.kept) + sum(out.dropped.values()):
        bad.append(f"{out.extracted} items extracted, {len(out.kept)} kept, {sum(out.dropped.values())} dropped")
    bad += [f"drop reason {r!r} is not a known reason" for r in out.dropped if r not in DROP_REASONS]
    if out.site != case.site:
        return bad
    expect = case.expect
    if len(out.kept) != expect.kept:
        bad.append(f"kept {len(out.kept)}, expected {expect.kept}")
    if dict(out.dropped) != dict(expect.dropped):
        bad.append(f"dropped {dict(out.dropped)}, expected {dict(expect.dropped)}")
    if expect.skipped is not None and dict(out.skipped) != dict(expect.skipped):
        bad.append(f"skipped {dict(out.skipped)}, expected {dict(expect.skipped)}")
    for name, reason in expect.nulls.items():
        got = [item.null_reasons.get(name) for item in out.kept]
        if any(g != reason for g in got):
            bad.append(f"null reasons of {name}: {got}, expected {reason!r}")
    texts = [f"{i.author_name} {i.title} {i.body}" for i in out.kept]
    if expect.text and not any(expect.text in t for t in texts):
        bad.append(f"no kept review contains {expect.text!r}")
    return bad


# --- every normaliser on the page itself, as if a selector had caught all of it ---------------------------------


def normaliser_problems(text: str) -> list[str]:
    """Contract breaches of the normalisers fed `text` as each raw field; exceptions propagate."""
    out = []
    name, reason = clean_author_with_reason(text)
    if (name is None) == (reason is None) or (name is not None and not 0 < len(name) <= MAX_NAME_LEN):
        out.append(f"clean_author: {str(name)[:40]!r}, {reason!r}")
    moment, reason = parse_date_with_reason(text, crawl_time=CRAWLED_AT, languages=["en"])
    if (moment is None) == (reason is None) or (moment and not EARLIEST <= moment <= CRAWLED_AT + timedelta(hours=24)):
        out.append(f"parse_date: {moment}, {reason!r}")
    score, reason = parse_score_with_reason(text, default_scale=10)
    if (score is None) == (reason is None) or (score and not 0 <= score.value <= 100):
        out.append(f"parse_score: {score}, {reason!r}")
    body = clean_body(text)
    if body is not None and (clean_body(body) != body or body != body.strip()):
        out.append("clean_body is not idempotent")
    verdict, reason = spoiler_with_reason(marker=text, title=text, lead=lead_paragraph(body), body=text)
    if verdict not in (True, False, None) or not reason:
        out.append(f"spoiler: {verdict}, {reason!r}")
    if watch_status(text) not in ("completed", "ongoing", "dropped", None):
        out.append("watch_status")
    inferred, reason = infer_score_with_reason(body)
    if (inferred is None) == (reason is None) or (inferred is not None and not 0 <= inferred <= 100):
        out.append(f"infer_score: {inferred}, {reason!r}")
    folded = fold_whitespace(text)
    if folded is not None and fold_whitespace(folded) != folded:
        out.append("fold_whitespace is not idempotent")
    key = aspect_key(text)
    if key is not None and aspect_key(key) != key:
        out.append(f"aspect_key is not idempotent: {key[:40]!r}")
    handle_from_profile_url(text)
    return out
