"""Scrapy pipeline stage: a score inferred from each review's text, kept apart from the review's own score.

Runs after TextPipeline (it reads the cleaned ``item.body``). Every review with a body gets one, also those
with an explicit score, so agreement between the two can be measured on stored data
(``bench/inferred_scores.py``, ``docs/inferred-scores.md``). Off with ``DRAMASCORE_INFER_SCORES = False``.

Stats: ``dramascore/inferred/scored`` and ``dramascore/inferred/skipped/<reason>`` (``empty``,
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


def infer_review_score(item: ReviewItem, count: Count = _no_count) -> None:
    """Set ``inferred_score`` and ``inferred_method`` from ``item.body``; both None (reason counted) if it cannot.

    A body that gives no score records why in ``null_reasons["inferred_score"]``; a missing body only counts.
    Values from an earlier run are replaced, so re-running with a new METHOD redoes them.
    """
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

    def __init__(self, crawler):
        self.crawler = crawler
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.getbool("DRAMASCORE_INFER_SCORES", True):
            raise NotConfigured("DRAMASCORE_INFER_SCORES is off")
        analyzer()  # load VADER's lexicon now rather than while the first item waits
        return cls(crawler)

    def count(self, key: str) -> None:
        self.stats.inc_value(key)

    def process_item(self, item):
        if isinstance(item, ReviewItem):
            infer_review_score(item, self.count)
        return item
