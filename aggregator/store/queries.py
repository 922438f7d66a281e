"""Read-side queries for the CLI and (later) the API: per-drama summary, counts, recent crawl runs, and the
dramas flagged for review."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from aggregator.store.models import CrawlRun, Drama, DramaAlias, Review, Source, title_key
from aggregator.store.reviews import CHUNK


@dataclass
class DramaRow:
    """One line of the drama table; `mean_score` is the plain mean of the scored reviews (0-100)."""

    drama_id: int
    title: str
    native_title: str | None
    year: int | None
    reviews: int
    scored: int
    mean_score: float | None
    sources: list[str] = field(default_factory=list)


def drama_table(session: Session, *, search: str | None = None) -> list[DramaRow]:
    """Every drama with its review count, scored count, mean score and sources; most reviewed first.

    `search` keeps dramas whose title or any alias contains it, ignoring case.
    """
    query = (
        select(
            Drama.id,
            Drama.title,
            Drama.native_title,
            Drama.year,
            func.count(Review.id),
            func.count(Review.score),
            func.avg(Review.score),
        )
        .outerjoin(Review, Review.drama_id == Drama.id)
        .group_by(Drama.id, Drama.title, Drama.native_title, Drama.year)
        .order_by(func.count(Review.id).desc(), Drama.title, Drama.id)
    )
    if search and search.strip():
        key = title_key(search)
        aliases = select(DramaAlias.drama_id).where(DramaAlias.alias_key.contains(key, autoescape=True))
        query = query.where(or_(Drama.id.in_(aliases), Drama.title.icontains(search.strip(), autoescape=True)))
    rows = session.execute(query).all()

    # Source names per drama in a second query: a distinct string aggregate is not portable.
    names: dict[int, set[str]] = {}
    ids = [row[0] for row in rows]
    for start in range(0, len(ids), CHUNK):
        pairs = (
            select(Review.drama_id, Source.name)
            .join(Source, Source.id == Review.source_id)
            .where(Review.drama_id.in_(ids[start : start + CHUNK]))
            .distinct()
        )
        for drama_id, name in session.execute(pairs):
            names.setdefault(drama_id, set()).add(name)
    return [
        DramaRow(
            drama_id=drama_id,
            title=title,
            native_title=native,
            year=year,
            reviews=reviews,
            scored=scored,
            mean_score=float(mean) if mean is not None else None,
            sources=sorted(names.get(drama_id, ())),
        )
        for drama_id, title, native, year, reviews, scored, mean in rows
    ]


def review_count(session: Session) -> int:
    """Number of stored reviews."""
    return session.scalar(select(func.count()).select_from(Review)) or 0


def crawl_runs(session: Session, limit: int = 20) -> list[CrawlRun]:
    """The latest crawl runs, newest first."""
    query = select(CrawlRun).order_by(CrawlRun.started_at.desc(), CrawlRun.id.desc()).limit(limit)
    return list(session.scalars(query))


def dramas_needing_review(session: Session) -> list[Drama]:
    """Dramas created although they looked like an existing one (``match_note`` says which), oldest first."""
    query = select(Drama).where(Drama.needs_review.is_(True)).order_by(Drama.created_at, Drama.id)
    return list(session.scalars(query))


def source_of(run: CrawlRun) -> str:
    """The configured source a run crawled (kept in its stats by pipelines/store.py), else its spider."""
    return (run.stats or {}).get("dramascore/source") or run.spider


def failures_of(run: CrawlRun) -> list[str]:
    """Why a run failed: its monitors' failures, else the spider's close reason."""
    stats = run.stats or {}
    failures = [str(f) for f in stats.get("dramascore/monitor/failures") or []]
    reason = stats.get("finish_reason")
    if run.status == "failed" and reason and reason != "finished" and not failures:
        failures.append(f"spider closed: {reason}")
    return failures
