"""The read-only JSON API under ``/api``: dramas, one drama, its reviews, sources and crawl runs (docs/api.md).

Every GET answers with a strong ETag and Cache-Control (`aggregator.web.caching`); bad parameters answer 422
naming the parameter (`aggregator.web.errors`); unknown ids 404. Lists page with ``page``/``per_page`` or
``offset``/``limit`` (not both); the answer carries ``total`` and ``next``/``prev`` links.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Response
from sqlalchemy import distinct, func, select
from sqlalchemy.orm import Session

from aggregator.store.queries import failures_of, source_of
from aggregator.scoring import BAND_LABELS, Result
from aggregator.store import catalog
from aggregator.store.consensus import ReviewLine, drama_consensus, drama_report
from aggregator.store.corrections import CorrectionSet
from aggregator.store.models import CrawlRun, Drama, DramaAlias, Review, Source
from aggregator.web import schemas
from aggregator.web.app import WebConfig, get_config, get_session
from aggregator.web.caching import cached_json
from aggregator.web.errors import ApiError, ApiRoute, BadParameter

RESPONSES = {
    304: {"description": "Not modified: the If-None-Match ETag is current"},
    422: {"model": ApiError, "description": "A bad parameter, named in the answer"},
}
NOT_FOUND = {404: {"model": ApiError, "description": "No drama with this id"}}
router = APIRouter(prefix="/api", route_class=ApiRoute, tags=["read"], responses=RESPONSES)

SORTS = Literal[tuple(s for key in catalog.SORTS for s in (key, "-" + key))]  # type: ignore[valid-type]
MAX_ID = 2**31 - 1  # the ids are 32-bit on PostgreSQL; larger is a bad parameter, not a server error
NoNul = r"^[^\x00]*$"  # PostgreSQL text cannot hold NUL

SessionDep = Annotated[Session, Depends(get_session)]
ConfigDep = Annotated[WebConfig, Depends(get_config)]
PageQ = Annotated[int | None, Query(ge=1, le=1_000_000, description="1-based page (with per_page)")]
PerPageQ = Annotated[int | None, Query(ge=1, le=catalog.MAX_LIMIT, description="items per page (default 50)")]
OffsetQ = Annotated[int | None, Query(ge=0, le=MAX_ID, description="items to skip (with limit; not with page)")]
LimitQ = Annotated[int | None, Query(ge=1, le=catalog.MAX_LIMIT, description="items to return (default 50)")]
DramaId = Annotated[int, Path(ge=1, le=MAX_ID, description="the drama's id")]


@dataclass(frozen=True)
class Paging:
    """Which slice of a list was asked for, and in which style (so the next link uses the same one)."""

    offset: int
    limit: int
    by_page: bool


def paging(page: int | None, per_page: int | None, offset: int | None, limit: int | None) -> Paging:
    """One slice from either parameter style; BadParameter when both are mixed.

    >>> paging(3, 20, None, None), paging(None, None, 40, None)
    (Paging(offset=40, limit=20, by_page=True), Paging(offset=40, limit=50, by_page=False))
    """
    if (offset is not None or limit is not None) and (page is not None or per_page is not None):
        name, value = ("offset", offset) if offset is not None else ("limit", limit)
        raise BadParameter(name, "use page/per_page or offset/limit, not both", value)
    if offset is not None or limit is not None:
        return Paging(offset or 0, limit or 50, by_page=False)
    size = per_page or 50
    return Paging(((page or 1) - 1) * size, size, by_page=True)


def _link(request: Request, p: Paging, offset: int) -> str:
    moved = {"page": offset // p.limit + 1, "per_page": p.limit} if p.by_page else {"offset": offset, "limit": p.limit}
    kept = [(k, v) for k, v in request.query_params.multi_items() if k not in ("page", "per_page", "offset", "limit")]
    return f"{request.url.path}?{urlencode(kept + list(moved.items()))}"


def page_fields(request: Request, p: Paging, total: int) -> dict:
    """The `schemas.Page` fields of one answer."""
    return {
        "total": total, "offset": p.offset, "limit": p.limit, "page": p.offset // p.limit + 1, "per_page": p.limit,
        "next": _link(request, p, p.offset + p.limit) if p.offset + p.limit < total else None,
        "prev": _link(request, p, max(0, p.offset - p.limit)) if p.offset > 0 else None,
    }  # fmt: skip


def _send(request: Request, config: WebConfig, payload) -> Response:
    return cached_json(request, payload, config.cache_seconds)


# --- dramas ----------------------------------------------------------------------------------------------


@router.get("/dramas", response_model=schemas.DramaList, summary="Dramas with their consensus")
def list_dramas(
    request: Request,
    session: SessionDep,
    config: ConfigDep,
    q: Annotated[str | None, Query(max_length=200, pattern=NoNul, description="title or alias contains")] = None,
    country: Annotated[str | None, Query(max_length=100, pattern=NoNul, description="e.g. South Korea")] = None,
    year: Annotated[int | None, Query(ge=1900, le=2100)] = None,
    min_reviews: Annotated[int, Query(ge=0, le=1_000_000, description="at least this many reviews")] = 0,
    band: Annotated[Literal[BAND_LABELS] | None, Query(description="score band label")] = None,  # type: ignore[valid-type]
    tbd: Annotated[bool | None, Query(description="true: only dramas without a firm score yet")] = None,
    sort: Annotated[SORTS, Query(description="sort key; '-' first for descending")] = "-score",
    page: PageQ = None,
    per_page: PerPageQ = None,
    offset: OffsetQ = None,
    limit: LimitQ = None,
) -> Response:
    p = paging(page, per_page, offset, limit)
    query = catalog.Query(
        q=q, country=country, year=year, min_reviews=min_reviews, band=band, tbd=tbd, sort=sort,
        offset=p.offset, limit=p.limit,
    )  # fmt: skip
    try:
        rows, total = catalog.list_dramas(session, query)
    except ValueError as exc:  # the catalogue's own checks, should the two ever disagree
        raise BadParameter(str(exc).split(" ", 1)[0], str(exc)) from exc
    items = [_drama_item(r) for r in rows]
    return _send(request, config, schemas.DramaList(items=items, **page_fields(request, p, total)))


def _drama_item(r: catalog.DramaSummary) -> schemas.DramaItem:
    return schemas.DramaItem(
        id=r.drama_id, title=r.title, native_title=r.native_title, year=r.year, country=r.country,
        episodes=r.episodes, needs_review=r.needs_review, score=r.score, ci_low=r.ci_low, ci_high=r.ci_high,
        stdev=r.stdev, n_reviews=r.n_reviews, n_scored=r.n_scored, n_inferred=r.n_inferred, band=r.band, tbd=r.tbd,
        agreement=r.agreement, last_review_at=r.last_review_at, href=f"/api/dramas/{r.drama_id}",
    )  # fmt: skip


def _drama(session: Session, drama_id: int) -> Drama:
    drama = session.get(Drama, drama_id)
    if drama is None:
        raise HTTPException(404, f"no drama with id {drama_id}")
    return drama


def consensus_out(result: Result, computed_at, stored: bool) -> schemas.ConsensusOut:
    r = result
    return schemas.ConsensusOut(
        score=r.score, mean=r.mean, median=r.median, stdev=r.stdev,
        interval=schemas.Interval(low=r.ci_low, high=r.ci_high), pct_positive=r.pct_positive,
        n_reviews=r.n_reviews, n_scored=r.n_scored, n_inferred=r.n_inferred, band=r.band, tbd=r.tbd,
        agreement=r.agreement, method=r.method, params=r.params, computed_at=computed_at, stored=stored,
    )  # fmt: skip


def breakdowns(result: Result) -> tuple[list[schemas.SourceBreakdown], list[schemas.EpisodePoint]]:
    """Per-source rows (share of the total weight) and the per-episode series, in source / episode order."""
    total = result.weight_sum
    sources = [
        schemas.SourceBreakdown(
            source=name, n_scored=int(s["n"]), mean=s["mean"], weight=s["weight"],
            share=s["weight"] / total if total > 0 else None,
        )
        for name, s in sorted(result.per_source.items())
    ]  # fmt: skip
    episodes = [
        schemas.EpisodePoint(episode=int(ep), n_scored=int(e["n"]), mean=e["mean"])
        for ep, e in sorted(result.per_episode.items(), key=lambda kv: int(kv[0]))
    ]
    return sources, episodes


@router.get(
    "/dramas/{drama_id}", response_model=schemas.DramaDetail, responses=NOT_FOUND, summary="One drama and its consensus"
)
def get_drama(request: Request, session: SessionDep, config: ConfigDep, drama_id: DramaId) -> Response:
    drama = _drama(session, drama_id)
    # The stored consensus only: drama_report would load and assess every review of the drama (bench/api.py).
    report = drama_consensus(session, drama.id, config.params)
    aliases = session.execute(
        select(DramaAlias.alias, Source.name, DramaAlias.site_id)
        .outerjoin(Source, Source.id == DramaAlias.source_id)
        .where(DramaAlias.drama_id == drama.id)
        .order_by(DramaAlias.id)
    )
    sources, episodes = breakdowns(report.result) if report.result else ([], [])
    target = report.merged_into
    detail = schemas.DramaDetail(
        id=drama.id, title=drama.title, native_title=drama.native_title, year=drama.year, country=drama.country,
        episodes=drama.episodes, needs_review=bool(drama.needs_review),
        aliases=[schemas.AliasOut(alias=a, source=s, site_id=site) for a, s, site in aliases],
        consensus=consensus_out(report.result, report.computed_at, report.stored) if report.result else None,
        per_source=sources, per_episode=episodes,
        merged_into=schemas.DramaRef(id=target.id, title=target.title, href=f"/api/dramas/{target.id}")
        if target else None,
        reviews_href=f"/api/dramas/{drama.id}/reviews",
    )  # fmt: skip
    return _send(request, config, detail)


# --- reviews ---------------------------------------------------------------------------------------------


def review_out(line: ReviewLine, title: str | None, body: str | None, show_spoilers: bool) -> schemas.ReviewOut:
    """One review as the API shows it: a spoiler's body withheld unless the reader asked to see spoilers."""
    withheld = bool(line.spoiler) and not show_spoilers and body is not None
    return schemas.ReviewOut(
        id=line.review_id, source=line.source, kind=line.kind, author=line.author, published_at=line.published_at,
        url=line.url, title=title, body=None if withheld else body, spoiler_withheld=withheld,
        score_raw=line.score_raw, score=line.score, inferred_score=line.inferred,
        inferred_method=line.inferred_method,
        flags=schemas.ReviewFlags(spoiler=line.spoiler, duplicate_of=line.duplicate_of, excluded=line.excluded,
                                  inferred=line.basis == "inferred"),
        status=line.status, value=line.value, basis=line.basis, weight=line.weight,
        superseded_by=line.superseded_by, moved_from=line.moved_from,
    )  # fmt: skip


