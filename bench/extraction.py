"""Per-page cost of our extraction + normalisation against a bare parse of the same bytes, per site.

Run: ``python bench/extraction.py [--rounds 30]``. The pages are the demo site's (aggregator/demo/), every
page the real spiders fetched while crawling it (`collect_pages`: one in-process crawl, pipelines off) that
holds at least one review. Per page, "ours" is the spider's ``items_from_page`` (the extractor, as
`dramascore extract` runs it) followed by every normaliser (`pipelines.apply.normalise_item` with
``infer=None``); "bare" is ``lxml.html.fromstring`` of the bytes, or ``json.loads`` for the JSON APIs
(WordPress REST, Reddit). Both run in turn over the same pages, round after round. The ratio ours / bare per
site comes last (target <= 3x).

Score inference (VADER, ``pipelines/infer.py``) is a pipeline stage of its own, not a normaliser, and costs
per review what no parse of the page does: it is left out of "ours" and timed apart, on the same items in
the mode the settings give (``DRAMASCORE_INFER_SCORES``), and printed on its own line as the cost per review
it gave a score to.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import lxml.html
from scrapy.spiderloader import get_spider_loader

from aggregator.crawl import project_settings, run_crawls
from aggregator.demo.server import DemoSite, demo_sources
from aggregator.sources import SourceConfig
from pipelines.apply import NormaliseConfig, normalise_inferred, normalise_item

CRAWLED_AT = datetime(2025, 6, 15, 12, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Page:
    url: str
    body: bytes
    json: bool
    """A JSON API answer (bare parse: json.loads) rather than an HTML page (lxml)."""


class RecordingSite(DemoSite):
    """The demo site, keeping every 200 answer it serves: request target -> (content type, body)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.served: dict[str, tuple[str, bytes]] = {}

    def reply(self, target, user_agent=None, headers=None):
        answer = super().reply(target, user_agent, None)  # never a 304: the body is what we keep
        if answer.status == 200:
            self.served[target] = (answer.content_type, answer.body)
        return answer


def _source_of(url: str, sources: Sequence[SourceConfig]) -> SourceConfig:
    """The demo source whose base URL is the longest prefix of `url`."""
    return max((s for s in sources if url.startswith(s.base_url)), key=lambda s: len(s.base_url))


def collect_pages() -> tuple[list[SourceConfig], dict[str, list[Page]]]:
    """Crawl the demo site once with the real spiders; source name -> its pages that hold reviews."""
    with RecordingSite() as site, tempfile.TemporaryDirectory() as tmp:
        sources = demo_sources(site.base_url)
        overrides = {
            "DOWNLOAD_DELAY": 0,
            "AUTOTHROTTLE_ENABLED": False,
            "LOG_LEVEL": "ERROR",
            "ITEM_PIPELINES": {},  # only the fetched pages matter here
            "DRAMASCORE_DB": f"sqlite:///{Path(tmp) / 'unused.db'}",
            "DRAMASCORE_STATE_DIR": str(Path(tmp) / "state"),
        }
        run_crawls(sources, overrides=overrides)
        base = site.base_url
        served = dict(site.served)
    by_source: dict[str, list[Page]] = {s.name: [] for s in sources}
    for target, (ctype, body) in sorted(served.items()):
        url = base + target
        source = _source_of(url, sources)
        page = Page(url, body, "json" in ctype)
        if items_of(page, source):
            by_source[source.name].append(page)
    return sources, {name: pages for name, pages in by_source.items() if pages}


_SPIDERS: dict[str, type] = {}


def _spider(kind: str) -> type:
    if not _SPIDERS:
        loader = get_spider_loader(project_settings())
        _SPIDERS.update({name: loader.load(name) for name in loader.list()})
    return _SPIDERS[kind]


def items_of(page: Page, source: SourceConfig) -> list:
    return _spider(source.kind).items_from_page(page.body, page.url, CRAWLED_AT, source)


