"""The JSON API's response models: they make the OpenAPI document, and docs/api.md describes them.

Scores are on 0-100. Adding a field is compatible; renaming, removing or retyping one is a breaking change
(see docs/api.md, "Versioning"). Links (``href``, ``next``) are paths on this server, without host.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class Page(BaseModel):
    """Where a page sits in its list. ``next`` / ``prev`` repeat the request with the page moved (None at an end)."""

    total: int = Field(description="items matching the request, on every page")
    offset: int
    limit: int
    page: int = Field(description="1-based page number (offset // limit + 1)")
    per_page: int
    next: str | None = None
    prev: str | None = None


class DramaItem(BaseModel):
    """One drama in the list, with its consensus (score fields are None until it has been scored)."""

    id: int
    title: str
    native_title: str | None
    year: int | None
    country: str | None
    episodes: int | None
    needs_review: bool = Field(description="an editor should check whether it duplicates another drama")
    score: float | None = Field(description="consensus score, 0-100")
    ci_low: float | None = Field(description="95% interval of the weighted mean, low end")
    ci_high: float | None
    stdev: float | None = Field(description="weighted standard deviation of the counted opinions")
    n_reviews: int = Field(description="voices (one per author) once scored, else stored reviews")
    n_scored: int
    n_inferred: int
    band: str | None
    tbd: bool = Field(description="too few scored voices for a firm score")
    agreement: str | None
    last_review_at: datetime | None
    href: str


class DramaList(Page):
    items: list[DramaItem]


class Interval(BaseModel):
    """The 95% interval of the weighted mean (None with fewer than two counted voices)."""

    low: float | None
    high: float | None
    level: float = 0.95


class ConsensusOut(BaseModel):
    """A drama's consensus and what made it: ``method`` and the scoring ``params``."""

    score: float | None
    mean: float | None
    median: float | None
    stdev: float | None
    interval: Interval
    pct_positive: float | None = Field(description="share of weight from opinions >= the positive cutoff, 0-100")
    n_reviews: int
    n_scored: int
    n_inferred: int
    band: str | None
    tbd: bool
    agreement: str | None
    method: str
    params: dict[str, Any]
    computed_at: datetime | None = Field(description="when it was stored; None: computed for this answer")
    stored: bool


class SourceBreakdown(BaseModel):
    source: str
    n_scored: int = Field(description="voices from this source with a value")
    mean: float = Field(description="their weighted mean, 0-100")
    weight: float = Field(description="their summed weight")
    share: float | None = Field(description="weight / the drama's total weight, 0-1")


class EpisodePoint(BaseModel):
    episode: int
    n_scored: int
    mean: float


class AliasOut(BaseModel):
    alias: str
    source: str | None
    site_id: str | None


class DramaRef(BaseModel):
    id: int
    title: str
    href: str


class DramaDetail(BaseModel):
    """One drama: its names, consensus, per-source breakdown and per-episode series."""

    id: int
    title: str
    native_title: str | None
    year: int | None
    country: str | None
    episodes: int | None
    needs_review: bool
    aliases: list[AliasOut]
    consensus: ConsensusOut | None = Field(description="None when the drama was merged into another")
    per_source: list[SourceBreakdown]
    per_episode: list[EpisodePoint]
    merged_into: DramaRef | None = Field(description="the drama an editor merged this one into")
    reviews_href: str


class ReviewFlags(BaseModel):
    spoiler: bool | None = Field(description="the review gives away the plot; None: unknown")
    duplicate_of: int | None = Field(description="the review this one repeats (it does not count)")
    excluded: bool = Field(description="an editor left it out of the consensus")
    inferred: bool = Field(description="its value in the consensus was inferred from the text")


class ReviewOut(BaseModel):
    """One review, its flags, and what the consensus made of it (``status``, ``value``, ``weight``)."""

    id: int
    source: str
    kind: str = Field(description="review | comment")
    author: str | None
    published_at: datetime | None
    url: str
    title: str | None
    body: str | None = Field(description="None when withheld as a spoiler (see spoiler_withheld) or absent")
    spoiler_withheld: bool
    score_raw: str | None = Field(description="the score as the site wrote it")
    score: float | None = Field(description="the score normalised to 0-100")
    inferred_score: float | None
    inferred_method: str | None
    flags: ReviewFlags
    status: str = Field(description="counted | zero_weight | unscored | superseded | excluded | duplicate")
    value: float | None = Field(description="the value the consensus used, 0-100")
    basis: str | None = Field(description="explicit | episodes | editor | inferred")
    weight: float
    superseded_by: int | None
    moved_from: int | None = Field(description="the drama it was crawled under, when an editor moved it here")


class ReviewList(Page):
    drama_id: int
    items: list[ReviewOut]


class SourceOut(BaseModel):
    id: int
    name: str
    kind: str | None
    base_url: str | None
    weight: float = Field(description="configured weight in the consensus")
    effective_weight: float = Field(description="the weight scoring uses (an editor's correction, else weight)")
    n_reviews: int
    n_dramas: int
    last_seen_at: datetime | None = Field(description="when a crawl last saw one of its reviews")


class SourceList(BaseModel):
    total: int
    items: list[SourceOut]


class RunOut(BaseModel):
    id: int
    spider: str
    source: str
    status: str = Field(description="running | finished | failed")
    started_at: datetime
    finished_at: datetime | None
    pages: int
    reviews_new: int
    reviews_updated: int
    reviews_unchanged: int
    items_dropped: int
    drops: dict[str, int] = Field(description="dropped items by reason")
    errors: int
    failures: list[str] = Field(description="why the run failed, when it did")


class RunList(Page):
    items: list[RunOut]
