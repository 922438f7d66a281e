"""One `dramascore worker` against two, sharing a Redis queue and a PostgreSQL store, over one generated site.

Run: ``python bench/workers.py [--dramas 500] [--reviews 3]``; the defaults make 2,010 MyDramaList-shaped
pages (aggregator.demo.generated) served on 127.0.0.1 by this process. Each round: a fresh PostgreSQL
schema (database `test` on 127.0.0.1, dropped afterwards; ``--pg URL`` for another), a fresh Redis key
prefix, ``dramascore enqueue``, then N worker processes started together, each with the project's
settings except DOWNLOAD_DELAY = 0, AutoThrottle off and 8 requests at a time.

Pages/s is pages over the time from the site's first page request to its last (process start-up and the
idle wait before exit left out). It prints both rounds, then the ratio two / one. On 2 cores the server,
the workers, Redis and PostgreSQL share the CPUs: about 1.25x is the measured ceiling for plain scrapy-redis.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

import redis
import sqlalchemy as sa

from aggregator.demo.generated import GeneratedSite

PG_ADMIN = os.environ.get("DRAMASCORE_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS = os.environ.get("DRAMASCORE_TEST_REDIS", "redis://127.0.0.1:6379/0")
SETTINGS = ("DOWNLOAD_DELAY=0", "AUTOTHROTTLE_ENABLED=False", "CONCURRENT_REQUESTS_PER_DOMAIN=8",
            "DRAMASCORE_PROGRESS_INTERVAL=0")  # fmt: skip


@dataclass
class Round:
    workers: int
    pages: int
    seconds: float
    refetched: int  # fetches beyond one per page (0 expected)
    reviews: int

    @property
    def rate(self) -> float:
        return self.pages / self.seconds if self.seconds > 0 else 0.0

    def line(self) -> str:
        return (f"{self.workers} worker(s): {self.pages} pages in {self.seconds:.1f} s = {self.rate:.1f} pages/s "
                f"({self.reviews} reviews stored, {self.refetched} pages fetched twice)")  # fmt: skip


def run_round(site: GeneratedSite, workers: int, pg_admin: str, redis_url: str, workdir: Path) -> Round:
    """Crawl the whole site with `workers` worker processes into a fresh schema; pages/s from the server's clock."""
    schema, prefix = f"bench_{uuid.uuid4().hex[:10]}", f"bench-{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(pg_admin, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    db = f"{pg_admin}{'&' if '?' in pg_admin else '?'}options=-csearch_path%3D{schema}"
    client = redis.Redis.from_url(redis_url)
    sources = workdir / "sources.toml"
    sources.write_text(
        f'[sources.mdl]\nkind = "mydramalist"\nbase_url = "{site.base_url}"\ndefault_scale = 10\nlisting_pages = 0\n'
    )
    common = ["--sources", str(sources), "--redis", redis_url, "-s", f"DRAMASCORE_REDIS_PREFIX={prefix}"]
    for pair in SETTINGS:
        common += ["-s", pair]
    cli = [sys.executable, "-m", "aggregator.cli_worker"]
    try:
        subprocess.run([*cli, "enqueue", *common], cwd=workdir, check=True, capture_output=True)
        site.reset()
        procs = [subprocess.Popen([*cli, "worker", *common, "--db", db, "--idle-close", "1", "--log-level", "WARNING"],
                                  cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
                 for _ in range(workers)]  # fmt: skip
        errors = [proc.communicate(timeout=600)[1] for proc in procs]
        if any(proc.returncode for proc in procs):
            raise SystemExit("a worker failed:\n" + "\n".join(e[-2000:] for e in errors))
        hits = site.page_hits()
        with sa.create_engine(db).connect() as conn:
            reviews = conn.scalar(sa.text("SELECT count(*) FROM reviews"))
        return Round(workers, len(hits), site.last_hit - site.first_hit, sum(hits.values()) - len(hits), reviews)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
        keys = list(client.scan_iter(f"{prefix}:*"))
        if keys:
            client.delete(*keys)
        client.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dramas", type=int, default=500, help="dramas on the site (4 pages each, default 500)")
    parser.add_argument("--reviews", type=int, default=3, help="reviews per drama, one per reviews page")
    parser.add_argument("--pg", default=PG_ADMIN, help="PostgreSQL URL (a fresh schema per round)")
    parser.add_argument("--redis", default=REDIS, help="Redis URL (a fresh key prefix per round)")
    args = parser.parse_args(argv)
    with GeneratedSite(args.dramas, args.reviews) as site, tempfile.TemporaryDirectory() as tmp:
        print(f"site: {len(site.page_keys())} pages, {len(site.review_ids())} reviews, on {site.base_url}")
        one = run_round(site, 1, args.pg, args.redis, Path(tmp))
        print(one.line(), flush=True)
        two = run_round(site, 2, args.pg, args.redis, Path(tmp))
        print(two.line())
    print(f"ratio two workers / one: {two.rate / one.rate:.2f}x (2 cores: about 1.25x is plain scrapy-redis's ceiling)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
