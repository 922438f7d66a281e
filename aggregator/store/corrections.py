"""Editors' corrections: recorded with who and why, revoked (never deleted), and applied on every re-score.

A correction names reviews, dramas and sources by their ids, which re-crawls never change (reviews are
upserted on ``(source, source_review_id)``), so a decision survives every crawl; scoring reads the active
ones (``revoked_at IS NULL``) each time (`CorrectionSet`). Functions take the caller's Session, never commit.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from aggregator.store.models import CORRECTION_KINDS, Correction, Drama, Review, Source, utcnow

TARGETS = ("review_id", "other_review_id", "drama_id", "other_drama_id", "source_id", "value", "payload")
# kind -> (required targets, optional targets); any other target given is an error, not silently ignored.
KIND_TARGETS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "exclude_review": (("review_id",), ()),
    "split_duplicate": (("review_id", "other_review_id"), ()),
    "force_duplicate": (("review_id", "other_review_id"), ()),
    "merge_dramas": (("drama_id", "other_drama_id"), ()),
    "split_drama": (("payload",), ("drama_id",)),
    "source_weight": (("source_id", "value"), ()),
    "override_inferred": (("review_id", "value"), ()),
    "exclude_inferred": ((), ("review_id",)),
}


def _latest_first(corrections: Iterable[Correction]) -> list[Correction]:
    return sorted(corrections, key=lambda c: (c.created_at, c.id), reverse=True)


@dataclass
class CorrectionSet:
    """The active corrections, compiled into what scoring asks: where a review counts, with what inputs.

    Where two active corrections disagree (two weights for one source), the latest (created_at, id) wins.
    """

    excluded: set[int] = field(default_factory=set)
    merged_into: dict[int, int] = field(default_factory=dict)  # drama -> drama it was merged into
    split_to: dict[int, int] = field(default_factory=dict)  # review -> drama it was split into
    source_weights: dict[int, float] = field(default_factory=dict)
    overrides: dict[int, float] = field(default_factory=dict)  # review -> editor's value
    no_inferred: set[int] = field(default_factory=set)
    no_inferred_anywhere: bool = False
    pairs: dict[frozenset[int], Correction] = field(default_factory=dict)  # latest split/force per pair

    @classmethod
    def load(cls, session: Session) -> CorrectionSet:
        found = cls()
        for c in reversed(_latest_first(active_corrections(session))):  # oldest first: later ones overwrite
            if c.kind == "exclude_review":
                found.excluded.add(c.review_id)
            elif c.kind == "merge_dramas":
                found.merged_into[c.drama_id] = c.other_drama_id
            elif c.kind == "split_drama":
                for rid in c.payload.get("review_ids", []):
                    found.split_to[int(rid)] = int(c.payload["new_drama_id"])
            elif c.kind == "source_weight":
                found.source_weights[c.source_id] = c.value
            elif c.kind == "override_inferred":
                found.overrides[c.review_id] = c.value
            elif c.kind == "exclude_inferred":
                if c.review_id is None:
                    found.no_inferred_anywhere = True
                else:
                    found.no_inferred.add(c.review_id)
            elif c.kind in ("split_duplicate", "force_duplicate"):
                found.pairs[frozenset((c.review_id, c.other_review_id))] = c
        return found

    def final_drama(self, drama_id: int) -> int:
        """Where a drama's reviews count: followed along merges (a cycle stops where it would repeat)."""
        seen = {drama_id}
        while (nxt := self.merged_into.get(drama_id)) is not None and nxt not in seen:
            seen.add(nxt)
            drama_id = nxt
        return drama_id

    def effective_drama(self, review_id: int, drama_id: int) -> int:
        return self.final_drama(self.split_to.get(review_id, drama_id))

    def duplicate_of(self, review_id: int, linked_to: int | None) -> int | None:
        """The review this one repeats: its duplicate link unless an editor split the pair, or a forced one."""
        if linked_to is not None:
            decision = self.pairs.get(frozenset((review_id, linked_to)))
            if decision is None or (decision.kind == "force_duplicate" and decision.review_id == review_id):
                return linked_to
        for pair, decision in self.pairs.items():
            if decision.kind == "force_duplicate" and decision.review_id == review_id and review_id in pair:
                return decision.other_review_id
        return None

    def inferred_allowed(self, review_id: int) -> bool:
        return not self.no_inferred_anywhere and review_id not in self.no_inferred


