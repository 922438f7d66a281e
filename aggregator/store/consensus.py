"""Consensus rows: load a drama's opinions (canonical reviews, editors' corrections applied), score them with
`aggregator.scoring`, upsert the result; and one drama's report (`drama_report`) for ``dramascore show``.

Which reviews count for a drama, every time it is scored:

* reviews with a ``duplicate_links`` row are left out (unless an editor's ``split_duplicate`` names that
  pair); an editor's ``force_duplicate`` leaves its review out too;
* ``merge_dramas`` moves a drama's reviews to the other drama (the merged one keeps no consensus row);
  ``split_drama`` moves the listed reviews to the new drama; merges are followed after splits;
* ``exclude_review`` keeps a review listed but out of the score; ``source_weight`` (latest) replaces the
  source's weight; ``exclude_inferred`` drops inferred scores (of one review, or everywhere);
  ``override_inferred`` gives the review an editor's value: full weight, basis ``editor``, used where the
  inferred score would be (a review's own explicit or episode scores still come first).

A review's date for "the author's latest opinion" is its publication date, else when it was first seen.
A consensus row's ``per_source`` / ``per_episode`` are written as rows of ``consensus_sources`` /
``consensus_episodes`` too, for the SQL views (docs/schema.md). On PostgreSQL a refresh holds an advisory lock
until the caller commits, so refreshes take turns. Functions take the caller's Session and never commit.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, insert, or_, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from aggregator import scoring
from aggregator.scoring import Opinion, Params, Result
from aggregator.store.corrections import CorrectionSet, active_corrections
from aggregator.store.models import (
    Author,
    Consensus,
    ConsensusEpisode,
    ConsensusSource,
    Correction,
    Drama,
    DramaAlias,
    DuplicateLink,
    Rating,
    Review,
    Source,
    title_key,
    utcnow,
)
from aggregator.store.reviews import CHUNK

# Any constant will do: every dramascore process refreshing one PostgreSQL database takes the same one.
PG_CONSENSUS_LOCK = 0x64735F63


@dataclass
class Loaded:
    """A review that counts for a drama: its opinion, and the review it duplicates (None if canonical)."""

    opinion: Opinion
    drama_id: int  # the drama it was crawled under
    duplicate_of: int | None


def _chunks(values: list[int]) -> Iterable[list[int]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


def _load(session: Session, active: CorrectionSet, drama_ids: set[int] | None) -> dict[int, list[Loaded]]:
    """Reviews by the drama they count for (`drama_ids`, or every drama when None), corrections applied."""
    columns = (
        Review.id, Review.drama_id, Review.source_id, Source.name, Source.weight, Review.kind, Review.author_id,
        Review.published_at, Review.first_seen_at, Review.score, Review.inferred_score, DuplicateLink.canonical_id,
    )  # fmt: skip
    base = (
        select(*columns)
        .join(Source, Source.id == Review.source_id)
        .outerjoin(DuplicateLink, DuplicateLink.review_id == Review.id)
    )
    if drama_ids is None:
        queries = [base]
    else:
        wanted = set(drama_ids)
        raw = sorted(wanted | {d for d in active.merged_into if active.final_drama(d) in wanted})
        moved = sorted(r for r, d in active.split_to.items() if active.final_drama(d) in wanted)
        queries = [base.where(Review.drama_id.in_(chunk)) for chunk in _chunks(raw)]
        queries += [base.where(Review.id.in_(chunk)) for chunk in _chunks(moved)]

    rows = {row[0]: row for query in queries for row in session.execute(query)}
    episodes: dict[int, dict[int, list[float]]] = {}
    for chunk in _chunks(sorted(rows)):
        query = select(Rating.review_id, Rating.episode, Rating.score).where(
            Rating.review_id.in_(chunk),
            Rating.kind == "episode",
            Rating.score.is_not(None),
            Rating.episode.is_not(None),
        )
        for rid, episode, value in session.execute(query):
            episodes.setdefault(rid, {}).setdefault(episode, []).append(value)

    out: dict[int, list[Loaded]] = {}
    for rid, drama_id, source_id, source, weight, kind, author_id, published, first_seen, score, inferred, link in (
        rows[k] for k in sorted(rows)
    ):
        target = active.effective_drama(rid, drama_id)
        if drama_ids is not None and target not in drama_ids:
            continue
        opinion = Opinion(
            review_id=rid,
            source=source,
            kind=kind,
            author_key=f"{source_id}:{author_id}" if author_id is not None else None,
            when=published or first_seen,
            score=score,
            # Two scores for one episode in one review (a re-watch note): their mean.
            episode_scores={ep: math.fsum(v) / len(v) for ep, v in episodes.get(rid, {}).items()},
            inferred=inferred,
            source_weight=active.source_weights.get(source_id, weight),
            excluded=rid in active.excluded,
            inferred_allowed=active.inferred_allowed(rid),
            editor_score=active.overrides.get(rid),
        )
        out.setdefault(target, []).append(Loaded(opinion, drama_id, active.duplicate_of(rid, link)))
    return out


def load_opinions(session: Session, drama_id: int) -> list[Opinion]:
    """The opinions that count for a drama: its canonical reviews, editors' corrections applied."""
    loaded = _load(session, CorrectionSet.load(session), {drama_id}).get(drama_id, [])
    return [x.opinion for x in loaded if x.duplicate_of is None]


