"""Helpers for the editors' page tests: a private copy of the demo store with hostile reviews added, served
by a real uvicorn server, and a headless Debian Chromium driven by Playwright."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import make_url

from aggregator.items import ReviewItem
from aggregator.scoring import Params
from aggregator.store.consensus import rescore_all
from aggregator.store.engine import make_engine, migrate, session_factory, write_with_retry
from aggregator.store.reviews import upsert_reviews
from aggregator.web.app import RunningServer, WebConfig, create_app

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    # Without these Chromium keeps dialling Google's hosts, which this machine's closed network refuses.
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
TOKEN = "editor-token-for-tests"
SCRIPT_AUTHOR = "<script>window.__xss_author = 1</script>"
IMG_BODY = '<img src=x onerror="window.__xss_img = 1"> I loved it <b>bold?</b>'
SCRIPT_TITLE = "</h3><script>window.__xss_title = 1</script>"
HOSTILE_SOURCE = "hostile_test"


def hostile_items(drama_title: str = "Soundtrack #1", year: int = 2022) -> list[ReviewItem]:
    """Two reviews whose author, title and body are XSS payloads, about an existing demo drama."""
    now = datetime(2026, 1, 2, tzinfo=UTC)
    common = dict(
        source=HOSTILE_SOURCE, drama_title=drama_title, drama_year=year, published_at=now, published_raw="2026-01-02",
        crawled_at=now,
    )  # fmt: skip
    return [
        ReviewItem(
            source_review_id="xss-1", url="https://example.invalid/xss-1", author_raw=SCRIPT_AUTHOR,
            author_handle=SCRIPT_AUTHOR, title=SCRIPT_TITLE, body=IMG_BODY, body_raw=IMG_BODY, score_raw="7/10",
            score=70.0, score_scale="10", **common,
        ),
        ReviewItem(
            source_review_id="xss-2", url="javascript:alert(1)", author_raw='<img src=x onerror="window.__xss_img2=1">',
            author_handle="img-author", body="<script>window.__xss_body = 1</script> plain words after",
            score_raw="9/10", score=90.0, score_scale="10", spoiler=True, spoiler_reason="flagged", **common,
        ),
    ]  # fmt: skip


def private_store(demo_url: str, tmp_path: Path) -> str:
    """A copy of the demo SQLite store (so tests may write) with the hostile reviews added and re-scored."""
    source = Path(make_url(demo_url).database)
    target = tmp_path / "editor.db"
    shutil.copyfile(source, target)
    url = f"sqlite:///{target}"
    engine = make_engine(url)
    migrate(engine)
    factory = session_factory(engine)
    seen = datetime.now(UTC)
    write_with_retry(factory, lambda s: upsert_reviews(s, hostile_items(), seen_at=seen))
    write_with_retry(factory, lambda s: rescore_all(s, Params()))
    engine.dispose()
    return url


def serve_store(url: str, token: str | None = TOKEN) -> RunningServer:
    return RunningServer(create_app(WebConfig(db_url=url, editor_token=token))).start()
