"""Duplicate links in the store: `refresh_duplicates` recomputes them for some dramas, scoring reads
`canonical_ids` / `is_canonical`. Functions take the caller's Session and never commit.

The detection itself is `aggregator.duplicates` (pure). Editors' decisions are `Correction` rows and are read
again on every refresh, so a re-run never undoes them: an active ``split_duplicate`` keeps two reviews apart,
an active ``force_duplicate`` links ``review_id`` to ``other_review_id`` (rule ``editor``). When an editor has
both split and forced the same pair, the newer decision wins.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, delete, exists, select
from sqlalchemy.orm import Session

from aggregator.duplicates import MIN_WORDS, NUM_PERM, RULES, SHINGLE, THRESHOLD, Doc, Link, detect
from aggregator.store.models import Correction, DuplicateLink, Review, Source, utcnow
from aggregator.store.reviews import CHUNK, _upsert_insert

logger = logging.getLogger(__name__)

DUPLICATE_KINDS = ("split_duplicate", "force_duplicate")
# Cross-drama copies listed in the stats (all of them are counted): enough for an editor to start from.
CROSS_DRAMA_EXAMPLES = 20


def _chunks(values: list, size: int = CHUNK) -> Iterable[list]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _load_docs(session: Session, drama_ids: list[int] | None) -> list[Doc]:
    columns = (
        Review.id, Review.drama_id, Review.url, Review.body, Review.published_at, Review.first_seen_at,
        Source.name,
    )  # fmt: skip
    query = select(*columns).join(Source, Source.id == Review.source_id)
    rows = []
    if drama_ids is None:
        rows = session.execute(query).all()
    else:
        for chunk in _chunks(drama_ids):
            rows.extend(session.execute(query.where(Review.drama_id.in_(chunk))).all())
    return [
        Doc(id=rid, group=drama, text=body, order_key=published or first_seen, url=url, source=source)
        for rid, drama, url, body, published, first_seen, source in rows
    ]


def editor_decisions(session: Session, review_ids: set[int]) -> tuple[set[frozenset[int]], dict[int, int]]:
    """Active duplicate decisions touching `review_ids`: pairs never linked, and review -> forced canonical.

    Per pair (and per forced review) the newest decision wins. Corrections are few: all are read at once.
    """
    query = (
        select(Correction.kind, Correction.review_id, Correction.other_review_id)
        .where(Correction.kind.in_(DUPLICATE_KINDS), Correction.revoked_at.is_(None))
        .where(Correction.review_id.is_not(None), Correction.other_review_id.is_not(None))
        .order_by(Correction.created_at, Correction.id)
    )
    latest: dict[frozenset[int], tuple[int, str, int, int]] = {}  # pair -> (order, kind, review, other)
    for order, (kind, review_id, other_id) in enumerate(session.execute(query)):
        if review_id != other_id and {review_id, other_id} & review_ids:
            latest[frozenset((review_id, other_id))] = (order, kind, review_id, other_id)
    never = {pair for pair, (_, kind, _, _) in latest.items() if kind == "split_duplicate"}
    forced: dict[int, int] = {}
    for _, kind, review_id, other_id in sorted(latest.values()):  # a newer force of a review replaces the older
        if kind == "force_duplicate" and review_id in review_ids:
            forced[review_id] = other_id
    return never, forced


def _existing(session: Session, drama_ids: list[int] | None) -> dict[int, tuple[int, str, float | None]]:
    query = select(DuplicateLink.review_id, DuplicateLink.canonical_id, DuplicateLink.rule, DuplicateLink.similarity)
    if drama_ids is None:
        rows = session.execute(query).all()
    else:
        query = query.join(Review, Review.id == DuplicateLink.review_id)
        rows = [row for chunk in _chunks(drama_ids) for row in session.execute(query.where(Review.drama_id.in_(chunk)))]
    return {review_id: (canonical, rule, sim) for review_id, canonical, rule, sim in rows}


def _past_outside_links(session: Session, forced: dict[int, int], review_ids: set[int]) -> dict[int, int]:
    """Forced targets outside the refreshed reviews replaced by their own canonical review, if they have one:
    a link must end at a canonical review, and the detector only sees the reviews it was given."""
    outside = sorted({target for target in forced.values() if target not in review_ids})
    ends: dict[int, int] = {}
    for chunk in _chunks(outside):
        query = select(DuplicateLink.review_id, DuplicateLink.canonical_id).where(DuplicateLink.review_id.in_(chunk))
        ends.update({review_id: canonical for review_id, canonical in session.execute(query)})
    return {review_id: ends.get(target, target) for review_id, target in forced.items()}


def refresh_duplicates(
    session: Session,
    drama_ids: Iterable[int] | None = None,
    *,
    threshold: float = THRESHOLD,
    num_perm: int = NUM_PERM,
    shingle: int = SHINGLE,
    min_words: int = MIN_WORDS,
) -> dict[str, Any]:
    """Recompute the duplicate links of the reviews of `drama_ids` (None: every drama); returns counts.

    The detector's links of those reviews (rules ``same_url``, ``same_text``, ``near_text``, ``editor``) are
    replaced: changed and vanished ones deleted, new and changed ones written, unchanged rows kept as they are
    (with their ``created_at``). A link with another rule is someone else's and is left alone. Copies found
    under another drama are counted (``cross_drama_candidates``), never linked. Never commits.
    """
    ids = None if drama_ids is None else sorted(set(drama_ids))
    stats: dict[str, Any] = {
        "reviews": 0, "links": dict.fromkeys(RULES, 0), "cross_drama_candidates": 0, "written": 0, "deleted": 0,
        "unchanged": 0,
    }  # fmt: skip
    if ids == []:
        return stats
    docs = _load_docs(session, ids)
    review_ids = {d.id for d in docs}
    never, forced = editor_decisions(session, review_ids)
    forced = _past_outside_links(session, forced, review_ids)
    found = detect(
        docs, threshold=threshold, num_perm=num_perm, k=shingle, min_words=min_words, never=never, forced=forced
    )
    existing = _existing(session, ids)
    wanted = {
        link.review_id: (link.canonical_id, link.rule, link.similarity)
        for link in found.links
        if link.review_id in review_ids and (link.review_id not in existing or existing[link.review_id][1] in RULES)
    }
    ours = {rid for rid, (_, rule, _) in existing.items() if rule in RULES and rid in review_ids}
    stale = sorted(rid for rid in ours if wanted.get(rid) != existing[rid])
    fresh = sorted(rid for rid, link in wanted.items() if existing.get(rid) != link)

    for chunk in _chunks(stale):
        session.execute(
            delete(DuplicateLink.__table__).where(DuplicateLink.review_id.in_(chunk), DuplicateLink.rule.in_(RULES))
        )
    now = utcnow()
    table = DuplicateLink.__table__
    for chunk in _chunks(fresh):
        stmt = _upsert_insert(session, table)
        # Another refresh may have written the same review meanwhile (PostgreSQL, concurrent crawls): update it.
        stmt = stmt.on_conflict_do_update(
            index_elements=["review_id"],
            set_={c: stmt.excluded[c] for c in ("canonical_id", "rule", "similarity", "created_at")},
        )
        rows = [
            {"review_id": rid, "canonical_id": wanted[rid][0], "rule": wanted[rid][1], "similarity": wanted[rid][2],
             "created_at": now}
            for rid in chunk
        ]  # fmt: skip
        session.execute(stmt, rows)

    stats.update(
        {key: found.stats[key] for key in ("reviews", "eligible", "candidate_pairs", "split_by_editor", "url_pages")}
    )
    stats["links"] = {rule: sum(rule == link[1] for link in wanted.values()) for rule in RULES}
    stats["cross_drama_candidates"] = len(found.cross_drama)
    stats["cross_drama"] = [_example(link) for link in found.cross_drama[:CROSS_DRAMA_EXAMPLES]]
    stats["written"] = len(fresh)
    stats["deleted"] = len(set(stale) - set(fresh))
    stats["unchanged"] = len(wanted) - len(fresh)
    stats["foreign_kept"] = len(existing.keys() & review_ids) - len(ours)
    logger.info(
        "duplicates: %d reviews, links %s, %d cross-drama copies left alone",
        stats["reviews"], stats["links"], stats["cross_drama_candidates"],
    )  # fmt: skip
    return stats


def _example(link: Link) -> dict[str, Any]:
    return {"review_id": link.review_id, "other_review_id": link.canonical_id, "rule": link.rule,
            "similarity": link.similarity}  # fmt: skip


# --- reading -----------------------------------------------------------------------------------------------


def is_canonical() -> ColumnElement[bool]:
    """SQL condition on `Review`: the review is no duplicate (scoring counts only these)."""
    return ~exists().where(DuplicateLink.review_id == Review.id)


def canonical_ids(session: Session, drama_id: int) -> set[int]:
    """Ids of the reviews of `drama_id` that are not duplicates of another review."""
    return set(session.scalars(select(Review.id).where(Review.drama_id == drama_id, is_canonical())))


def duplicate_links(session: Session, drama_id: int) -> list[Link]:
    """The links of the reviews of `drama_id`, by review id."""
    query = (
        select(DuplicateLink.review_id, DuplicateLink.canonical_id, DuplicateLink.rule, DuplicateLink.similarity)
        .join(Review, Review.id == DuplicateLink.review_id)
        .where(Review.drama_id == drama_id)
        .order_by(DuplicateLink.review_id)
    )
    return [Link(*row) for row in session.execute(query)]
