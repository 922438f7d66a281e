"""The full crawl of a generated local site against a no-op spider fetching the same pages, in one run.

Run: ``python bench/crawl.py [--dramas 200] [--reviews-per-drama 100]``; the defaults make 2,000 reviews
pages (10 reviews each), 200 drama pages and 50 listing pages (`generated_site`), served on 127.0.0.1 by
this process. Each crawl runs in its own child process (a fresh Twisted reactor, its own peak memory),
with the project's settings except DOWNLOAD_DELAY = 0 and AutoThrottle off, as `dramascore demo` does:

* full: the real `mydramalist` spider from the listing, every pipeline stage, the SQLite store (WAL) and the
  duplicates/consensus refresh at the end, exactly as `dramascore crawl` runs it (`aggregator.crawl`);
* no-op: a spider given the same page URLs up front whose callback does nothing (no items, no pipelines).

It prints pages/s and peak RSS of both, and last the ratio full / no-op pages/s (target >= 0.8). Served from
memory on the loopback, a page costs the no-op spider almost nothing, so the ratio is the share of the crawl
that is fetching; ``--latency 0.1`` makes every answer take 100 ms, as a real site's do, to show whether our
processing keeps up with the downloads at the project's concurrency.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import scrapy
import sqlalchemy as sa
from scrapy.crawler import CrawlerProcess

from aggregator.crawl import project_settings, run_crawls
from aggregator.sources import SourceConfig

if str(Path(__file__).resolve().parent) not in sys.path:  # imported by a test rather than run as a script
    sys.path.insert(0, str(Path(__file__).resolve().parent))
from generated_site import GeneratedSite, generate_content, page_paths, review_count


class NoopSpider(scrapy.Spider):
    """Requests the given URLs and does nothing with the answers."""

    name = "bench_noop"

    def __init__(self, urls: list[str], *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.urls = urls

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for url in self.urls:
            yield scrapy.Request(url, callback=self.parse)

    def parse(self, response):
        return None


def crawl_settings(db_url: str, state_dir: str) -> dict:
    return {
        "DOWNLOAD_DELAY": 0,
        "AUTOTHROTTLE_ENABLED": False,
        "LOG_LEVEL": "WARNING",
        "DRAMASCORE_DB": db_url,
        "DRAMASCORE_STATE_DIR": state_dir,
    }


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def run_noop(base_url: str, paths: list[str], workdir: Path) -> dict:
    """The no-op crawl in this process; Twisted's reactor cannot restart, so call it once per process."""
    overrides = crawl_settings(f"sqlite:///{workdir / 'noop.db'}", str(workdir / "state"))
    overrides["ITEM_PIPELINES"] = {}
    process = CrawlerProcess(project_settings(overrides))
    crawler = process.create_crawler(NoopSpider)
    process.crawl(crawler, urls=[base_url + p for p in paths])
    started = time.perf_counter()
    process.start()
    elapsed = time.perf_counter() - started
    stats = crawler.stats.get_stats()
    return {"pages": stats.get("response_received_count", 0), "seconds": elapsed, "reviews": 0,
            "status": stats.get("finish_reason"), "peak_rss_mib": peak_rss_mib()}  # fmt: skip


def run_full(base_url: str, workdir: Path) -> dict:
    """The real crawl into a fresh SQLite store in this process, as `dramascore crawl` runs it."""
    db = f"sqlite:///{workdir / 'full.db'}"
    source = SourceConfig(
        name="mydramalist", kind="mydramalist", base_url=base_url, language="en", default_scale=10,
        options={"listing_pages": 0},
    )  # fmt: skip
    started = time.perf_counter()
    (result,) = run_crawls([source], overrides=crawl_settings(db, str(workdir / "state")))
    elapsed = time.perf_counter() - started
    engine = sa.create_engine(db)
    with engine.connect() as conn:
        stored = conn.execute(sa.text("SELECT count(*) FROM reviews")).scalar_one()
    engine.dispose()
    return {"pages": result.pages, "seconds": elapsed, "reviews": result.reviews, "stored": stored,
            "status": result.status, "failures": result.failures, "peak_rss_mib": peak_rss_mib()}  # fmt: skip


def child(mode: str, base_url: str, paths: list[str], workdir: Path) -> dict:
    """Run one crawl in a child process; its answer is the JSON on its last stdout line."""
    args = [sys.executable, __file__, "--child", mode, "--base-url", base_url, "--workdir", str(workdir)]
    (workdir / "paths.json").write_text(json.dumps(paths))
    done = subprocess.run(args, capture_output=True, text=True, check=False)
    if done.returncode != 0 or not done.stdout.strip():
        raise RuntimeError(f"{mode} crawl failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


@dataclass
class CrawlComparison:
    noop: dict
    full: dict
    expected_reviews: int
    expected_pages: int

    @staticmethod
    def rate(run: dict) -> float:
        return run["pages"] / run["seconds"]

    @property
    def ratio(self) -> float:
        return self.rate(self.full) / self.rate(self.noop)


def compare(dramas: int, reviews_per_drama: int, seed: int = 7, latency: float = 0.0) -> CrawlComparison:
    """Generate and serve the site (each answer `latency` seconds late), then crawl it both ways."""
    content = generate_content(dramas, reviews_per_drama, seed)
    paths = page_paths(content)
    with GeneratedSite(content, delay=latency) as site, tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        noop = child("noop", site.base_url, paths, workdir)
        full = child("full", site.base_url, paths, workdir)
    # Both fetch robots.txt too.
    return CrawlComparison(noop, full, review_count(content), len(paths) + 1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dramas", type=int, default=200, help="dramas on the generated site (default 200)")
    parser.add_argument("--reviews-per-drama", type=int, default=100, help="10 per reviews page (default 100)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds the site takes per answer (default 0)")
    parser.add_argument("--child", choices=("noop", "full"), help=argparse.SUPPRESS)
    parser.add_argument("--base-url", help=argparse.SUPPRESS)
    parser.add_argument("--workdir", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        workdir = Path(args.workdir)
        if args.child == "noop":
            paths = json.loads((workdir / "paths.json").read_text())
            print(json.dumps(run_noop(args.base_url, paths, workdir)))
        else:
            print(json.dumps(run_full(args.base_url, workdir)))
        return 0
    cmp = compare(args.dramas, args.reviews_per_drama, args.seed, args.latency)
    print(f"site: {args.dramas} dramas x {args.reviews_per_drama} reviews = {cmp.expected_reviews:,} reviews on "
          f"{cmp.expected_pages:,} pages (robots.txt included), {args.latency * 1000:.0f} ms per answer")
    for name, run in (("no-op", cmp.noop), ("full", cmp.full)):
        extra = f", {run['reviews']:,} items, {run['stored']:,} reviews stored" if name == "full" else ""
        print(f"{name:<6} {run['pages']:>6,} pages in {run['seconds']:7.2f} s = {cmp.rate(run):7.1f} pages/s, "
              f"peak RSS {run['peak_rss_mib']:6.0f} MiB, {run['status']}{extra}")
    if cmp.full.get("failures"):
        print(f"full crawl monitors: {'; '.join(cmp.full['failures'])}")
    print(f"ratio full / no-op pages/s: {cmp.ratio:.2f} (target >= 0.8)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
