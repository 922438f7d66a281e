"""Render the demo site: MyDramaList-shaped HTML pages built from ``content.json``.

Only the markup's *structure* (tags, classes, nesting) follows MyDramaList, so the real spider and its
extractors work unchanged against the demo; every word of content is ours. Every value taken from the
data goes through :func:`e` (``html.escape``); the only markup in a review body is the ``<br />``
between paragraphs and the ``<b>`` the data asks for explicitly with ``{"b": "..."}``.
"""

from __future__ import annotations

import json
import math
from html import escape
from importlib import resources

LISTING_PATH = "/shows/popular"
LISTING_PER_PAGE = 4
REVIEWS_PER_PAGE = 10
# The real drama page previews its first two reviews and links to the full list.
MAIN_PAGE_REVIEWS = 2
# Pagination shows at most this many page numbers, like the real site's window.
PAGE_WINDOW = 5

COUNTRY_ADJECTIVE = {"South Korea": "Korean", "China": "Chinese", "Japan": "Japanese", "Thailand": "Thai"}
STATUS_CLASS = {"Completed": "completed", "Ongoing": "ongoing", "Dropped": "dropped"}


def e(value: object) -> str:
    """Escape any value for text or a double-quoted attribute."""
    return escape(str(value), quote=True)


def load_content() -> dict:
    """The demo data, parsed fresh from the package (callers may mutate their copy)."""
    text = resources.files("aggregator.demo").joinpath("content.json").read_text(encoding="utf-8")
    return json.loads(text)


def drama_path(drama: dict) -> str:
    return f"/{drama['id']}-{drama['slug']}"


def reviews_path(drama: dict) -> str:
    return f"{drama_path(drama)}/reviews"


def page_count(items: int, per_page: int) -> int:
    return max(1, math.ceil(items / per_page))


def page_key(path: str, page: int) -> str:
    """Route key of a paginated page; the server normalises requests to the same form."""
    return f"{path}?page={page}"


# --- shared pieces -------------------------------------------------------------------------------------


def document(title: str, body: str) -> str:
    """A full HTML document; the page content sits in ``div#content`` like on the real site."""
    return (
        '<!DOCTYPE html>\n<html lang="en-US">\n<head>\n<meta charset="utf-8" />\n'
        f"<title>{e(title)} - dramascore demo</title>\n"
        '<div id="content" class="slideout-panel slideout-panel-right">\n'
        f'<div class="app-body">\n{body}\n</div>\n</div>\n'
        '<footer class="text-center text-muted"><small>dramascore demo site: invented dramas and reviews, '
        "written for testing the crawler.</small></footer>\n</body>\n</html>\n"
    )