def bare_parse(page: Page) -> object:
    return json.loads(page.body) if page.json else lxml.html.fromstring(page.body)


@dataclass
class SiteCost:
    source: str
    pages: int
    reviews: int
    kib_per_page: float
    bare_ms: float
    extract_ms: float
    normalise_ms: float
    """Milliseconds per page, summed over the rounds and divided by pages x rounds."""
    inferred: int = 0
    """Reviews (of `reviews`) given an inferred score, in the settings' inference mode."""
    infer_ms: float = 0.0
    """Milliseconds per page of score inference, not part of the ratio."""

    @property
    def infer_ms_per_review(self) -> float | None:
        """Inference cost per review it gave a score to."""
        return self.infer_ms * self.pages / self.inferred if self.inferred else None

    @property
    def ratio(self) -> float:
        return (self.extract_ms + self.normalise_ms) / self.bare_ms


def measure(source: SourceConfig, pages: Sequence[Page], cfg: NormaliseConfig, rounds: int = 30) -> SiteCost:
    """Bare parse, extraction and normalisation (without inference) of every page, in turn, `rounds` times;
    then score inference on the normalised items, as `cfg.infer` says, timed apart."""
    ours = replace(cfg, infer=None)
    bare = extract = normalise = infer = 0.0
    reviews = inferred = 0
    for _ in range(rounds):
        started = time.perf_counter()
        for page in pages:
            bare_parse(page)
        bare += time.perf_counter() - started
        reviews = inferred = 0
        for page in pages:
            started = time.perf_counter()
            items = items_of(page, source)
            middle = time.perf_counter()
            for item in items:
                normalise_item(item, ours)
            ended = time.perf_counter()
            for item in items:
                normalise_inferred(item, cfg)
            infer += time.perf_counter() - ended
            extract += middle - started
            normalise += ended - middle
            reviews += len(items)
            inferred += sum(item.inferred_score is not None for item in items)
    per_page = 1000 / (len(pages) * rounds)
    kib = sum(len(p.body) for p in pages) / len(pages) / 1024
    return SiteCost(
        source.name, len(pages), reviews, kib, bare * per_page, extract * per_page, normalise * per_page,
        inferred, infer * per_page,
    )  # fmt: skip


def _inference(cost: SiteCost) -> str:
    per_review = cost.infer_ms_per_review
    spent = f"{per_review:.3f} ms per inferred review" if per_review is not None else "none inferred"
    return f"{cost.source} {spent} ({cost.inferred} of {cost.reviews})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=30, help="passes over each site's pages (default 30)")
    args = parser.parse_args(argv)
    sources, pages = collect_pages()
    cfg = NormaliseConfig.from_settings(project_settings(), sources)
    by_name = {s.name: s for s in sources}
    for name, site_pages in pages.items():  # warm-up: imports, lexicons, regex caches
        for item in items_of(site_pages[0], by_name[name]):
            normalise_item(item, cfg)  # inference included: VADER's lexicon loads here
    costs = [measure(by_name[name], site_pages, cfg, args.rounds) for name, site_pages in pages.items()]
    print(f"{'source':<12} {'kind':<11} {'pages':>5} {'reviews':>7} {'KiB/page':>8} {'bare ms':>8} "
          f"{'extract ms':>10} {'normalise ms':>12} {'ratio':>6}")
    for c in costs:
        kind = by_name[c.source].kind
        print(f"{c.source:<12} {kind:<11} {c.pages:>5} {c.reviews:>7} {c.kib_per_page:>8.1f} {c.bare_ms:>8.3f} "
              f"{c.extract_ms:>10.3f} {c.normalise_ms:>12.3f} {c.ratio:>5.1f}x")
    print(f"score inference ({cfg.infer or 'off'}), not in the ratio: "
          + ", ".join(_inference(c) for c in costs))
    print("ratio (extract + normalise) / bare parse per page: "
          + ", ".join(f"{c.source} {c.ratio:.1f}x" for c in costs) + " (target <= 3x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
