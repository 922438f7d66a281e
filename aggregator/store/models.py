"""SQLAlchemy 2.0 models of the review store. The schema itself changes only through Alembic migrations.

Strings have no length limit: PostgreSQL would reject an over-long raw value and fail a whole batch.

Every ``DateTime`` column is a :class:`UTCDateTime`: values are written as UTC and always read back as
timezone-aware UTC, on SQLite (which keeps no zone) as well as on PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    DateTime,
    Dialect,
    Double,
    ForeignKey,
    MetaData,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from aggregator import matching

# Named constraints let Alembic's SQLite batch mode (which rebuilds tables) find and alter them later.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


def title_key(title: str) -> str:
    """The form drama aliases are matched on (``DramaAlias.alias_key``): `aggregator.matching.title_key`.

    A title with nothing left to match on ("!!!") keeps its case-folded, whitespace-collapsed self, so every
    alias has a key.
    """
    return matching.title_key(title) or " ".join(title.split()).casefold()


def compact_title_key(title: str) -> str:
    """``DramaAlias.compact_key``: `title_key` without spaces or hyphens ("Do Bong Soon" = "Dobongsoon")."""
    return matching.compact_key(title) or "".join(title_key(title).split())


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware datetime stored as UTC; naive input is taken to be UTC already."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        value = value.astimezone(UTC)
        # SQLite's DATETIME text has no zone: drop it so every stored value is the same UTC format.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base; `float` maps to Double so scores are 8-byte floats on both databases."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON, float: Double}


class Source(Base):
    """A review site or feed (``mydramalist``); ``weight`` is its say in the consensus score."""

    __tablename__ = "sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(unique=True)
    kind: Mapped[str | None]
    base_url: Mapped[str | None]
    weight: Mapped[float] = mapped_column(default=1.0, server_default="1.0")


class Drama(Base):
    """One show, whatever the sites call it; their names and ids for it are ``aliases``."""

    __tablename__ = "dramas"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str]
    native_title: Mapped[str | None]
    year: Mapped[int | None]
    episodes: Mapped[int | None]
    country: Mapped[str | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Set when the drama was created although it looked like an existing one: a person should decide.
    needs_review: Mapped[bool] = mapped_column(default=False, server_default="0")
    # Why it needs review ("possible duplicate of drama 12 'Soundtrack #1' (score 86, year unknown)").
    match_note: Mapped[str | None] = mapped_column(Text)

    aliases: Mapped[list[DramaAlias]] = relationship(back_populates="drama")


class DramaAlias(Base):
    """A name of a drama, and/or a site's id for it: ``(source_id, site_id)`` maps that id to our drama.

    ``source_id`` is the source that used the name (or gave the id).
    """

    __tablename__ = "drama_aliases"
    __table_args__ = (UniqueConstraint("source_id", "site_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    drama_id: Mapped[int] = mapped_column(ForeignKey("dramas.id"), index=True)
    alias: Mapped[str]
    # Normalised alias (`title_key`), computed in Python: SQLite's lower() only folds ASCII.
    alias_key: Mapped[str] = mapped_column(index=True)
    compact_key: Mapped[str] = mapped_column(index=True)
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id"))
    site_id: Mapped[str | None]

    drama: Mapped[Drama] = relationship(back_populates="aliases")


class Author(Base):
    """A reviewer on one source, identified by its handle there."""

    __tablename__ = "authors"
    __table_args__ = (UniqueConstraint("source_id", "handle"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id"))
    handle: Mapped[str]
    display_name: Mapped[str | None]
    profile_url: Mapped[str | None]


class CrawlRun(Base):
    """One spider run: what it fetched, stored, dropped, and how it ended."""

    __tablename__ = "crawl_runs"
    __table_args__ = (CheckConstraint("status IN ('running', 'finished', 'failed')", name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    spider: Mapped[str]
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(default="running")
    pages: Mapped[int] = mapped_column(default=0)
    reviews_new: Mapped[int] = mapped_column(default=0)
    reviews_updated: Mapped[int] = mapped_column(default=0)
    reviews_unchanged: Mapped[int] = mapped_column(default=0)
    items_dropped: Mapped[int] = mapped_column(default=0)
    drops: Mapped[dict[str, Any]] = mapped_column(default=dict)
    errors: Mapped[int] = mapped_column(default=0)
    stats: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Review(Base):
    """One review, raw and normalised fields side by side (see ``aggregator.items.ReviewItem``)."""

    __tablename__ = "reviews"
    __table_args__ = (UniqueConstraint("source_id", "source_review_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id"))
    source_review_id: Mapped[str]
    url: Mapped[str]
    # 'review' or 'comment' (forum and blog comments count as opinions, weighed differently by scoring).
    kind: Mapped[str] = mapped_column(default="review", server_default="review")
    drama_id: Mapped[int] = mapped_column(ForeignKey("dramas.id"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("authors.id"), index=True)
    # The byline as written, kept so the author normaliser can be re-applied without re-crawling.
    author_raw: Mapped[str | None]
    title: Mapped[str | None] = mapped_column(Text)
    body: Mapped[str | None] = mapped_column(Text)
    body_raw: Mapped[str | None] = mapped_column(Text)
    published_raw: Mapped[str | None]
    published_at: Mapped[datetime | None]
    score_raw: Mapped[str | None]
    score: Mapped[float | None]
    score_scale: Mapped[str | None]
    spoiler: Mapped[bool | None] = mapped_column(Boolean)
    spoiler_reason: Mapped[str | None] = mapped_column(Text)
    # The platform's own spoiler flag (Reddit), kept like the other raw inputs of ``spoiler``.
    spoiler_flag_raw: Mapped[bool | None] = mapped_column(Boolean)
    spoiler_marker_raw: Mapped[str | None] = mapped_column(Text)
    helpful_votes: Mapped[int | None]
    episodes_seen: Mapped[int | None]
    episodes_total: Mapped[int | None]
    watch_status_raw: Mapped[str | None]
    watch_status: Mapped[str | None]
    language: Mapped[str | None]
    null_reasons: Mapped[dict[str, Any]] = mapped_column(default=dict)
    content_hash: Mapped[str]
    first_seen_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    crawled_at: Mapped[datetime | None]
    crawl_run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id"))
    # A score inferred from the text when the review gives none (0-100), and the method that made it.
    inferred_score: Mapped[float | None]
    inferred_method: Mapped[str | None]

    ratings: Mapped[list[Rating]] = relationship(
        back_populates="review", cascade="all, delete-orphan", passive_deletes=True
    )


class Rating(Base):
    """A partial score of a review: one aspect (``story``) or one episode."""

    __tablename__ = "ratings"
    __table_args__ = (CheckConstraint("kind IN ('aspect', 'episode')", name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str]
    aspect_raw: Mapped[str | None]
    aspect: Mapped[str | None]
    episode: Mapped[int | None]
    score_raw: Mapped[str]
    score: Mapped[float | None]
    scale: Mapped[str | None]

    review: Mapped[Review] = relationship(back_populates="ratings")


class DuplicateLink(Base):
    """A review that repeats another (same URL, same or nearly the same text): it points at its canonical review.

    Nothing is deleted; scoring counts only canonical reviews. ``rule`` says why (``same_url``, ``near_text``,
    ``editor``) and ``similarity`` how close the texts are (Jaccard over shingles).
    """

    __tablename__ = "duplicate_links"

    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id", ondelete="CASCADE"), primary_key=True)
    canonical_id: Mapped[int] = mapped_column(ForeignKey("reviews.id", ondelete="CASCADE"), index=True)
    rule: Mapped[str]
    similarity: Mapped[float | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


CORRECTION_KINDS = (
    "exclude_review",  # review_id: leave it out of the consensus
    "split_duplicate",  # review_id, other_review_id: never a duplicate pair
    "force_duplicate",  # review_id is a duplicate of other_review_id
    "merge_dramas",  # drama_id is the same show as other_drama_id (its reviews count there)
    "split_drama",  # payload {"review_ids": [...], "title": ...}: those reviews are another show
    "source_weight",  # source_id, value: the source's weight in the consensus
    "override_inferred",  # review_id, value: the score to use instead of the inferred one
    "exclude_inferred",  # review_id (or none: all reviews): inferred scores do not count
)


class Correction(Base):
    """An editor's decision, with who, when and why. Re-crawls and re-scoring apply it and never undo it."""

    __tablename__ = "corrections"
    __table_args__ = (
        CheckConstraint("kind IN (" + ", ".join(f"'{k}'" for k in CORRECTION_KINDS) + ")", name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str]
    review_id: Mapped[int | None] = mapped_column(ForeignKey("reviews.id", ondelete="CASCADE"), index=True)
    other_review_id: Mapped[int | None] = mapped_column(ForeignKey("reviews.id", ondelete="CASCADE"))
    drama_id: Mapped[int | None] = mapped_column(ForeignKey("dramas.id"), index=True)
    other_drama_id: Mapped[int | None] = mapped_column(ForeignKey("dramas.id"))
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id"))
    value: Mapped[float | None]
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    editor: Mapped[str]
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # A decision is withdrawn, not deleted, so the audit trail keeps it.
    revoked_at: Mapped[datetime | None]
    revoked_by: Mapped[str | None]


class Consensus(Base):
    """The consensus score of one drama and everything that explains it; `method` and `params` made it."""

    __tablename__ = "consensus"

    drama_id: Mapped[int] = mapped_column(ForeignKey("dramas.id", ondelete="CASCADE"), primary_key=True)
    method: Mapped[str]
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)
    n_reviews: Mapped[int]
    n_scored: Mapped[int]
    n_inferred: Mapped[int]
    score: Mapped[float | None]
    mean: Mapped[float | None]
    median: Mapped[float | None]
    stdev: Mapped[float | None]
    ci_low: Mapped[float | None]
    ci_high: Mapped[float | None]
    pct_positive: Mapped[float | None]
    band: Mapped[str | None]
    tbd: Mapped[bool] = mapped_column(default=True)
    agreement: Mapped[str | None]
    per_source: Mapped[dict[str, Any]] = mapped_column(default=dict)
    per_episode: Mapped[dict[str, Any]] = mapped_column(default=dict)


class ConsensusSource(Base):
    """One source's part in a drama's consensus (``Consensus.per_source`` as rows, for SQL readers).

    ``n`` voices from the source with a value, ``mean`` their weighted mean (0-100), ``weight`` their summed
    weight. Written with the consensus row; deleting that row deletes these.
    """

    __tablename__ = "consensus_sources"

    drama_id: Mapped[int] = mapped_column(ForeignKey("consensus.drama_id", ondelete="CASCADE"), primary_key=True)
    source: Mapped[str] = mapped_column(primary_key=True)
    n: Mapped[int]
    mean: Mapped[float]
    weight: Mapped[float]


class ConsensusEpisode(Base):
    """One episode's score in a drama's consensus (``Consensus.per_episode`` as rows): ``n`` voices, plain mean."""

    __tablename__ = "consensus_episodes"

    drama_id: Mapped[int] = mapped_column(ForeignKey("consensus.drama_id", ondelete="CASCADE"), primary_key=True)
    episode: Mapped[int] = mapped_column(primary_key=True)
    n: Mapped[int]
    mean: Mapped[float]
