"""How well scores inferred from review text agree with the scores the reviewers gave themselves.

Run: ``python bench/inferred_scores.py [--no-demo] [--db URL] [--list]``. The corpus is every review the project has
with a body:

* demo: a real crawl of the bundled demo site (``aggregator.demo``) with the real spiders and pipelines
  into a temporary SQLite file, read back from the store (MyDramaList-shaped pages, two WordPress blogs,
  a Reddit-shaped API, schema.org critic pages);
* fixture: the test fixtures under tests/fixtures, through ``aggregator.extract.extract_file``;
* real: the two real MyDramaList reviews in ../shared/realpages, read in place (skipped when absent).

``--db URL`` measures the reviews stored in a dramascore database instead (after real crawls: the sample
that matters).

Prints how many reviews without a score get an inferred one; then, on the reviews with an explicit score:
n, Pearson and Spearman correlation, the mean absolute error (MAE) of the inferred score, the MAE of a
constant predictor (the mean explicit score: the baseline to beat) and their ratio, overall and per origin;
and the MAE a linear recalibration would reach (leave-one-out: never fitted on the review it predicts).
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pipelines.normalise.sentiment import METHOD, infer_score_with_reason

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
REALPAGES = ROOT.parent / "shared" / "realpages"
CRAWLED_AT = datetime(2026, 11, 1, tzinfo=UTC)
LOCAL = "http://127.0.0.1:8765"
# (spider, URL the page is read as, file under tests/fixtures): pages that hold reviews.
FIXTURE_PAGES = [
    ("mydramalist", f"{LOCAL}/700101-lanterns-over-haedong/reviews?page=1", "mydramalist/reviews-page1.html"),
    ("mydramalist", f"{LOCAL}/700101-lanterns-over-haedong/reviews?page=2", "mydramalist/reviews-page2.html"),
    ("mydramalist", f"{LOCAL}/700101-lanterns-over-haedong", "mydramalist/drama-main.html"),
    ("reddit", f"{LOCAL}/reddit/comments/k7q2mx.json?raw_json=1&limit=500", "reddit/thread-episode-discussion.json"),
    ("reddit", f"{LOCAL}/reddit/comments/m2r7vd.json?raw_json=1&limit=500", "reddit/thread-review-post.json"),
    ("reddit", f"{LOCAL}/reddit/api/morechildren.json?link_id=t3_k7q2mx", "reddit/morechildren-m100010.json"),
    ("reddit", f"{LOCAL}/reddit/user/river_lamp/comments.json", "reddit/user-comments.json"),
    ("wordpress", f"{LOCAL}/blog/wp-json/wp/v2/posts?per_page=100&page=1&_embed=author", "wordpress/posts-page1.json"),
    ("wordpress", f"{LOCAL}/blog/wp-json/wp/v2/posts?per_page=100&page=2&_embed=author", "wordpress/posts-page2.json"),
    ("wordpress", f"{LOCAL}/blog/wp-json/wp/v2/comments?post=4101&per_page=100", "wordpress/comments.json"),
    *(
        ("wordpress", f"{LOCAL}/blog/2023/05/{name}/", f"wordpress/{name}.html")
        for name in (
            "post-airdate", "post-airdate-undated", "post-byline-only", "post-malformed-jsonld", "post-og-only",
            "post-yoast",
        )
    ),
    *(
        ("schemaorg", f"https://critics.example/reviews/{name}/", f"schemaorg/{name}.html")
        for name in ("critic-review", "microdata-review", "mixed-jsonld", "series-user-reviews", "yoast-graph")
    ),
]
REAL_PAGES = [("mydramalist", "https://mydramalist.com/685237-the-glory", "mydramalist/the-glory-685237-details.html")]


@dataclass(frozen=True)
class Sample:
    """One review with an explicit score and a body."""

    origin: str
    """``demo``, ``fixture`` or ``real``."""
    source: str
    ref: str
    score: float | None
    """The explicit score (0-100); None for a review that gives none (coverage only)."""
    body: str
    language: str | None = None


# --- corpus ----------------------------------------------------------------------------------------------


_REVIEWS_SQL = (
    "SELECT s.name, r.source_review_id, r.score, r.body, r.language FROM reviews r"
    " JOIN sources s ON s.id = r.source_id WHERE r.body IS NOT NULL ORDER BY s.name, r.source_review_id"
)


def stored_samples(db_url: str, origin: str = "stored") -> list[Sample]:
    """Every review with a body in a dramascore database (any SQLAlchemy URL), e.g. after real crawls."""
    from sqlalchemy import create_engine, text

    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            return [Sample(origin, *row) for row in conn.execute(text(_REVIEWS_SQL))]
    finally:
        engine.dispose()


def demo_samples() -> list[Sample]:
    """Crawl the demo site with the real spiders and pipelines, then read every review with a body back."""
    from aggregator.crawl import run_crawls
    from aggregator.demo.server import DemoSite, demo_sources

    with tempfile.TemporaryDirectory() as tmp, DemoSite() as site:
        db = Path(tmp) / "bench.db"
        overrides = {
            "DRAMASCORE_DB": f"sqlite:///{db}",
            "DOWNLOAD_DELAY": 0,
            "AUTOTHROTTLE_ENABLED": False,
            "LOG_LEVEL": "WARNING",
            "DRAMASCORE_PROGRESS_INTERVAL": 0,
        }
        run_crawls(demo_sources(site.base_url), overrides=overrides)
        return stored_samples(f"sqlite:///{db}", origin="demo")


def _page_samples(origin: str, base: Path, pages: list[tuple[str, str, str]]) -> list[Sample]:
    from aggregator.extract import extract_file

    out = []
    for spider, url, name in pages:
        path = base / name
        if not path.is_file():
            print(f"  skipped {origin} page {name}: absent", file=sys.stderr)
            continue
        try:
            items = extract_file(spider, url, path, crawled_at=CRAWLED_AT)
        except Exception as exc:  # noqa: BLE001 - one unreadable page must not stop the measurement
            print(f"  skipped {origin} page {name}: {exc!r}", file=sys.stderr)
            continue
        out += [
            Sample(origin, f"{spider}:{name}", i.source_review_id, i.score, i.body, i.language)
            for i in items
            if i.body
        ]
    return out


def fixture_samples() -> list[Sample]:
    return _page_samples("fixture", FIXTURES, FIXTURE_PAGES)


def real_samples() -> list[Sample]:
    if not REALPAGES.is_dir():
        print(f"  skipped real pages: {REALPAGES} is absent", file=sys.stderr)
        return []
    return _page_samples("real", REALPAGES, REAL_PAGES)


def corpus(demo: bool = True, db_url: str | None = None) -> list[Sample]:
    """Every review with a body (scored or not); a body seen twice (a page and its fixture copy) counts once.

    With `db_url`, the reviews stored in that database instead of the demo, fixtures and real pages.
    """
    if db_url:
        samples = stored_samples(db_url)
    else:
        samples = (demo_samples() if demo else []) + fixture_samples() + real_samples()
    seen: set[str] = set()
    out = []
    for s in samples:
        key = " ".join(s.body.split()).lower()
        if key not in seen:
            seen.add(key)
            out.append(s)
    return out


# --- statistics ------------------------------------------------------------------------------------------


def pearson(xs: list[float], ys: list[float]) -> float:
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    return sxy / math.sqrt(sxx * syy) if sxx and syy else float("nan")


def ranks(xs: list[float]) -> list[float]:
    """Ranks from 1, ties sharing their mean rank."""
    order = sorted(range(len(xs)), key=xs.__getitem__)
    out = [0.0] * len(xs)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and xs[order[j + 1]] == xs[order[i]]:
            j += 1
        for k in range(i, j + 1):
            out[order[k]] = (i + j) / 2 + 1
        i = j + 1
    return out


def spearman(xs: list[float], ys: list[float]) -> float:
    return pearson(ranks(xs), ranks(ys))


def mae(pred: list[float], truth: list[float]) -> float:
    return sum(abs(p - t) for p, t in zip(pred, truth, strict=True)) / len(truth)


def fisher_ci(r: float, n: int) -> tuple[float, float]:
    """95% confidence interval of a Pearson r (Fisher z); (nan, nan) when n is too small."""
    if n < 4 or math.isnan(r) or abs(r) >= 1:
        return float("nan"), float("nan")
    z, half = math.atanh(r), 1.96 / math.sqrt(n - 3)
    return math.tanh(z - half), math.tanh(z + half)


def loo_linear_mae(pred: list[float], truth: list[float]) -> float:
    """MAE of truth ~ a + b * pred refitted without each review in turn (clipped to 0-100)."""
    errors = []
    for i in range(len(pred)):
        xs = pred[:i] + pred[i + 1 :]
        ys = truth[:i] + truth[i + 1 :]
        mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
        sxx = sum((x - mx) ** 2 for x in xs)
        b = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sxx if sxx else 0.0
        guess = min(100.0, max(0.0, my + b * (pred[i] - mx)))
        errors.append(abs(guess - truth[i]))
    return sum(errors) / len(errors)


# --- report ----------------------------------------------------------------------------------------------


def measure(samples: list[Sample]) -> tuple[list[tuple[Sample, float]], Counter]:
    """(review, inferred score) pairs, and the reasons of the reviews that got none."""
    scored, skipped = [], Counter()
    for s in samples:
        value, reason = infer_score_with_reason(s.body, language=s.language)
        if value is None:
            skipped[reason] += 1
        else:
            scored.append((s, value))
    return scored, skipped


def summary(pairs: list[tuple[Sample, float]], constant: float | None = None) -> dict[str, float]:
    """Agreement of a set of pairs; the baseline predicts `constant` (default: the pairs' mean explicit score)."""
    truth = [s.score for s, _ in pairs]
    pred = [v for _, v in pairs]
    n = len(pairs)
    if n < 2:
        return {"n": n}
    mean = sum(truth) / n
    base = mae([mean if constant is None else constant] * n, truth)
    err = mae(pred, truth)
    r = pearson(pred, truth)
    return {
        "n": n, "pearson": r, "spearman": spearman(pred, truth), "mae": err, "baseline_mae": base,
        "ratio": err / base if base else float("nan"), "mean_explicit": mean, "mean_inferred": sum(pred) / n,
        "ci": fisher_ci(r, n),
    }  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--no-demo", action="store_true", help="skip the demo crawl (fixtures and real pages only)")
    parser.add_argument("--db", help="measure the reviews stored in this database (SQLAlchemy URL) instead")
    parser.add_argument("--list", action="store_true", help="print every review: explicit vs inferred")
    args = parser.parse_args(argv)

    everything = corpus(demo=not args.no_demo, db_url=args.db)
    samples = [s for s in everything if s.score is not None]
    unscored = [s for s in everything if s.score is None]
    pairs, skipped = measure(samples)
    print(f"method {METHOD}; {len(samples)} reviews with an explicit score and a body")
    by_origin = Counter(s.origin for s in samples)
    print("  by origin: " + ", ".join(f"{k} {v}" for k, v in sorted(by_origin.items())))
    print(f"  inferred for {len(pairs)}; skipped: " + (", ".join(f"{k} {v}" for k, v in sorted(skipped.items())) or "none"))
    covered, missed = measure(unscored)
    print(f"coverage: {len(covered)} of {len(unscored)} reviews without a score got an inferred one; skipped: "
          + (", ".join(f"{k} {v}" for k, v in sorted(missed.items())) or "none"))  # fmt: skip
    if args.list:
        for s, v in sorted(pairs, key=lambda p: p[0].score):
            print(f"  {s.origin:7} {s.source[:28]:28} {s.ref[-24:]:24} explicit {s.score:5.1f}  inferred {v:5.1f}")
    rows = [("all", summary(pairs))]
    # Subsets are judged against the same constant as the whole (the overall mean explicit score).
    overall = rows[0][1].get("mean_explicit")
    rows += [(o, summary([p for p in pairs if p[0].origin == o], overall)) for o in sorted(by_origin)]
    print()
    print(f"{'subset':8} {'n':>4} {'pearson':>8} {'95% CI':>15} {'spearman':>9} {'MAE':>6} {'baseline':>9} {'ratio':>6}")
    for name, m in rows:
        if m["n"] < 2:
            print(f"{name:8} {m['n']:>4}  (too few to measure)")
            continue
        lo, hi = m["ci"]
        print(
            f"{name:8} {m['n']:>4} {m['pearson']:>8.3f} {f'[{lo:.2f}, {hi:.2f}]':>15} {m['spearman']:>9.3f}"
            f" {m['mae']:>6.1f} {m['baseline_mae']:>9.1f} {m['ratio']:>6.2f}"
        )
    total = rows[0][1]
    if total["n"] >= 3:
        pred = [v for _, v in pairs]
        truth = [s.score for s, _ in pairs]
        print()
        print(f"mean explicit {total['mean_explicit']:.1f}, mean inferred {total['mean_inferred']:.1f}")
        print(f"linear recalibration, leave-one-out MAE: {loo_linear_mae(pred, truth):.1f}"
              f" (baseline {total['baseline_mae']:.1f})")  # fmt: skip
    print("ratio = MAE / baseline MAE (the baseline predicts the overall mean explicit score); below 1 beats it")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
