"""Scrapy pipeline stage: a score inferred from each review's text, kept apart from the review's own score.

Runs after TextPipeline (it reads the cleaned ``item.body``) and ScorePipeline. ``DRAMASCORE_INFER_SCORES``:
``"unscored"`` (the default; ``True`` means the same) infers only for reviews with neither an explicit nor an
episode score, the only ones scoring uses it for: VADER is the costliest step of a crawl. ``"all"`` infers for
every review with a body, so agreement with explicit scores can be measured on stored data
(``bench/inferred_scores.py`` computes its own). ``False`` turns the stage off.

Stats: ``dramascore/inferred/scored`` and ``dramascore/inferred/skipped/<reason>`` (``has_score``, ``empty``,
``too_short``, ``not_english``, ``no_sentiment``).
"""

from __future__ import annotations

from collections.abc import Callable

from scrapy.exceptions import NotConfigured

from aggregator.items import ReviewItem
from pipelines.normalise.sentiment import METHOD, analyzer, infer_score_with_reason

Count = Callable[[str], None]


def _no_count(key: str) -> None:
    return None


MODES = ("unscored", "all")


def infer_mode(value: object) -> str | None:
    """``DRAMASCORE_INFER_SCORES`` as a mode: "unscored", "all", or None (off); ValueError for anything else.

    >>> infer_mode(True), infer_mode("all"), infer_mode("false")
    ('unscored', 'all', None)
    """
    text = str(value).strip().lower()
    if text in ("true", "1", "yes", "on", "unscored"):
        return "unscored"
    if text == "all":
        return "all"
    if text in ("false", "0", "no", "off", "none", ""):
        return None
    raise ValueError(f"DRAMASCORE_INFER_SCORES must be 'unscored', 'all' or False, got {value!r}")


def has_own_score(item: ReviewItem) -> bool:
    """True when scoring has a better value than an inferred one: an explicit or an episode score."""
    return item.score is not None or any(r.score is not None for r in item.episode_scores)


def infer_review_score(item: ReviewItem, count: Count = _no_count, *, mode: str = "unscored") -> None:
    """Set ``inferred_score`` and ``inferred_method`` from ``item.body``; both None (reason counted) if it cannot.

    A body that gives no score records why in ``null_reasons["inferred_score"]``; a missing body only counts.
    Values from an earlier run are replaced, so re-running with a new METHOD redoes them. In ``"unscored"``
    mode a review with its own score gets none (counted as ``has_score``).
    """
    if mode == "unscored" and has_own_score(item):
        item.inferred_score = item.inferred_method = None
        item.null_reasons.pop("inferred_score", None)
        count("dramascore/inferred/skipped/has_score")
        return
    value, reason = infer_score_with_reason(item.body, language=item.language)
    item.inferred_score = value
    item.inferred_method = METHOD if value is not None else None
    if value is not None:
        item.null_reasons.pop("inferred_score", None)
        count("dramascore/inferred/scored")
        return
    if item.body:
        item.null_reasons["inferred_score"] = reason
    count(f"dramascore/inferred/skipped/{reason}")


class InferScorePipeline:
    """Fills ``inferred_score`` / ``inferred_method`` of review items (see :func:`infer_review_score`)."""

    def __init__(self, crawler, mode: str):
        self.crawler = crawler
        self.stats = crawler.stats
        self.mode = mode

    @classmethod
    def from_crawler(cls, crawler):
        mode = infer_mode(crawler.settings.get("DRAMASCORE_INFER_SCORES", "unscored"))
        if mode is None:
            raise NotConfigured("DRAMASCORE_INFER_SCORES is off")
        analyzer()  # load VADER's lexicon now rather than while the first item waits
        return cls(crawler, mode)

    def count(self, key: str) -> None:
        self.stats.inc_value(key)

    def process_item(self, item):
        if isinstance(item, ReviewItem):
            infer_review_score(item, self.count, mode=self.mode)
        return item