@router.get(
    "/dramas/{drama_id}/reviews", response_model=schemas.ReviewList, responses=NOT_FOUND, summary="A drama's reviews"
)
def list_reviews(
    request: Request,
    session: SessionDep,
    config: ConfigDep,
    drama_id: DramaId,
    spoilers: Annotated[Literal["hide", "show"], Query(description="show: include spoiler bodies")] = "hide",
    page: PageQ = None,
    per_page: PerPageQ = None,
    offset: OffsetQ = None,
    limit: LimitQ = None,
) -> Response:
    p = paging(page, per_page, offset, limit)
    drama = _drama(session, drama_id)
    lines = drama_report(session, drama.id, config.params).reviews  # newest first
    shown = lines[p.offset : p.offset + p.limit]
    texts = {}
    if shown:
        query = select(Review.id, Review.title, Review.body).where(Review.id.in_([ln.review_id for ln in shown]))
        texts = {rid: (title, body) for rid, title, body in session.execute(query)}
    items = [review_out(ln, *texts.get(ln.review_id, (None, None)), spoilers == "show") for ln in shown]
    answer = schemas.ReviewList(drama_id=drama.id, items=items, **page_fields(request, p, len(lines)))
    return _send(request, config, answer)


# --- sources and runs ------------------------------------------------------------------------------------