# --- reading ---------------------------------------------------------------------------------------------


def active_corrections(
    session: Session, *, kind: str | None = None, review_id: int | None = None, drama_id: int | None = None
) -> list[Correction]:
    """Corrections in force (not revoked), oldest first; optionally of one kind / about one review or drama."""
    query = select(Correction).where(Correction.revoked_at.is_(None))
    if kind is not None:
        query = query.where(Correction.kind == kind)
    if review_id is not None:
        query = query.where((Correction.review_id == review_id) | (Correction.other_review_id == review_id))
    if drama_id is not None:
        query = query.where((Correction.drama_id == drama_id) | (Correction.other_drama_id == drama_id))
    return list(session.scalars(query.order_by(Correction.created_at, Correction.id)))


def list_corrections(session: Session, limit: int = 100) -> list[Correction]:
    """The audit trail: every correction, revoked ones included, newest first."""
    query = select(Correction).order_by(Correction.created_at.desc(), Correction.id.desc()).limit(limit)
    return list(session.scalars(query))


def affected_dramas(session: Session, correction: Correction) -> set[int]:
    """Dramas whose consensus a correction (or its revocation) changes, under the corrections now active."""
    c = correction
    raw = {d for d in (c.drama_id, c.other_drama_id, (c.payload or {}).get("new_drama_id")) if d is not None}
    review_ids = {r for r in (c.review_id, c.other_review_id) if r is not None}
    review_ids |= {int(r) for r in (c.payload or {}).get("review_ids", [])}
    query = None
    if review_ids:
        query = select(Review.id, Review.drama_id).where(Review.id.in_(sorted(review_ids)))
    elif c.kind == "source_weight":
        query = select(Review.id, Review.drama_id).where(Review.source_id == c.source_id).distinct()
    elif c.kind == "exclude_inferred":  # no review: every drama
        raw |= set(session.scalars(select(Drama.id)))
    active = CorrectionSet.load(session)
    found = set()
    for rid, drama_id in session.execute(query) if query is not None else ():
        found |= {drama_id, active.effective_drama(rid, drama_id)}
    return found | raw | {active.final_drama(d) for d in raw}


# --- writing ---------------------------------------------------------------------------------------------


def _need(session: Session, model: type, ident: int | None, what: str):
    obj = session.get(model, ident) if ident is not None else None
    if obj is None:
        raise ValueError(f"no {what} with id {ident}")
    return obj


def record_correction(
    session: Session,
    kind: str,
    *,
    editor: str,
    reason: str,
    review_id: int | None = None,
    other_review_id: int | None = None,
    drama_id: int | None = None,
    other_drama_id: int | None = None,
    source_id: int | None = None,
    value: float | None = None,
    payload: dict[str, Any] | None = None,
) -> Correction:
    """Validate and record an editor's correction (flushed, so its id is set); ValueError says what is wrong.

    ``split_drama`` creates the new drama (``payload["title"]``, else "<title> (split)") and stores its id in
    ``payload["new_drama_id"]`` and ``other_drama_id``.
    """
    if kind not in CORRECTION_KINDS:
        raise ValueError(f"unknown correction kind {kind!r}; one of: {', '.join(CORRECTION_KINDS)}")
    if not (editor or "").strip():
        raise ValueError("a correction needs the editor's name")
    if not (reason or "").strip():
        raise ValueError("a correction needs a reason")
    given = {
        "review_id": review_id, "other_review_id": other_review_id, "drama_id": drama_id,
        "other_drama_id": other_drama_id, "source_id": source_id, "value": value, "payload": payload or None,
    }  # fmt: skip
    required, optional = KIND_TARGETS[kind]
    missing = [t for t in required if given[t] is None]
    if missing:
        raise ValueError(f"{kind} needs {' and '.join(missing)}")
    extra = [t for t, v in given.items() if v is not None and t not in required + optional]
    if extra:
        raise ValueError(f"{kind} does not use {', '.join(extra)}")
    for target in ("review_id", "other_review_id"):
        if given[target] is not None:
            _need(session, Review, given[target], "review")
    for target in ("drama_id", "other_drama_id"):
        if given[target] is not None:
            _need(session, Drama, given[target], "drama")
    payload = dict(payload or {})
    active = CorrectionSet.load(session)
    _check(session, kind, active, review_id, other_review_id, drama_id, other_drama_id, source_id, value)
    if kind == "split_drama":
        drama_id, other_drama_id = _split(session, active, drama_id, payload)
    correction = Correction(
        kind=kind, review_id=review_id, other_review_id=other_review_id, drama_id=drama_id,
        other_drama_id=other_drama_id, source_id=source_id, value=None if value is None else float(value),
        payload=payload, editor=editor.strip(), reason=reason.strip(), created_at=utcnow(),
    )  # fmt: skip
    session.add(correction)
    session.flush()
    return correction


