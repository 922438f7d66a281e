"""Record or revoke an editor's correction and re-score what it touches, in the caller's transaction.

Shared by ``dramascore correct`` / ``corrections --revoke`` and the editors' web page, so both leave the same
audit trail and the same scores.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from aggregator.scoring import Params
from aggregator.store.consensus import refresh_consensus
from aggregator.store.corrections import affected_dramas, record_correction, revoke_correction
from aggregator.store.models import Consensus, Correction, Drama


@dataclass(frozen=True)
class ScoreChange:
    """A drama's stored score before and after a correction (None: no score; ``merged_away``: row removed)."""

    drama_id: int
    title: str
    before: float | None
    after: float | None
    merged_away: bool


def _rescore(session: Session, correction: Correction, params: Params) -> list[ScoreChange]:
    dramas = sorted(affected_dramas(session, correction))
    before = {}
    for d in dramas:
        row = session.get(Consensus, d)
        before[d] = row.score if row is not None else None
    refresh_consensus(session, dramas, params)
    session.expire_all()
    changes = []
    for d in dramas:
        row, drama = session.get(Consensus, d), session.get(Drama, d)
        changes.append(
            ScoreChange(d, drama.title, before[d], None if row is None else row.score, merged_away=row is None)
        )
    return changes


def apply_correction(
    session: Session, kind: str, *, editor: str, reason: str, params: Params, **targets: Any
) -> tuple[Correction, list[ScoreChange]]:
    """`record_correction` then re-score the affected dramas; ValueError says what is wrong with the request.

    >>> apply_correction(s, "exclude_review", review_id=42, editor="ana", reason="spam", params=Params())
    (Correction(...), [ScoreChange(drama_id=7, title='Soundtrack #1', before=81.2, after=79.0, ...)])
    """
    correction = record_correction(session, kind, editor=editor, reason=reason, **targets)
    return correction, _rescore(session, correction, params)


def apply_revocation(
    session: Session, correction_id: int, *, editor: str, params: Params
) -> tuple[Correction, list[ScoreChange]]:
    """`revoke_correction` then re-score the dramas it touched."""
    correction = revoke_correction(session, correction_id, editor=editor)
    return correction, _rescore(session, correction, params)