@router.get("/sources", response_model=schemas.SourceList, summary="Review sources")
def list_sources(request: Request, session: SessionDep, config: ConfigDep) -> Response:
    weights = CorrectionSet.load(session).source_weights
    query = (
        select(Source, func.count(Review.id), func.count(distinct(Review.drama_id)), func.max(Review.last_seen_at))
        .outerjoin(Review, Review.source_id == Source.id)
        .group_by(Source.id)
        .order_by(Source.name)
    )
    items = [
        schemas.SourceOut(
            id=s.id, name=s.name, kind=s.kind, base_url=s.base_url, weight=s.weight,
            effective_weight=weights.get(s.id, s.weight), n_reviews=n, n_dramas=dramas, last_seen_at=last,
        )
        for s, n, dramas, last in session.execute(query)
    ]  # fmt: skip
    return _send(request, config, schemas.SourceList(total=len(items), items=items))


@router.get("/runs", response_model=schemas.RunList, summary="Crawl runs, newest first")
def list_runs(
    request: Request,
    session: SessionDep,
    config: ConfigDep,
    status: Annotated[Literal["running", "finished", "failed"] | None, Query()] = None,
    page: PageQ = None,
    per_page: PerPageQ = None,
    offset: OffsetQ = None,
    limit: LimitQ = None,
) -> Response:
    p = paging(page, per_page, offset, limit)
    query = select(CrawlRun)
    if status:
        query = query.where(CrawlRun.status == status)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    newest_first = query.order_by(CrawlRun.started_at.desc(), CrawlRun.id.desc())
    runs = session.scalars(newest_first.offset(p.offset).limit(p.limit))
    items = [
        schemas.RunOut(
            id=r.id, spider=r.spider, source=source_of(r), status=r.status, started_at=r.started_at,
            finished_at=r.finished_at, pages=r.pages, reviews_new=r.reviews_new, reviews_updated=r.reviews_updated,
            reviews_unchanged=r.reviews_unchanged, items_dropped=r.items_dropped,
            drops={str(k): int(v) for k, v in (r.drops or {}).items()}, errors=r.errors, failures=failures_of(r),
        )
        for r in runs
    ]  # fmt: skip
    return _send(request, config, schemas.RunList(items=items, **page_fields(request, p, total)))