def _global_mean(grouped: dict[int, list[Loaded]], params: Params) -> float | None:
    pairs = [
        (a.value, a.weight)
        for loaded in grouped.values()
        for a in scoring.assess([x.opinion for x in loaded if x.duplicate_of is None], params)
        if a.status == "counted"
    ]
    total = math.fsum(w for _, w in pairs)
    return math.fsum(v * w for v, w in pairs) / total if total > 0 else None


def global_mean(session: Session, params: Params | None = None, *, active: CorrectionSet | None = None) -> float | None:
    """The weighted mean of every drama's counted opinions (one per author per drama), the prior's default C."""
    return _global_mean(_load(session, active or CorrectionSet.load(session), None), params or Params())


def _upsert(session: Session, rows: list[dict]) -> None:
    """INSERT ... ON CONFLICT (drama_id) DO UPDATE: two refreshes of one drama at once leave one row."""
    dialect = session.get_bind().dialect.name
    if dialect not in ("postgresql", "sqlite"):
        raise NotImplementedError(f"dramascore's store supports PostgreSQL and SQLite, not {dialect}")
    stmt = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(Consensus.__table__)
    set_ = {c.name: stmt.excluded[c.name] for c in Consensus.__table__.columns if c.name != "drama_id"}
    session.execute(stmt.on_conflict_do_update(index_elements=["drama_id"], set_=set_), rows)
    _replace_children(session, rows)


def _replace_children(session: Session, rows: list[dict]) -> None:
    """The per-source and per-episode rows of these consensus rows: the old ones deleted, the new inserted."""
    ids = [row["drama_id"] for row in rows]
    for model in (ConsensusSource, ConsensusEpisode):
        session.execute(delete(model.__table__).where(model.__table__.c.drama_id.in_(ids)))
    by_source = [
        {"drama_id": row["drama_id"], "source": name, "n": s["n"], "mean": s["mean"], "weight": s["weight"]}
        for row in rows
        for name, s in sorted(row["per_source"].items())
    ]
    by_episode = [
        {"drama_id": row["drama_id"], "episode": int(episode), "n": e["n"], "mean": e["mean"]}
        for row in rows
        for episode, e in sorted(row["per_episode"].items(), key=lambda kv: int(kv[0]))
    ]
    if by_source:
        session.execute(insert(ConsensusSource.__table__), by_source)
    if by_episode:
        session.execute(insert(ConsensusEpisode.__table__), by_episode)


