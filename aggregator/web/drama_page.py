"""What the editors' drama page shows, built from `drama_report`: review rows with their text and flags,
outliers, the per-source table and the two charts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import Session

from aggregator.scoring import Params
from aggregator.store.consensus import Report, ReviewLine, drama_report
from aggregator.store.models import Drama, Review, Source
from aggregator.web.charts import histogram_svg, series_svg

# A review this far from the consensus (in points, or two spreads when the spread is wider) is marked.
OUTLIER_POINTS = 25.0


def is_outlier(value: float | None, score: float | None, stdev: float | None) -> bool:
    """True when a review's value sits far from the consensus.

    >>> is_outlier(20.0, 80.0, 8.0), is_outlier(70.0, 80.0, 8.0)
    (True, False)
    """
    if value is None or score is None:
        return False
    return abs(value - score) > max(OUTLIER_POINTS, 2 * (stdev or 0.0))


@dataclass(frozen=True)
class ReviewRow:
    """One review on the page: the report's line plus its title, text and raw date."""

    line: ReviewLine
    title: str | None
    body: str | None
    published_raw: str | None
    score_scale: str | None
    spoiler_reason: str | None
    outlier: bool


@dataclass(frozen=True)
class SourceRow:
    source_id: int | None
    name: str
    n: int
    mean: float
    weight: float


@dataclass(frozen=True)
class DramaPage:
    report: Report
    reviews: list[ReviewRow]
    sources: list[SourceRow]
    histogram: Markup
    episodes: Markup
    episode_points: list[tuple[int, float, int]]  # episode, mean, n
    updated_at: datetime | None


def drama_page(session: Session, drama_id: int, params: Params) -> DramaPage:
    """The page's content for one drama; LookupError when there is no such drama."""
    if session.get(Drama, drama_id) is None:  # drama_report would also try the id as a title
        raise LookupError(f"no drama with id {drama_id}")
    report = drama_report(session, drama_id, params)
    result = report.result
    ids = [line.review_id for line in report.reviews]
    details: dict[int, Review] = {}
    for start in range(0, len(ids), 500):
        details.update({r.id: r for r in session.scalars(select(Review).where(Review.id.in_(ids[start : start + 500])))})
    score = result.score if result else None
    stdev = result.stdev if result else None
    rows = []
    for line in report.reviews:
        r = details[line.review_id]
        counted = line.status in ("counted", "zero_weight") and line.duplicate_of is None
        rows.append(ReviewRow(
            line=line, title=r.title, body=r.body, published_raw=r.published_raw, score_scale=r.score_scale,
            spoiler_reason=r.spoiler_reason, outlier=counted and is_outlier(line.value, score, stdev),
        ))  # fmt: skip
    names = {s.name: s.id for s in session.scalars(select(Source))}
    sources = [
        SourceRow(names.get(name), name, int(s["n"]), float(s["mean"]), float(s["weight"]))
        for name, s in sorted((result.per_source if result else {}).items())
    ]
    values = [row.line.value for row in rows if row.line.value is not None and row.line.status == "counted"]
    points = [(int(ep), float(s["mean"]), int(s["n"])) for ep, s in sorted((result.per_episode if result else {}).items())]
    return DramaPage(
        report=report,
        reviews=rows,
        sources=sources,
        histogram=histogram_svg(values, title=f"Scores of the {len(values)} counted review(s)"),
        episodes=series_svg([(ep, mean) for ep, mean, _ in points]),
        episode_points=points,
        updated_at=report.computed_at,
    )