def pagination(path: str, page: int, pages: int) -> str:
    """``ul.pagination`` as on the real listing: numbers, then next/last unless on the last page."""
    if pages <= 1:
        return ""
    first = max(1, min(page - PAGE_WINDOW // 2, pages - PAGE_WINDOW + 1))
    items = []
    for n in range(first, min(pages, first + PAGE_WINDOW - 1) + 1):
        if n == page:
            items.append(f'<li class="page-item active"><a class="page-link" href="">{n}</a></li>')
        else:
            items.append(f'<li class="page-item"><a class="page-link" href="{e(page_key(path, n))}">{n}</a></li>')
    if page < pages:
        items.append(f'<li class="page-item next"><a class="page-link" href="{e(page_key(path, page + 1))}"></a></li>')
        items.append(f'<li class="page-item last"><a class="page-link" href="{e(page_key(path, pages))}"></a></li>')
    return '<ul class="pagination">' + "".join(items) + "</ul>"


def subtitle(drama: dict) -> str:
    return f"{drama['native_title']} \u2027 Drama \u2027 {drama['year']}"


def listing_label(drama: dict) -> str:
    adjective = COUNTRY_ADJECTIVE.get(drama["country"], drama["country"])
    return f"{adjective} Drama - {drama['year']}, {drama['episodes']} episodes"


# --- drama header (main page and reviews pages) --------------------------------------------------------


def drama_header(drama: dict, active: str) -> str:
    """Title, subtitle and nav tabs; on reviews pages the title links back to the main page."""
    base = drama_path(drama)
    title = e(drama["title"]) if active == "details" else f'<a href="{e(base)}">{e(drama["title"])}</a>'
    tabs = [
        ("details", base, "Details"),
        ("episodes", f"{base}/episodes", "Episode Guide"),
        ("cast", f"{base}/cast", "Cast & Crew"),
        ("reviews", f"{base}/reviews", "Reviews"),
        ("recs", f"{base}/recs", "Recommendations"),
    ]
    tab_html = "".join(
        f'<li class="page-item nav-item{" active" if key == active else ""}">'
        f'<a class="nav-link" href="{e(href)}">{e(label)}</a></li>\n'
        for key, href, label in tabs
    )
    return (
        '<div class="box-header box-navbar mdl-component" data-component="show-view">\n'
        f'<h1 class="film-title">{title}</h1>\n'
        f'<div class="film-subtitle text-sm"><span>{e(subtitle(drama))}</span></div>\n'
        f'<ul class="nav nav-tabs">\n{tab_html}</ul>\n</div>'
    )


def detail_item(label: str, value_html: str) -> str:
    return f'<li class="list-item p-a-0"><b class="inline">{e(label)}:</b> {value_html}</li>\n'


def drama_details(drama: dict) -> str:
    """Score box, synopsis and the details list (Native Title, Country, Episodes, Aired...)."""
    base, count = drama_path(drama), len(drama["reviews"])
    native = f'<a href="{e(base)}" title="{e(drama["native_title"])}">{e(drama["native_title"])}</a>'
    items = (
        detail_item("Native Title", native)
        + detail_item("Country", e(drama["country"]))
        + detail_item("Type", "Drama")
        + detail_item("Episodes", e(drama["episodes"]))
        + detail_item("Aired", e(drama["aired"]))
        + detail_item("Score", f'{e(drama["score"])} <span class="hft">(scored by {e(drama["raters"])} users)</span>')
    )
    return (
        '<div class="box-body">\n<div class="row">\n<div id="show-detailsxx" class="col-sm-8">\n'
        f'<div class="row no-gutter"><div class="col-film-rating" data-id="{e(drama["id"])}">'
        f'<div class="box deep-orange">{e(drama["score"])}</div></div>\n'
        '<div class="col-xs-8 col-sm-9 col-lg-9">'
        f'<div class="hfs">Ratings: <b>{e(drama["score"])}</b>/10 from {e(drama["raters"])} users</div>\n'
        f'<div class="hfs">Reviews: <a class="text-primary" href="{e(reviews_path(drama))}">{count} users</a></div>'
        "</div></div>\n"
        f'<hr class="m-t-sm m-b-sm" />\n<div class="show-synopsis"><p><span>{e(drama["synopsis"])}</span></p></div>\n'
        f'<div class="show-detailsxss"><ul class="list m-a-0">\n{items}</ul></div>\n'
        "</div>\n</div>\n</div>"
    )


def details_side_box(drama: dict) -> str:
    """The sidebar "Details" box the real site shows beside every title page, reviews pages included."""
    items = (
        detail_item("Title", f"<span>{e(drama['title'])}</span>")
        + detail_item("Type", "<span>Drama</span>")
        + detail_item("Country", e(drama["country"]))
        + detail_item("Episodes", e(drama["episodes"]))
        + detail_item("Aired", e(drama["aired"]))
    )
    return (
        '<div class="box clear hidden-sm-down">\n<div class="box-header primary"><h3>Details</h3></div>\n'
        f'<div class="box-body light-b"><ul class="list m-b-0">\n{items}</ul></div>\n</div>'
    )


# --- one review ----------------------------------------------------------------------------------------


def paragraph_html(paragraph: str | list) -> str:
    """A paragraph is plain text, or a list of text and ``{"b": text}`` parts for bold runs."""
    if isinstance(paragraph, str):
        return e(paragraph)
    return "".join(e(part) if isinstance(part, str) else f"<b>{e(part['b'])}</b>" for part in paragraph)


def body_paragraphs(review: dict) -> list:
    """Paragraphs as served; ``captured_twice`` repeats all but the first, like a real double capture."""
    paragraphs = list(review["paragraphs"])
    if review.get("captured_twice"):
        paragraphs += paragraphs[1:]
    return paragraphs


def rating_box(review: dict) -> str:
    """The Overall/aspect box; a review without an overall score has no box at all."""
    if review.get("overall") is None:
        return ""
    aspects = "".join(
        f'<div>{e(label)} <span class="p-l-md pull-right">{e(score)}</span></div>\n'
        for label, score in (review.get("ratings") or {}).items()
    )
    return (
        '<div class="box pull-right text-sm m-a-sm">\n'
        '<div class="box-header p-t-sm p-b-sm rating-overall">'
        f'<b>Overall <span class="score pull-right">{e(review["overall"])}</span></b></div>\n'
        f'<div class="box-body p-t-sm p-b-sm"><div class="list-group review-rating">\n{aspects}</div></div>\n'
        "</div>\n"
    )


def helpful_block(rid: str) -> str:
    buttons = "".join(
        f'<button class="btn btn-xs white {cls}" data-id="{rid}"{extra}><span>{label}</span></button>'
        for cls, extra, label in (
            ("helpful review-cast-helpful", ' data-label="Yes"', "Yes"),
            ("unhelpful review-cast-helpful", ' data-label="No"', "No"),
            ("review-cancel-vote", "", "Cancel"),
        )
    )
    return (
        f'<div class="review-helpful m-t p-t xb-t"><div class="review-vote review-helpful-{rid}">'
        f'<span class="text-muted">Was this review helpful to you?</span>{buttons}</div></div>\n'
    )


def review_block(review: dict, drama: dict) -> str:
    """One ``div.review``: byline column, meta column, then the body with its rating box."""
    rid, handle = e(review["id"]), e(review["handle"])
    status = e(review["status"])
    tag = f'<span class="review-tag {e(STATUS_CLASS[review["status"]])}">{status}</span>'
    permalink = f"/profile/{handle}/review/{rid}"
    comments = f'<small><a href="{permalink}"><i class="fal fa-comments-alt"></i> {e(review["comments"])}</a></small>'
    spoiler = '<div class="review-spoiler">This review may contain spoilers</div>\n' if review.get("spoiler") else ""
    headline = f"<p><strong>{e(review['headline'])}</strong></p>\n" if review.get("headline") else ""
    body = "<br /><br />".join(paragraph_html(p) for p in body_paragraphs(review))
    return (
        f'<div id="review-{rid}" class="review" data-stats="reviews:{rid}">\n'
        '<div class="box-body light b-t b-b p-t-sm p-b-sm">\n<div class="row no-gutter">\n'
        '<div class="col-sm-9">\n<div class="pull-left m-r"><span class="avatar w-56"></span></div>\n<div>\n'
        f'<div class="pull-right hidden-sm-up">{tag}</div>\n'
        f'<b><a class="text-primary" href="/profile/{handle}">{e(review["name"])}</a></b>\n'
        f'<div class="user-stats review_stats_{rid}">'
        f'<small><b>{e(review["helpful"])}</b> people found this review helpful</small>'
        f'<i class="review-voted-check review-voted-check-{rid}"></i></div>\n'
        '<div class="more-reviews"><small><a class="text-primary" '
        f'href="/profile/{handle}/reviews">Other reviews by this user</a></small>'
        f'<div class="hidden-sm-up pull-right">{comments}</div></div>\n'
        "</div>\n</div>\n"
        '<div class="col-sm-3 text-sm text-right hidden-xs-down">\n'
        f'<div class="meta"><small class="datetime">{e(review["date"])}</small>\n'
        f'<div class="episodes-seen text-muted"><b>{e(review["seen"])}</b> of '
        f'<b>{e(drama["episodes"])}</b> episodes seen</div></div>\n'
        f'<div class="actions">{tag}{comments}</div>\n'
        "</div>\n</div>\n</div>\n"
        '<div class="box-body">\n<div class="row">\n<div class="col-sm-12 review-body">\n'
        f"{rating_box(review)}{spoiler}{headline}{body}\n"
        '<p class="read-more"><a href="#" class="button">Read More</a></p>\n'
        f"{helpful_block(rid)}"
        "</div>\n</div>\n</div>\n</div>\n"
    )


# --- pages ---------------------------------------------------------------------------------------------


def frame(main: str, side: str = "") -> str:
    """The two-column layout of the real site (content left, sidebar right)."""
    return (
        '<div class="container-fluid title-container">\n<div class="row mdl-rowx">\n'
        f'<div class="col-lg-8 col-md-8 col-rightx">\n{main}\n</div>\n'
        f'<div class="col-lg-4 col-md-4"><div class="content-side">{side}</div></div>\n'
        "</div>\n</div>"
    )


def drama_page(drama: dict) -> str:
    """``/<id>-<slug>``: header, details, and a Reviews box previewing the first reviews."""
    preview = "".join(review_block(r, drama) for r in drama["reviews"][:MAIN_PAGE_REVIEWS])
    reviews_box = (
        '<div class="box clear">\n<div class="box-header light-b-dk"><h3>Reviews</h3></div>\n'
        '<div class="box-divider m-a-0"></div>\n'
        f"{preview}"
        '<div class="box-divider m-a-0"></div>\n'
        '<div class="box-footer text-center">'
        f'<a href="{e(reviews_path(drama))}" class="text-primary">View all</a></div>\n'
        "</div>"
    )
    main = f'<div class="box">\n{drama_header(drama, "details")}\n{drama_details(drama)}\n</div>\n{reviews_box}'
    return document(f"{drama['title']} ({drama['year']})", frame(main, details_side_box(drama)))


def reviews_page(drama: dict, page: int) -> str:
    """``/<id>-<slug>/reviews?page=N``: header, ten reviews, pagination."""
    reviews = drama["reviews"]
    pages = page_count(len(reviews), REVIEWS_PER_PAGE)
    chunk = reviews[(page - 1) * REVIEWS_PER_PAGE : page * REVIEWS_PER_PAGE]
    blocks = "".join(review_block(r, drama) for r in chunk)
    main = (
        f'<div class="box">\n{drama_header(drama, "reviews")}\n</div>\n'
        '<div class="box clear">\n<div class="box-header light-b-dk"><h3>Reviews</h3></div>\n'
        f'<div class="box-divider m-a-0"></div>\n{blocks}</div>\n'
        f'{pagination(reviews_path(drama), page, pages)}'
    )
    return document(f"Reviews: {drama['title']} ({drama['year']})", frame(main, details_side_box(drama)))


def listing_card(drama: dict, rank: int) -> str:
    href, score = e(drama_path(drama)), e(drama["score"])
    width = round(float(drama["score"]) * 10)
    return (
        f'<div id="mdl-{e(drama["id"])}" class="box">\n<div class="box-body">\n<div class="row">\n'
        '<div class="col-xs-3 row-cell film-cover cover">'
        f'<div class="item"><a class="block" href="{href}"></a></div></div>\n'
        '<div class="col-xs-9 row-cell content">\n'
        f'<div class="ranking pull-right"><span>#{rank}</span></div>\n'
        f'<h6 class="text-primary title"><a href="{href}">{e(drama["title"])}</a></h6>\n'
        f'<span class="text-muted">{e(listing_label(drama))}</span>\n'
        f'<p><span class="rating"><span class="fill" style="width:{width}%"></span></span> '
        f'<span class="p-l-xs score">{score}</span></p>\n'
        f"<p>{e(drama['synopsis'])}</p>\n"
        "</div>\n</div>\n</div>\n</div>\n"
    )


def listing_page(dramas: list[dict], page: int) -> str:
    """``/shows/popular?page=N``: four drama cards per page and the pagination list."""
    pages = page_count(len(dramas), LISTING_PER_PAGE)
    start = (page - 1) * LISTING_PER_PAGE
    cards = "".join(listing_card(d, start + i + 1) for i, d in enumerate(dramas[start : start + LISTING_PER_PAGE]))
    main = (
        f'<p class="m-b-sm pull-right">{len(dramas)} results</p>\n'
        '<h1 class="text-lg">Most Popular Dramas</h1>\n'
        f'<div class="m-t nav-active-border b-primary">\n{cards}'
        f'{pagination(LISTING_PATH, page, pages)}\n</div>'
    )
    return document("Most Popular Dramas", frame(main))


def index_page(dramas: list[dict]) -> str:
    """``/``: a plain entry page for people browsing the demo by hand."""
    links = "".join(f'<li><a href="{e(drama_path(d))}">{e(d["title"])}</a></li>\n' for d in dramas)
    main = (
        '<h1 class="text-lg">dramascore demo site</h1>\n'
        f'<p><a href="{LISTING_PATH}">Most Popular Dramas</a></p>\n<ul>\n{links}</ul>'
    )
    return document("dramascore demo site", frame(main))


ROBOTS_TXT = "User-agent: *\nAllow: /\n"


def render_site(content: dict | None = None) -> dict[str, tuple[str, str]]:
    """Every page of the site: route key -> (content type, text).

    Route keys are paths, plus ``?page=N`` for the paginated listing and reviews pages.
    """
    content = content or load_content()
    dramas = content["dramas"]
    html = "text/html; charset=utf-8"
    site = {"/": (html, index_page(dramas)), "/robots.txt": ("text/plain; charset=utf-8", ROBOTS_TXT)}
    for page in range(1, page_count(len(dramas), LISTING_PER_PAGE) + 1):
        site[page_key(LISTING_PATH, page)] = (html, listing_page(dramas, page))
    for drama in dramas:
        site[drama_path(drama)] = (html, drama_page(drama))
        for page in range(1, page_count(len(drama["reviews"]), REVIEWS_PER_PAGE) + 1):
            site[page_key(reviews_path(drama), page)] = (html, reviews_page(drama, page))
    return site