def _check(session, kind, active: CorrectionSet, review_id, other_review_id, drama_id, other_drama_id,
           source_id, value) -> None:  # fmt: skip
    """Per-kind rules beyond "the targets exist"."""
    if kind in ("split_duplicate", "force_duplicate", "merge_dramas"):
        a, b = (review_id, other_review_id) if kind != "merge_dramas" else (drama_id, other_drama_id)
        if a == b:
            raise ValueError(f"{kind} needs two different {'dramas' if kind == 'merge_dramas' else 'reviews'}")
    if kind == "exclude_review" and review_id in active.excluded:
        raise ValueError(f"review {review_id} is already excluded")
    if kind == "exclude_inferred" and (active.no_inferred_anywhere or review_id in active.no_inferred):
        raise ValueError("inferred scores are already excluded there")
    if kind == "merge_dramas":
        if drama_id in active.merged_into:
            raise ValueError(f"drama {drama_id} is already merged into drama {active.merged_into[drama_id]}")
        if active.final_drama(other_drama_id) == drama_id:
            raise ValueError(f"drama {other_drama_id} already counts for drama {drama_id}: merging would loop")
    if kind == "source_weight":
        _need(session, Source, source_id, "source")
        if not (math.isfinite(value) and value >= 0):
            raise ValueError(f"a source weight must be a number >= 0, not {value}")
    if kind == "override_inferred":
        if not (math.isfinite(value) and 0 <= value <= 100):
            raise ValueError(f"override_inferred needs a value within 0-100, not {value}")
        review = session.get(Review, review_id)
        if review.score is not None or any(r.kind == "episode" and r.score is not None for r in review.ratings):
            raise ValueError(f"review {review_id} has its own score; override_inferred replaces inferred scores only")


def _split(session: Session, active: CorrectionSet, drama_id: int | None, payload: dict) -> tuple[int, int]:
    """Check a split_drama payload, create the new drama; returns (origin drama id, new drama id)."""
    ids = payload.get("review_ids")
    if not isinstance(ids, list) or not ids or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
        raise ValueError("split_drama needs payload review_ids: a non-empty list of review ids")
    origins = set()
    for rid in ids:
        review = _need(session, Review, rid, "review")
        origins.add(active.effective_drama(rid, review.drama_id))
    if drama_id is None:
        if len(origins) != 1:
            raise ValueError(f"split_drama reviews count for several dramas {sorted(origins)}: split one at a time")
        drama_id = origins.pop()
    elif origins != {drama_id}:
        raise ValueError(
            f"split_drama: not every review counts for drama {drama_id} (they count for {sorted(origins)})"
        )
    origin = session.get(Drama, drama_id)
    title = (payload.get("title") or "").strip() or f"{origin.title} (split)"
    new = Drama(title=title, created_at=utcnow(), needs_review=False)
    session.add(new)
    session.flush()
    payload.update(review_ids=sorted(set(ids)), title=title, new_drama_id=new.id)
    return drama_id, new.id


def revoke_correction(session: Session, correction_id: int, *, editor: str) -> Correction:
    """Withdraw a correction (it stays in the audit trail); LookupError if unknown, ValueError if revoked."""
    if not (editor or "").strip():
        raise ValueError("revoking needs the editor's name")
    correction = session.get(Correction, correction_id)
    if correction is None:
        raise LookupError(f"no correction #{correction_id}")
    if correction.revoked_at is not None:
        raise ValueError(f"correction #{correction_id} was already revoked by {correction.revoked_by}")
    correction.revoked_at = utcnow()
    correction.revoked_by = editor.strip()
    session.flush()
    return correction