def _refresh(session: Session, drama_ids: set[int] | None, params: Params) -> int:
    if session.get_bind().dialect.name == "postgresql":
        # Two workers finishing at once would both replace one drama's child rows (duplicate keys) and each
        # score without the other's uncommitted reviews: they take turns until the caller commits. SQLite
        # already lets one writer in at a time.
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PG_CONSENSUS_LOCK})
    active = CorrectionSet.load(session)
    if drama_ids is None:
        existing = set(session.scalars(select(Drama.id)))
        asked = existing
    else:
        asked = set(drama_ids)
        existing = {
            d for chunk in _chunks(sorted(asked)) for d in session.scalars(select(Drama.id).where(Drama.id.in_(chunk)))
        }
    # A merged drama's reviews count for its target, which must be re-scored too; its own row goes.
    targets = {active.final_drama(d) for d in existing}
    gone = sorted((asked - existing) | {d for d in existing if active.final_drama(d) != d})
    for chunk in _chunks(gone):
        # Child rows first: foreign keys cascade on PostgreSQL, but only with PRAGMA foreign_keys on SQLite.
        for model in (ConsensusSource, ConsensusEpisode):
            session.execute(delete(model.__table__).where(model.__table__.c.drama_id.in_(chunk)))
        session.execute(delete(Consensus.__table__).where(Consensus.drama_id.in_(chunk)))
    # The global mean (the default prior) needs every drama's opinions: then load them all once.
    everything = _load(session, active, None) if drama_ids is None or params.prior_mean is None else None
    grouped = everything if everything is not None else _load(session, active, targets)
    prior = params.prior_mean if params.prior_mean is not None else _global_mean(everything, params)
    now = utcnow()
    rows = []
    for drama_id in sorted(targets):  # a fixed order keeps concurrent PostgreSQL writers deadlock-free
        opinions = [x.opinion for x in grouped.get(drama_id, []) if x.duplicate_of is None]
        result = scoring.consensus(opinions, params, prior)
        rows.append({"drama_id": drama_id, "computed_at": now, **result.columns()})
    for start in range(0, len(rows), 200):
        _upsert(session, rows[start : start + 200])
    return len(rows)


def refresh_consensus(session: Session, drama_ids: Iterable[int], params: Params) -> int:
    """Re-score these dramas (and the dramas they were merged into); returns how many rows were written."""
    ids = set(drama_ids)
    return _refresh(session, ids, params) if ids else 0


def rescore_all(session: Session, params: Params) -> int:
    """Re-score every drama; rows of dramas merged into another are removed. Returns rows written."""
    return _refresh(session, None, params)


# --- one drama's report ----------------------------------------------------------------------------------


def find_drama(session: Session, title_or_id: str | int) -> Drama:
    """A drama by id, exact title or alias (ignoring case), else a unique partial title; LookupError otherwise."""
    text = str(title_or_id).strip()
    if text.isdigit() and (drama := session.get(Drama, int(text))) is not None:
        return drama
    key = title_key(text)
    literal = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    exact = select(Drama).where(
        or_(
            Drama.title.ilike(literal, escape="\\"),
            Drama.id.in_(select(DramaAlias.drama_id).where(DramaAlias.alias_key == key)),
        )
    )
    found = list(session.scalars(exact.order_by(Drama.id)))
    if not found:
        found = list(
            session.scalars(select(Drama).where(Drama.title.icontains(text, autoescape=True)).order_by(Drama.id))
        )
    if len(found) == 1:
        return found[0]
    if not found:
        raise LookupError(f"no drama called {text!r} (try `dramascore dramas --search`)")
    names = "; ".join(f"{d.id} {d.title!r}" + (f" ({d.year})" if d.year else "") for d in found[:10])
    raise LookupError(f"several dramas match {text!r}: {names}; give the id")


@dataclass
class ReviewLine:
    """One review of a report, with what scoring made of it (``status`` as in `scoring.Assessment`, or
    ``duplicate``)."""

    review_id: int
    source: str
    kind: str
    author: str | None
    published_at: datetime | None
    url: str
    score_raw: str | None
    score: float | None
    inferred: float | None
    inferred_method: str | None
    spoiler: bool | None
    duplicate_of: int | None
    excluded: bool
    status: str
    value: float | None
    basis: str | None
    weight: float
    superseded_by: int | None
    moved_from: int | None  # the drama it was crawled under, when a merge or split moved it here


@dataclass
class Report:
    drama: Drama
    result: Result | None  # None for a drama merged into another (`merged_into`)
    stored: bool  # the stored consensus row (else computed now, not stored)
    computed_at: datetime | None
    merged_into: Drama | None
    reviews: list[ReviewLine]
    corrections: list[Correction]


