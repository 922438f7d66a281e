"""Latency of ``GET /api/dramas/{id}`` (one drama and its stored consensus) with 1M reviews stored.

Run: ``python bench/api.py [--reviews 1000000] [--clients 50] [--seconds 20] [--db sqlite|postgresql|both]
[--workers 1] [--rates 50,200,500] [--no-proposed]``. A store of ``--reviews`` reviews over ``reviews / 100``
dramas (reviews per drama lognormal, sigma 1: a few popular dramas have ~20x the median) is written with bulk
INSERTs (SQLAlchemy Core executemany, 20,000 rows a transaction), then every drama's consensus row by
``rescore_all``. The SQLite file is kept under ``.dramascore/bench/`` (keyed by size)
for the next run; PostgreSQL gets a fresh schema, dropped at the end. The app runs under uvicorn in one
process and the load (bench/api_load.py: ``--clients`` keep-alive connections, random drama ids) in another.

Per database, side by side in one run: a static file (the floor of uvicorn + the load generator on these
cores), the drama endpoint closed loop (each client sends again as soon as it is answered) on the big store
and on a 10k-review store of the same shape, and open loop at ``--rates`` req/s in total; then the same on the
big store with the drama answer as it is (`consensus.drama_consensus`: the stored consensus row, no review
read); "current" runs build it the old way (the whole `drama_report`) for comparison. The last lines are the
ratios p99 big / 10k store, p99 old / stored-row answer ("current" / "proposed"), and p99 / the 20 ms target.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, asynccontextmanager, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from aggregator.scoring import Params
from aggregator.store import models
from aggregator.store.consensus import drama_report, rescore_all
from aggregator.store.engine import make_engine, migrate, session_factory

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
if str(BENCH) not in sys.path:  # imported by a test rather than run as a script
    sys.path.insert(0, str(BENCH))
from api_load import Summary

PG_URL = "postgresql://postgres@127.0.0.1:5432/test"
CACHE = ROOT / ".dramascore" / "bench"
TARGET_MS = 20.0
GEN_VERSION = 1  # bump when the generated data changes, so cached stores are rebuilt
SEEN_AT = datetime(2025, 6, 15, 12, 0, tzinfo=UTC)
SOURCES = (("mydramalist", 1.0), ("kdramadiary", 1.0), ("seoulscreen", 1.2), ("reddit_demo", 0.5), ("critics", 1.5))
WORDS = (
    "the drama lead actor actress story ending chemistry soundtrack episode slow rushed lovely warm cold "
    "brilliant boring twist romance family revenge office palace rain kiss finale tears laugh"
).split()
BATCH = 20_000


# --- the generated store ---------------------------------------------------------------------------------


def drama_weights(dramas: int, seed: int) -> list[float]:
    """Cumulative weights of the dramas: lognormal (sigma 1), so review counts vary like real popularity."""
    rng = random.Random(seed)
    total, cum = 0.0, []
    for _ in range(dramas):
        total += rng.lognormvariate(0.0, 1.0)
        cum.append(total)
    return cum


def _static_rows(reviews: int, dramas: int) -> dict:
    """Sources, dramas, aliases and authors (reviews // 5 of them, one block per source)."""
    per_source = max(1, reviews // 25)
    titles = {d: f"Bench Drama {d}" for d in range(1, dramas + 1)}
    return {
        models.Source: [{"id": i + 1, "name": n, "kind": "site", "base_url": f"https://{n}.test", "weight": w}
                        for i, (n, w) in enumerate(SOURCES)],
        models.Drama: [{"id": d, "title": t, "native_title": None, "year": 2010 + d % 15, "episodes": 16,
                        "country": "South Korea", "created_at": SEEN_AT, "needs_review": False, "match_note": None}
                       for d, t in titles.items()],
        models.DramaAlias: [{"id": d, "drama_id": d, "alias": t, "alias_key": models.title_key(t),
                             "compact_key": models.compact_title_key(t), "source_id": 1, "site_id": str(700_000 + d)}
                            for d, t in titles.items()],
        models.Author: [{"id": s * per_source + a + 1, "source_id": s + 1, "handle": f"user{a}",
                         "display_name": f"User {a}", "profile_url": None}
                        for s in range(len(SOURCES)) for a in range(per_source)],
    }  # fmt: skip


def review_batches(reviews: int, dramas: int, seed: int = 7) -> Iterator[dict]:
    """The reviews in batches of `BATCH`, with their ratings (aspects; episodes for 5%) and duplicate links (1%).

    Deterministic for a seed, so SQLite and PostgreSQL get the same rows.
    """
    rng = random.Random(seed)
    cum = drama_weights(dramas, seed)
    bodies = [" ".join(rng.choice(WORDS) for _ in range(rng.randint(40, 120))) for _ in range(1000)]
    per_source = max(1, reviews // 25)
    last_of: dict[int, int] = {}
    rating_id = 0
    for start in range(0, reviews, BATCH):
        ids = range(start + 1, min(reviews, start + BATCH) + 1)
        drama_of = rng.choices(range(1, dramas + 1), cum_weights=cum, k=len(ids))
        rows, ratings, links = [], [], []
        for rid, drama in zip(ids, drama_of, strict=True):
            s = rid % len(SOURCES)
            name = SOURCES[s][0]
            comment = name == "reddit_demo"
            score = rng.randint(2, 20) * 5.0
            body = bodies[rid % len(bodies)]
            rows.append({
                "id": rid, "source_id": s + 1, "source_review_id": str(rid), "url": f"https://{name}.test/r/{rid}",
                "kind": "comment" if comment else "review", "drama_id": drama,
                "author_id": s * per_source + rng.randrange(per_source) + 1, "author_raw": None,
                "title": f"Review {rid}", "body": body, "body_raw": body, "published_raw": None,
                "published_at": SEEN_AT - timedelta(minutes=rng.randrange(5 * 365 * 24 * 60)),
                "score_raw": None if comment else str(score / 10), "score": None if comment else score,
                "score_scale": None if comment else "10", "spoiler": rng.random() < 0.3, "spoiler_reason": None,
                "spoiler_flag_raw": None, "spoiler_marker_raw": None, "helpful_votes": rng.randrange(200),
                "episodes_seen": 16, "episodes_total": 16, "watch_status_raw": None, "watch_status": "completed",
                "language": "en", "null_reasons": {}, "content_hash": f"{rid:032x}", "first_seen_at": SEEN_AT,
                "last_seen_at": SEEN_AT, "crawled_at": SEEN_AT, "crawl_run_id": None,
                "inferred_score": float(rng.randint(20, 95)) if comment else None,
                "inferred_method": "vader-v1" if comment else None,
            })  # fmt: skip
            kinds = [("aspect", a, None) for a in ("story", "acting")] if name == "mydramalist" else []
            if rng.random() < 0.05:
                kinds.append(("episode", None, rng.randint(1, 16)))
            for kind, aspect, episode in kinds:
                rating_id += 1
                ratings.append({"id": rating_id, "review_id": rid, "kind": kind, "aspect_raw": aspect, "aspect": aspect,
                                "episode": episode, "score_raw": "8", "score": 80.0, "scale": "10"})  # fmt: skip
            if drama in last_of and rng.random() < 0.01:
                links.append({"review_id": rid, "canonical_id": last_of[drama], "rule": "near_text",
                              "similarity": 0.9, "created_at": SEEN_AT})  # fmt: skip
            last_of[drama] = rid
        yield {models.Review: rows, models.Rating: ratings, models.DuplicateLink: links}


def corrections(reviews: int, seed: int = 7) -> list[dict]:
    """A few active editors' decisions (every request loads them): 20 excluded reviews and one source weight."""
    rng = random.Random(seed + 1)
    base = {"review_id": None, "other_review_id": None, "drama_id": None, "other_drama_id": None,
            "source_id": None, "value": None, "payload": {}, "editor": "bench", "reason": "bench",
            "created_at": SEEN_AT, "revoked_at": None, "revoked_by": None}  # fmt: skip
    rows = [{**base, "id": i + 1, "kind": "exclude_review", "review_id": rng.randint(1, reviews)} for i in range(20)]
    return rows + [{**base, "id": 21, "kind": "source_weight", "source_id": 4, "value": 0.4}]


def fill(engine: sa.Engine, reviews: int, dramas: int) -> dict[str, float]:
    """Write the generated store into a migrated, empty database; seconds for the rows and for the consensus."""
    started = time.perf_counter()
    with engine.begin() as conn:
        for model, rows in _static_rows(reviews, dramas).items():
            conn.execute(sa.insert(model.__table__), rows)
    for batch in review_batches(reviews, dramas):
        with engine.begin() as conn:
            for model, rows in batch.items():
                if rows:
                    conn.execute(sa.insert(model.__table__), rows)
    with engine.begin() as conn:
        conn.execute(sa.insert(models.Correction.__table__), corrections(reviews))
        if conn.dialect.name == "postgresql":  # explicit ids: move the sequences past them
            for table in ("sources", "dramas", "drama_aliases", "authors", "reviews", "ratings", "corrections"):
                conn.execute(sa.text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                     f"(SELECT max(id) FROM {table}))"))  # fmt: skip
            conn.execute(sa.text("ANALYZE"))
    rows_s = time.perf_counter() - started
    started = time.perf_counter()
    with session_factory(engine)() as session:
        written = rescore_all(session, Params())
        session.commit()
    if written != dramas:
        raise AssertionError(f"rescore_all wrote {written} consensus rows for {dramas} dramas")
    return {"rows_s": rows_s, "consensus_s": time.perf_counter() - started}


def sqlite_store(reviews: int, dramas: int, cache: Path = CACHE) -> tuple[str, dict[str, float] | None]:
    """The cached SQLite store of this size (built first if missing); timings when it was built now."""
    path = cache / f"api-{reviews}r-{dramas}d-v{GEN_VERSION}.db"
    if path.exists():
        return f"sqlite:///{path}", None
    cache.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(f".{os.getpid()}.tmp")
    engine = make_engine(f"sqlite:///{partial}")
    try:
        migrate(engine)
        timings = fill(engine, reviews, dramas)
        with engine.connect() as conn:  # fold the WAL in, so the renamed file is the whole store
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        engine.dispose()
    os.replace(partial, path)
    return f"sqlite:///{path}", timings


@contextmanager
def pg_store(reviews: int, dramas: int, admin_url: str = PG_URL) -> Iterator[tuple[str, dict[str, float]]]:
    """A fresh PostgreSQL schema holding the generated store; dropped afterwards."""
    schema = f"bench_api_{uuid.uuid4().hex[:12]}"
    admin = make_engine(admin_url)
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        conn.commit()
    url = f"{admin_url}{'&' if '?' in admin_url else '?'}options=-csearch_path%3D{schema}"
    engine = make_engine(url)
    try:
        migrate(engine)
        timings = fill(engine, reviews, dramas)
        engine.dispose()
        yield url, timings
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
            conn.commit()
        admin.dispose()


# --- the server and the load processes -------------------------------------------------------------------


def app_from_env():
    """The app on $DRAMASCORE_BENCH_DB: uvicorn's ``--factory`` target in the server process.

    With $DRAMASCORE_BENCH_PROPOSED=0 the drama answer is built the way it was before (the whole
    `drama_report`, every review loaded and assessed), to measure what reading the stored row saved.
    """
    from aggregator.web import api
    from aggregator.web.app import WebConfig, create_app

    if os.environ.get("DRAMASCORE_BENCH_PROPOSED") == "0":
        api.drama_consensus = drama_report
    app = create_app(WebConfig(db_url=os.environ["DRAMASCORE_BENCH_DB"]))
    if threads := int(os.environ.get("DRAMASCORE_BENCH_THREADS") or 0):
        inner = app.router.lifespan_context

        @asynccontextmanager
        async def lifespan(a):
            # Sync endpoints run on anyio's thread pool (40 threads by default); the limit needs the loop.
            import anyio.to_thread

            anyio.to_thread.current_default_thread_limiter().total_tokens = threads
            async with inner(a) as state:
                yield state

        app.router.lifespan_context = lifespan
    return app


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its children (uvicorn's workers), from /proc."""
    total = 0.0
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        total = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                total += sum(_cpu_seconds(int(child)) for child in f.read().split())
    except (FileNotFoundError, ProcessLookupError):
        pass
    return total


@contextmanager
def server(
    db_url: str,
    workers: int = 1,
    proposed: bool = False,
    uvicorn_args: str = "",
    threads: int = 0,
    timeout: float = 120.0,
) -> Iterator[tuple[str, int]]:
    """uvicorn serving `app_from_env` on `db_url` in a child process; yields its base URL and pid."""
    port = _free_port()
    command = [sys.executable, "-m", "uvicorn", "api:app_from_env", "--factory", "--app-dir", str(BENCH),
               "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers), "--log-level", "warning",
               "--no-access-log", *uvicorn_args.split()]  # fmt: skip
    env = {
        **os.environ,
        "DRAMASCORE_BENCH_DB": db_url,
        "DRAMASCORE_BENCH_PROPOSED": "1" if proposed else "0",
        "DRAMASCORE_BENCH_THREADS": str(threads),
        "PYTHONPATH": os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]),
    }
    proc = subprocess.Popen(command, env=env, cwd=ROOT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(f"{url}/static/editor.js", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the server on {db_url} did not start (exit {proc.poll()})")
            time.sleep(0.2)
        yield url, proc.pid
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def load(
    url: str,
    path: str,
    ids: int,
    clients: int,
    seconds: float,
    warmup: float = 2.0,
    rate: float = 0.0,
    server_pid: int | None = None,
) -> tuple[Summary, float]:
    """One run of bench/api_load.py in its own process; its summary and the server's CPU seconds meanwhile (per
    answered request in `line`)."""
    command = [sys.executable, str(BENCH / "api_load.py"), "--url", url, "--path", path, "--ids", str(ids),
               "--clients", str(clients), "--seconds", str(seconds), "--warmup", str(warmup),
               "--rate", str(rate)]  # fmt: skip
    cpu0 = _cpu_seconds(server_pid) if server_pid else 0.0
    done = subprocess.run(command, capture_output=True, text=True, timeout=warmup + seconds + 120, check=True)
    cpu = _cpu_seconds(server_pid) - cpu0 if server_pid else math.nan
    fields = json.loads(done.stdout.strip().splitlines()[-1])
    return Summary(**fields), cpu


def line(label: str, s: Summary, server_cpu: float = math.nan) -> str:
    """One printed measurement: percentiles, throughput, and CPU per request of both processes."""
    bad = s.requests - s.ok
    per_req = 1000 * server_cpu / s.answered if s.answered else math.nan
    return (f"{label:<44} p50 {s.p50:7.1f}  p90 {s.p90:7.1f}  p99 {s.p99:7.1f}  max {s.max:7.1f} ms | "
            f"{s.throughput:6.0f} req/s, {s.requests:,} requests" + (f" ({bad} not 200, {s.errors} errors)"
            if bad or s.errors else "") + (f", backlog {s.backlog}" if s.backlog else "")
            + f" | CPU/request: server {per_req:.2f} ms, load {s.client_cpu_us / 1000:.2f} ms")  # fmt: skip


def measure(db: str, big_url: str, small_url: str, big_dramas: int, small_dramas: int, args) -> dict[str, Summary]:
    """The runs of one database by name ("current", "current open 200", "small", ...), printed as they finish."""
    drama, big = "/api/dramas/{id}", f"{args.reviews:,} reviews"
    opens = [(f"open {r:g}", f"drama, open loop {r:g} req/s", drama, big_dramas, r) for r in args.rates]
    plan = [  # per server (store, proposed answer?): its runs (name, label, path, ids, open-loop rate)
        ((big_url, False), [("static", "static file", "/static/editor.js", 1, 0.0),
                            ("current", f"drama, {big}", drama, big_dramas, 0.0)] + opens),
        ((small_url, False), [("small", f"drama, {args.small:,} reviews", drama, small_dramas, 0.0)]),
        ((big_url, True), [("proposed", f"drama, {big}", drama, big_dramas, 0.0)] + opens),
    ]  # fmt: skip
    out = {}
    for (store, proposed), runs in plan if args.proposed else plan[:2]:
        with server(store, args.workers, proposed, args.uvicorn, args.threads) as (url, pid):
            for name, label, path, ids, rate in runs:
                name = f"proposed {name}" if proposed and name != "proposed" else name
                name = "current " + name if name.startswith("open") else name
                seconds = args.seconds / 2 if name == "static" else args.seconds
                out[name], cpu = load(url, path, ids, args.clients, seconds, rate=rate, server_pid=pid)
                print(line(f"{db} {'proposed ' if proposed else ''}{label}", out[name], cpu), flush=True)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reviews", type=int, default=1_000_000, help="reviews in the big store (default 1M)")
    parser.add_argument("--small", type=int, default=10_000, help="reviews in the small store (default 10k)")
    parser.add_argument("--per-drama", type=int, default=100, help="mean reviews per drama (default 100)")
    parser.add_argument("--clients", type=int, default=50, help="concurrent connections (default 50)")
    parser.add_argument("--seconds", type=float, default=20.0, help="counted seconds per run (default 20)")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes (default 1)")
    parser.add_argument("--rates", default="50,200,500", help="open-loop totals in req/s, comma-separated ('' none)")
    parser.add_argument("--threads", type=int, default=0, help="anyio worker threads per process (0: its 40)")
    parser.add_argument("--uvicorn", default="", help="more uvicorn options, e.g. '--http httptools'")
    parser.add_argument(
        "--no-proposed",
        dest="proposed",
        action="store_false",
        help="skip the runs of the proposed drama answer (stored consensus only)",
    )
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--pg", default=PG_URL, help=f"PostgreSQL admin URL (default {PG_URL})")
    args = parser.parse_args(argv)
    # A plain kill still drops the PostgreSQL schemas and stops the server (the `finally` blocks run).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    args.rates = [float(r) for r in args.rates.split(",") if r.strip()]
    big_d, small_d = max(1, args.reviews // args.per_drama), max(1, args.small // args.per_drama)
    print(f"store: {args.reviews:,} reviews over {big_d:,} dramas (and {args.small:,} over {small_d:,}); "
          f"{args.clients} clients, {args.seconds:g} s per run, {args.workers} uvicorn worker(s), "
          f"{os.cpu_count()} CPUs", flush=True)  # fmt: skip
    results: dict[str, dict[str, Summary]] = {}
    for db in ("sqlite", "postgresql") if args.db == "both" else (args.db,):
        with ExitStack() as stack:
            if db == "sqlite":
                stores = [sqlite_store(args.reviews, big_d), sqlite_store(args.small, small_d)]
            else:
                stores = [
                    stack.enter_context(pg_store(n, d, args.pg))
                    for n, d in ((args.reviews, big_d), (args.small, small_d))
                ]
            for size, (_, t) in zip((args.reviews, args.small), stores, strict=True):
                print(f"{db} store of {size:,} reviews: " + (
                    f"rows {t['rows_s']:.1f} s ({size / t['rows_s']:,.0f} reviews/s), consensus by rescore_all "
                    f"{t['consensus_s']:.1f} s" if t else "cached"), flush=True)  # fmt: skip
            results[db] = measure(db, stores[0][0], stores[1][0], big_d, small_d, args)
    print("ratio p99 big / small store (closed loop): " + ", ".join(
        f"{db} {r['current'].p99 / r['small'].p99:.2f} ({r['current'].p99:.1f} / {r['small'].p99:.1f} ms)"
        for db, r in results.items()))  # fmt: skip
    if args.proposed:
        print("ratio p99 current / proposed drama answer (closed loop): " + ", ".join(
            f"{db} {r['current'].p99 / r['proposed'].p99:.1f}x" for db, r in results.items()))  # fmt: skip
    parts = [
        f"{db} {name}{' req/s' if 'open' in name else ''} {s.p99 / TARGET_MS:.2f}"
        for db, r in results.items()
        for name, s in r.items()
        if name not in ("static", "small")
    ]
    print(
        f"ratio p99 / {TARGET_MS:g} ms target ({args.clients} clients, {args.reviews:,} reviews; <= 1 meets it): "
        + ", ".join(parts)
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
