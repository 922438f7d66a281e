"""WordPress blog extraction: REST API JSON (posts, comments, categories) and HTML post and archive pages.

Pure functions; nothing here raises on bad input (garbage gives ``[]`` / ``None``). The publication date is
always the post's own metadata (REST ``date_gmt``, JSON-LD ``datePublished``, ``article:published_time``,
the theme's ``<time class="published">``), never a date found in the text: a review says when the show
aired, and that is not when the review was written.

The REST answers are read here; HTML (a post's content, post and archive pages) in ``wordpress_html``, whose
page functions this module re-exports. A body asked about twice in a row (its kind, then its items) is parsed
once.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

from aggregator.items import ReviewItem
from spiders.extractors.limits import load_json
from spiders.extractors.post_titles import drama_and_year
from spiders.extractors.wordpress_html import (
    ARTICLE_TYPES,
    SOURCE,
    absolute,
    decode,
    extract_archive,
    extract_html_post,
    fold,
    is_post_page,
    last_one,
    rendered,
    review_item,
    strip_markup,
)

__all__ = [
    "ARTICLE_TYPES", "SOURCE", "api_error_code", "api_kind", "extract_archive", "extract_categories", "extract_comments",
    "extract_html_post", "extract_posts", "is_post_page", "post_from_record", "post_records",
]  # fmt: skip


def _read_json(body: str | bytes):
    """The body's JSON, or None when it is not JSON (or nests too deep to read)."""
    try:
        return load_json(decode(body))
    except (ValueError, RecursionError):
        return None


_parse_json = last_one(_read_json)  # the records are shared between callers: read them, never change them


def _api_path(url: str) -> str:
    """'/wp/v2/posts' for '.../wp-json/wp/v2/posts?...' or '...?rest_route=/wp/v2/posts'; '' otherwise."""
    try:
        parts = urlsplit(url or "")
    except ValueError:
        return ""
    route = dict(parse_qsl(parts.query)).get("rest_route")
    if route:
        return route.rstrip("/")
    _, marker, rest = parts.path.partition("/wp-json")
    return rest.rstrip("/") if marker else ""


# --- REST API -----------------------------------------------------------------------------------------------


def api_kind(body: str | bytes, url: str) -> str | None:
    """What a REST answer is: "posts", "comments", "categories", "error" (a WP error object) or None
    (not JSON, or not a WordPress REST answer)."""
    data = _parse_json(body)
    if isinstance(data, dict) and isinstance(data.get("code"), str):
        return "error"
    if not isinstance(data, list):
        return None
    path = _api_path(url)
    for kind in ("posts", "comments", "categories"):
        if path.endswith(f"/wp/v2/{kind}"):
            return kind
    records = [r for r in data if isinstance(r, dict)]
    if not records:
        return None
    first = records[0]
    if "author_name" in first or ("post" in first and "content" in first):
        return "comments"
    if "title" in first and "content" in first:
        return "posts"
    if "slug" in first and "taxonomy" in first:
        return "categories"
    return None


def api_error_code(body: str | bytes) -> str | None:
    """The ``code`` of a WordPress REST error (``"rest_post_invalid_page_number"``), else None."""
    data = _parse_json(body)
    code = data.get("code") if isinstance(data, dict) else None
    return code if isinstance(code, str) else None


def post_records(body: str | bytes) -> list[dict]:
    """The objects (posts, comments...) of a REST list answer, whether or not they can be read."""
    data = _parse_json(body)
    return [r for r in data if isinstance(r, dict)] if isinstance(data, list) else []


def extract_categories(body: str | bytes) -> dict[str, int]:
    """slug -> id from a ``/wp/v2/categories`` answer."""
    out = {}
    for record in post_records(body):
        slug, cid = record.get("slug"), record.get("id")
        if isinstance(slug, str) and isinstance(cid, int) and not isinstance(cid, bool):
            out[slug] = cid
    return out


def _gmt(record: dict) -> str | None:
    """A REST date as written, made explicit UTC: ``date_gmt`` has no offset but is UTC."""
    gmt = record.get("date_gmt")
    if isinstance(gmt, str) and gmt.strip():
        return gmt.strip() + "Z"
    # Site-local time without an offset: only when date_gmt is missing (old exports, some plugins); the
    # normaliser then reads it as naive time, which may be off by the site's UTC offset.
    local = record.get("date")
    return local.strip() if isinstance(local, str) and local.strip() else None


def _embedded_author(record: dict, page_url: str) -> tuple[str | None, str | None]:
    authors = (record.get("_embedded") or {}).get("author") if isinstance(record.get("_embedded"), dict) else None
    # An author the API will not show is embedded as an error object ({"code": "rest_user_invalid_id"}).
    if isinstance(authors, list) and authors and isinstance(authors[0], dict) and "code" not in authors[0]:
        name, link = authors[0].get("name"), authors[0].get("link")
        return fold(name), absolute(link, page_url)
    return None, None


def _id(value) -> str | None:
    ok = (isinstance(value, int) and not isinstance(value, bool)) or (isinstance(value, str) and value.strip().isdigit())
    return str(value).strip() if ok and len(str(value).strip()) <= 20 else None


def post_from_record(record: dict, page_url: str) -> ReviewItem | None:
    """One REST post object as a raw review; None without an id or a link."""
    post_id = _id(record.get("id"))
    link = absolute(record.get("link"), page_url)
    if post_id is None or link is None:
        return None
    title = strip_markup(rendered(record.get("title")))
    author_raw, author_url = _embedded_author(record, page_url)
    return review_item(
        source_review_id=post_id,
        url=link,
        title=title,
        drama=drama_and_year(title),
        content=rendered(record.get("content")),
        author_raw=author_raw,
        author_url=author_url,
        published_raw=_gmt(record),
    )


def extract_posts(body: str | bytes, url: str) -> list[ReviewItem]:
    """Raw reviews of a ``/wp/v2/posts`` answer."""
    items = (post_from_record(r, url) for r in post_records(body))
    return [i for i in items if i is not None]


def _post_title_of_comment(record: dict) -> str | None:
    # With _embed=up, WordPress embeds the commented post; without it the caller passes the title.
    embedded = record.get("_embedded")
    up = embedded.get("up") if isinstance(embedded, dict) else None
    if isinstance(up, list) and up and isinstance(up[0], dict):
        return strip_markup(rendered(up[0].get("title")))
    return None


def extract_comments(body: str | bytes, url: str, post_title: str | None = None) -> list[ReviewItem]:
    """Raw comments of a ``/wp/v2/comments`` answer; the drama comes from the commented post's title."""
    out = []
    dramas: dict = {}
    for record in post_records(body):
        comment_id = _id(record.get("id"))
        if comment_id is None:
            continue
        link = absolute(record.get("link"), url) or f"{url.split('#')[0]}#comment-{comment_id}"
        about = _post_title_of_comment(record) or post_title
        out.append(
            review_item(
                kind="comment",
                source_review_id=f"comment-{comment_id}",
                url=link,
                title=None,
                drama=drama_and_year(about, dramas),
                content=rendered(record.get("content")),
                author_raw=fold(record.get("author_name")),
                author_url=absolute(record.get("author_url"), url),
                published_raw=_gmt(record),
            )
        )
    return out
