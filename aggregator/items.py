"""Typed review items: what a spider extracts (raw) and what the pipelines fill in (normalised).

Extraction fills only the ``*_raw`` fields and the plain identifiers; every normalised field starts as
``None`` and is set by one pipeline stage. When a stage leaves a field ``None`` although a raw value was
present, it records why in ``null_reasons`` (field name -> reason), so a null is never silent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class Rating:
    """One partial score: an aspect of the show (Story, Music...) or one episode."""

    score_raw: str
    """The score as the page wrote it: ``"9.0"``, ``"Review Score – 4/5"``."""
    aspect_raw: str | None = None
    """Aspect label as written (``"Acting/Cast"``); ``None`` for an episode score."""
    aspect: str | None = None
    """Aspect key: ``story``, ``acting``, ``music``, ``rewatch`` or the label lower-cased."""
    episode: int | None = None
    """Episode number for a per-episode score; ``None`` for an aspect."""
    score: float | None = None
    """Normalised score 0-100, ``None`` when the raw value is missing or nonsense."""
    scale: str | None = None
    """Scale the raw score was read on: ``"10"``, ``"5"``, ``"100"``, ``"letter"``."""


@dataclass
class ReviewItem:
    """One review or forum post about one drama, raw and normalised fields side by side."""

    # --- identity -------------------------------------------------------------------------------------
    source: str
    """Source name from settings/sources file, e.g. ``"mydramalist"``."""
    source_review_id: str
    """The review's id on its source (``"249745"``); unique per source."""
    url: str
    """Canonical URL of the review (or of the page that shows it, with a fragment)."""
    kind: str = "review"
    """``review`` (a review or critic post) or ``comment`` (a forum comment or blog comment about the drama)."""

    # --- the drama, as the source names it --------------------------------------------------------------
    drama_title: str | None = None
    """Drama title exactly as the source writes it (``"The Glory"``)."""
    drama_site_id: str | None = None
    """The drama's id on the source (``"685237"``), ``None`` where the site has none."""
    drama_url: str | None = None
    """URL of the drama's page on the source."""
    drama_native_title: str | None = None
    """Title in the original script (``"더 글로리"``), kept as an alias."""
    drama_year: int | None = None
    """First-air year as the source gives it."""
    drama_episodes: int | None = None
    """Episode count as the source gives it."""
    drama_country: str | None = None
    """Country of origin as the source writes it (``"South Korea"``)."""

    # --- author -----------------------------------------------------------------------------------------
    author_raw: str | None = None
    """Byline as written (``"By Jass K."``, ``"unterwegsimkoreanischenD"``)."""
    author_url: str | None = None
    """Profile URL when the byline links to one."""
    author_handle: str | None = None
    """Stable identity: the handle from the profile URL, else the cleaned name; ``None`` for deleted/anonymous."""
    author_name: str | None = None
    """Display name, cleaned (``"Jass K."``)."""

    # --- date -------------------------------------------------------------------------------------------
    published_raw: str | None = None
    """The review's own publication date as written (``"Dec 30, 2022"``, ``"3 days ago"``, epoch)."""
    published_at: datetime | None = None
    """Publication time in UTC (timezone-aware); ``None`` when missing, unparseable or implausible."""
    published_relative: bool = False
    """``published_raw`` is relative ("3 days ago"): ``published_at`` then depends on the crawl time."""

    # --- scores -----------------------------------------------------------------------------------------
    score_raw: str | None = None
    """Overall score as written (``"10"``, ``"4/5"``, ``"★★★½"``)."""
    score: float | None = None
    """Overall score normalised to 0-100; a missing score is ``None``, never 0."""
    score_scale: str | None = None
    """Scale the overall score was read on (``"10"``, ``"5"``, ``"100"``, ``"letter"``)."""
    inferred_score: float | None = None
    """A 0-100 score inferred from the text when the review gives none; never mixed into ``score``."""
    inferred_method: str | None = None
    """What made ``inferred_score`` (``"vader-3.3.2/v1"``), so inferred values can be told apart and redone."""
    sub_scores: list[Rating] = field(default_factory=list)
    """Aspect scores (Story, Acting/Cast, Music, Rewatch Value...)."""
    episode_scores: list[Rating] = field(default_factory=list)
    """Per-episode scores (episode guides)."""

    # --- spoilers ---------------------------------------------------------------------------------------
    spoiler_flag_raw: bool | None = None
    """The platform's own spoiler flag where it has one (Reddit's post ``spoiler``)."""
    spoiler_marker_raw: str | None = None
    """An explicit spoiler marker found on the page (``"This review may contain spoilers"``), verbatim."""
    spoiler: bool | None = None
    """``True`` / ``False`` when known, ``None`` for unknown."""
    spoiler_reason: str | None = None
    """Why ``spoiler`` has its value (``"marker: This review may contain spoilers"``, ``"title: spoiler free"``)."""

    # --- text -------------------------------------------------------------------------------------------
    title: str | None = None
    """The review's own headline, if any."""
    body_raw: str | None = None
    """Body as captured (HTML fragment or text), kept so a text fix can be re-applied without re-crawling."""
    body: str | None = None
    """Plain text: markup stripped, paragraphs kept, a body captured twice in a row collapsed to one."""

    # --- reader signals ---------------------------------------------------------------------------------
    helpful_votes: int | None = None
    """People who found the review helpful."""
    episodes_seen: int | None = None
    """Episodes the reviewer had watched."""
    episodes_total: int | None = None
    """Episodes of the drama at the time of the review, as the review block says."""
    watch_status_raw: str | None = None
    """Watch status as written (``"Completed"``)."""
    watch_status: str | None = None
    """``completed`` / ``ongoing`` / ``dropped`` or ``None``."""
    language: str | None = None
    """Language of the review text (BCP 47, ``"en"``) where the source says or the spider knows."""

    # --- bookkeeping ------------------------------------------------------------------------------------
    crawled_at: datetime | None = None
    """When the page was fetched (UTC); relative dates ("3 days ago") are resolved against it."""
    null_reasons: dict[str, str] = field(default_factory=dict)
    """Field name -> why a normalised field is ``None`` although its raw value was present."""


@dataclass
class DramaListing:
    """A drama discovered on a listing page (not stored as a review; used for navigation and tests)."""

    site_id: str
    """The drama's id on the source."""
    url: str
    """Absolute URL of the drama's main page."""
    title: str
    """Title as the listing writes it."""
