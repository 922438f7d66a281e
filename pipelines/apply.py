"""Item-level normalisation steps: each applies one pure normaliser to a ReviewItem's raw fields.

Shared by the Scrapy stages (one stage per step) and by `dramascore extract`, so a page checked from the
command line is normalised exactly as a crawl would normalise it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from aggregator.items import Rating, ReviewItem
from aggregator.sources import SourceConfig
from pipelines.normalise.authors import author_identity
from pipelines.normalise.dates import is_relative_date, parse_date_with_reason
from pipelines.normalise.scores import aspect_key, parse_score_with_reason
from pipelines.normalise.spoilers import spoiler_with_reason
from pipelines.normalise.status import watch_status
from pipelines.normalise.text import clean_body, fold_whitespace, lead_paragraph

Count = Callable[[str], None]


def _no_count(key: str) -> None:
    return None


@dataclass(frozen=True)
class NormaliseConfig:
    """Per-source knowledge the normalisers need; read from Scrapy settings."""

    default_scales: Mapping[str, float] = field(default_factory=dict)
    """Source -> scale of a bare number ("9.0" on MyDramaList means 9/10)."""
    day_first: Mapping[str, bool] = field(default_factory=dict)
    """Source -> whether "03/04/2022" is 3 April (True) or 4 March (False)."""
    date_languages: Mapping[str, Sequence[str]] = field(default_factory=dict)
    """Source -> dateparser language hints for dates the fast path does not know."""
    infer: str | None = "unscored"
    """Which reviews get a score inferred from their text: "unscored", "all" or None (``pipelines.infer``)."""

    @classmethod
    def from_settings(cls, settings, sources: Sequence[SourceConfig] = ()) -> NormaliseConfig:
        """Settings dicts, overridden by what each source's configuration says of itself."""
        scales = dict(settings.getdict("DRAMASCORE_DEFAULT_SCALES"))
        day_first = dict(settings.getdict("DRAMASCORE_DAY_FIRST"))
        languages = dict(settings.getdict("DRAMASCORE_DATE_LANGUAGES"))
        for source in sources:
            if source.default_scale is not None:
                scales[source.name] = source.default_scale
            day_first[source.name] = source.day_first
            if source.language:
                languages.setdefault(source.name, [source.language.split("-")[0]])
        from pipelines.infer import infer_mode

        return cls(
            default_scales=scales, day_first=day_first, date_languages=languages,
            infer=infer_mode(settings.get("DRAMASCORE_INFER_SCORES", "unscored")),
        )  # fmt: skip


def _null(item: ReviewItem, name: str, reason: str | None, count: Count) -> None:
    reason = reason or "unknown"
    item.null_reasons[name] = reason
    count(f"dramascore/null/{name}/{reason}")


def normalise_author(item: ReviewItem, cfg: NormaliseConfig, count: Count = _no_count) -> None:
    item.author_handle, item.author_name = author_identity(item.author_raw, item.author_url)
    if item.author_raw and item.author_handle is None:
        _null(item, "author_handle", "anonymous", count)


def normalise_text(item: ReviewItem, cfg: NormaliseConfig, count: Count = _no_count) -> None:
    item.title = fold_whitespace(item.title)
    item.body = clean_body(item.body_raw)
    if item.body_raw and item.body is None:
        _null(item, "body", "empty", count)


def normalise_date(item: ReviewItem, cfg: NormaliseConfig, count: Count = _no_count) -> None:
    if item.crawled_at is None:
        # Relative dates need the fetch time; the item was fetched moments ago.
        item.crawled_at = datetime.now(UTC)
    if item.published_raw is None:
        item.published_at = None
        return
    options = {"day_first": cfg.day_first.get(item.source, False), "languages": cfg.date_languages.get(item.source)}
    item.published_at, reason = parse_date_with_reason(item.published_raw, crawl_time=item.crawled_at, **options)
    item.published_relative = item.published_at is not None and is_relative_date(item.published_raw, **options)
    if item.published_at is None:
        _null(item, "published_at", reason, count)


def _rating(rating: Rating, scale: float | None, name: str, item: ReviewItem, count: Count) -> None:
    parsed, reason = parse_score_with_reason(rating.score_raw, default_scale=scale)
    rating.score, rating.scale = (parsed.value, parsed.scale) if parsed else (None, None)
    if rating.aspect_raw is not None:
        rating.aspect = aspect_key(rating.aspect_raw)
    if parsed is None and rating.score_raw:
        _null(item, name, reason, count)


def normalise_scores(item: ReviewItem, cfg: NormaliseConfig, count: Count = _no_count) -> None:
    scale = cfg.default_scales.get(item.source)
    parsed, reason = parse_score_with_reason(item.score_raw, default_scale=scale)
    item.score, item.score_scale = (parsed.value, parsed.scale) if parsed else (None, None)
    if parsed is None and item.score_raw:
        _null(item, "score", reason, count)
    for rating in item.sub_scores:
        _rating(rating, scale, f"sub_score:{rating.aspect_raw}", item, count)
    for rating in item.episode_scores:
        _rating(rating, scale, f"episode_score:{rating.episode}", item, count)


_SPOILER_LABEL = {True: "true", False: "false", None: "unknown"}


def normalise_spoiler(item: ReviewItem, cfg: NormaliseConfig, count: Count = _no_count) -> None:
    # Runs after normalise_text: the lead paragraph comes from the cleaned body, inline markup from the raw one.
    item.spoiler, item.spoiler_reason = spoiler_with_reason(
        flag=item.spoiler_flag_raw,
        marker=item.spoiler_marker_raw,
        title=item.title,
        lead=lead_paragraph(item.body),
        body=item.body_raw,
    )
    count(f"dramascore/spoiler/{_SPOILER_LABEL[item.spoiler]}")


def normalise_status(item: ReviewItem, cfg: NormaliseConfig, count: Count = _no_count) -> None:
    item.watch_status = watch_status(item.watch_status_raw)
    if item.watch_status_raw and item.watch_status is None:
        _null(item, "watch_status", "unrecognised", count)


def normalise_inferred(item: ReviewItem, cfg: NormaliseConfig, count: Count = _no_count) -> None:
    # Imported here: loading VADER's lexicon is only worth it when a score is actually inferred.
    from pipelines.infer import infer_review_score

    if cfg.infer is not None:
        infer_review_score(item, count, mode=cfg.infer)


STEPS = (
    normalise_author,
    normalise_text,
    normalise_date,
    normalise_scores,
    normalise_spoiler,
    normalise_inferred,
    normalise_status,
)


def normalise_item(item: ReviewItem, cfg: NormaliseConfig, count: Count = _no_count) -> ReviewItem:
    """Apply every step in crawl order; returns the same (mutated) item."""
    for step in STEPS:
        step(item, cfg, count)
    return item