def drama_report(session: Session, title_or_id: str | int, params: Params | None = None) -> Report:
    """Everything `dramascore show` prints about one drama; LookupError when no single drama matches."""
    drama = find_drama(session, title_or_id)
    params = params or Params()
    active = CorrectionSet.load(session)
    target = active.final_drama(drama.id)
    if target != drama.id:
        notes = active_corrections(session, drama_id=drama.id)
        return Report(drama, None, False, None, session.get(Drama, target), [], notes)

    loaded = _load(session, active, {drama.id}).get(drama.id, [])
    canonical = [x.opinion for x in loaded if x.duplicate_of is None]
    row = session.get(Consensus, drama.id)
    if row is not None:
        result = Result.from_columns({c.name: getattr(row, c.name) for c in Consensus.__table__.columns})
        computed_at, stored = row.computed_at, True
    else:
        prior = params.prior_mean if params.prior_mean is not None else global_mean(session, params, active=active)
        result, computed_at, stored = scoring.consensus(canonical, params, prior), None, False

    assessed = {a.review_id: a for a in scoring.assess(canonical, params)}
    details = {}
    for chunk in _chunks([x.opinion.review_id for x in loaded]):
        query = (
            select(Review, Author.display_name, Author.handle)
            .outerjoin(Author, Author.id == Review.author_id)
            .where(Review.id.in_(chunk))
        )
        details.update({r.id: (r, name or handle or r.author_raw) for r, name, handle in session.execute(query)})
    lines = []
    for x in loaded:
        op, (review, author) = x.opinion, details[x.opinion.review_id]
        a = assessed.get(op.review_id) or scoring.Assessment(op.review_id, "duplicate")
        lines.append(ReviewLine(
            review_id=op.review_id, source=op.source, kind=op.kind, author=author, published_at=review.published_at,
            url=review.url, score_raw=review.score_raw, score=review.score, inferred=review.inferred_score,
            inferred_method=review.inferred_method, spoiler=review.spoiler, duplicate_of=x.duplicate_of,
            excluded=op.excluded, status=a.status, value=a.value, basis=a.basis, weight=a.weight,
            superseded_by=a.superseded_by, moved_from=x.drama_id if x.drama_id != drama.id else None,
        ))  # fmt: skip
    # Newest first; undated reviews last.
    lines.sort(
        key=lambda ln: (ln.published_at is None, -ln.published_at.timestamp() if ln.published_at else 0, ln.review_id)
    )
    return Report(drama, result, stored, computed_at, None, lines, _notes(session, drama.id, lines))


def drama_consensus(session: Session, title_or_id: str | int, params: Params | None = None) -> Report:
    """`drama_report` without the review lines and notes (the API's drama answer): a stored consensus row is
    read as it is, so no review is loaded; a drama without a stored row gets the full `drama_report`.

    >>> drama_consensus(session, 12).reviews  # doctest: +SKIP
    []
    """
    drama = find_drama(session, title_or_id)
    merges = {c.drama_id: c.other_drama_id for c in active_corrections(session, kind="merge_dramas")}
    target = CorrectionSet(merged_into=merges).final_drama(drama.id)
    if target != drama.id:
        return Report(drama, None, False, None, session.get(Drama, target), [], [])
    row = session.get(Consensus, drama.id)
    if row is None:
        return drama_report(session, drama.id, params)
    result = Result.from_columns({c.name: getattr(row, c.name) for c in Consensus.__table__.columns})
    return Report(drama, result, True, row.computed_at, None, [], [])


def _notes(session: Session, drama_id: int, lines: list[ReviewLine]) -> list[Correction]:
    """The active corrections that touch this drama, its reviews or its sources."""
    reviews = {line.review_id for line in lines}
    sources = {line.source for line in lines}
    source_ids = set(session.scalars(select(Source.id).where(Source.name.in_(sorted(sources))))) if sources else set()
    return [
        c
        for c in active_corrections(session)
        if drama_id in (c.drama_id, c.other_drama_id)
        or reviews & ({c.review_id, c.other_review_id} | {int(r) for r in (c.payload or {}).get("review_ids", [])})
        or (c.kind == "source_weight" and c.source_id in source_ids)
        or (c.kind == "exclude_inferred" and c.review_id is None)
    ]
