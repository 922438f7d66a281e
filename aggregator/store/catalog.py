"""The drama catalogue as readers see it: dramas with their consensus, searched, filtered, sorted and paged.

One query serves the JSON API (``/api/dramas``) and the editors' table, so both list the same rows in the same
order. Dramas merged into another (an active ``merge_dramas`` correction) are left out: their reviews count
under the drama they were merged into.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.orm import Session

from aggregator.store.models import Consensus, Correction, Drama, DramaAlias, Review, title_key

# Sort keys readers may ask for; a leading "-" means descending (``-score``: best first).
SORTS = ("score", "reviews", "spread", "recent", "title", "year")
MAX_LIMIT = 200


@dataclass(frozen=True)
class DramaSummary:
    """One drama's line in the catalogue; consensus fields are None until it has been scored."""

    drama_id: int
    title: str
    native_title: str | None
    year: int | None
    country: str | None
    episodes: int | None
    needs_review: bool
    score: float | None
    ci_low: float | None
    ci_high: float | None
    stdev: float | None
    n_reviews: int
    n_scored: int
    n_inferred: int
    band: str | None
    tbd: bool
    agreement: str | None
    last_review_at: datetime | None


@dataclass(frozen=True)
class Query:
    """What a reader asked for; `validate` turns bad values into a ValueError naming the parameter."""

    q: str | None = None
    country: str | None = None
    year: int | None = None
    min_reviews: int = 0
    band: str | None = None
    tbd: bool | None = None
    sort: str = "-score"
    offset: int = 0
    limit: int = 50

    def validate(self) -> Query:
        if self.sort.lstrip("-") not in SORTS:
            raise ValueError(f"sort must be one of {', '.join(SORTS)} (prefix '-' for descending), got {self.sort!r}")
        if not 1 <= self.limit <= MAX_LIMIT:
            raise ValueError(f"limit must be between 1 and {MAX_LIMIT}, got {self.limit}")
        if self.offset < 0:
            raise ValueError(f"offset must be >= 0, got {self.offset}")
        if self.min_reviews < 0:
            raise ValueError(f"min_reviews must be >= 0, got {self.min_reviews}")
        return self


def _merged_away() -> Select:
    return select(Correction.drama_id).where(Correction.kind == "merge_dramas", Correction.revoked_at.is_(None))


def _base(query: Query) -> tuple[Select, dict[str, ColumnElement]]:
    stats = (
        select(
            Review.drama_id.label("drama_id"),
            func.count(Review.id).label("stored"),
            func.max(func.coalesce(Review.published_at, Review.first_seen_at)).label("last_review_at"),
        )
        .group_by(Review.drama_id)
        .subquery()
    )
    n_reviews = func.coalesce(Consensus.n_reviews, stats.c.stored, 0)
    columns = {
        "score": Consensus.score,
        "reviews": n_reviews,
        "spread": Consensus.stdev,
        "recent": stats.c.last_review_at,
        "title": Drama.title,
        "year": Drama.year,
    }
    stmt = (
        select(Drama, Consensus, n_reviews.label("n_reviews"), stats.c.last_review_at)
        .outerjoin(Consensus, Consensus.drama_id == Drama.id)
        .outerjoin(stats, stats.c.drama_id == Drama.id)
        .where(Drama.id.not_in(_merged_away().where(Correction.drama_id.is_not(None))))
    )
    if query.q and query.q.strip():
        key = title_key(query.q)
        aliases = select(DramaAlias.drama_id).where(DramaAlias.alias_key.contains(key, autoescape=True))
        stmt = stmt.where(or_(Drama.id.in_(aliases), Drama.title.icontains(query.q.strip(), autoescape=True)))
    if query.country:
        stmt = stmt.where(func.lower(Drama.country) == query.country.strip().lower())
    if query.year is not None:
        stmt = stmt.where(Drama.year == query.year)
    if query.min_reviews:
        stmt = stmt.where(n_reviews >= query.min_reviews)
    if query.band:
        stmt = stmt.where(Consensus.band == query.band)
    if query.tbd is not None:
        # A drama never scored counts as tbd: it has no score yet.
        stmt = stmt.where(func.coalesce(Consensus.tbd, True).is_(query.tbd))
    return stmt, columns


def list_dramas(session: Session, query: Query) -> tuple[list[DramaSummary], int]:
    """The page of dramas `query` asks for, and how many match in all. Missing values sort last either way.

    >>> list_dramas(session, Query(q="soundtrack", sort="-reviews"))
    ([DramaSummary(drama_id=1, title='Soundtrack #1', score=78.4, n_reviews=9, ...)], 2)
    """
    query = query.validate()
    stmt, columns = _base(query)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    column = columns[query.sort.lstrip("-")]
    order = column.desc() if query.sort.startswith("-") else column.asc()
    stmt = stmt.order_by(order.nulls_last(), Drama.title, Drama.id).offset(query.offset).limit(query.limit)
    rows = []
    for drama, consensus, n_reviews, last in session.execute(stmt):
        c = consensus
        rows.append(
            DramaSummary(
                drama_id=drama.id, title=drama.title, native_title=drama.native_title, year=drama.year,
                country=drama.country, episodes=drama.episodes, needs_review=bool(drama.needs_review),
                score=c.score if c else None, ci_low=c.ci_low if c else None, ci_high=c.ci_high if c else None,
                stdev=c.stdev if c else None, n_reviews=int(n_reviews or 0), n_scored=c.n_scored if c else 0,
                n_inferred=c.n_inferred if c else 0, band=c.band if c else None, tbd=c.tbd if c else True,
                agreement=c.agreement if c else None, last_review_at=last,
            )
        )  # fmt: skip
    return rows, total
