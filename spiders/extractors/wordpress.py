"""WordPress blog extraction: REST API JSON (posts, comments, categories) and HTML post and archive pages.

Pure functions; nothing here raises on bad input (garbage gives ``[]`` / ``None``). The publication date is
always the post's own metadata (REST ``date_gmt``, JSON-LD ``datePublished``, ``article:published_time``,
the theme's ``<time class="published">``), never a date found in the text: a review says when the show
aired, and that is not when the review was written.
"""

from __future__ import annotations

import copy
import html
import re
from urllib.parse import parse_qsl, urljoin, urlsplit

from extruct.jsonld import JsonLdExtractor
from lxml import etree
from parsel import Selector

from aggregator.items import Rating, ReviewItem
from spiders.extractors import html_tree
from spiders.extractors.limits import http_url, load_json, scrub, short_text
from spiders.extractors.post_titles import drama_from_post_title, year_from_post_title
from spiders.extractors.text_scores import find_scores, html_to_text, spoiler_warning

SOURCE = "wordpress"
ARTICLE_TYPES = {"BlogPosting", "Article", "NewsArticle", "Review"}
_SHOW_TYPES = {"TVSeries", "TVSeason", "Movie", "CreativeWork"}
_SPACE = re.compile(r"\s+")
_POST_ID = re.compile(r"^post-(\d{1,20})$")
_BODY_POSTID = re.compile(r"\bpostid-(\d{1,20})\b")
# Where themes put the post's own time: the published one first, never an "updated" one before it.
_TIMES = (("", ".entry-date.published"), (".entry-header", ""), ("header", ""), (".entry-meta", ""))
# Share buttons, related posts and ads that themes and plugins put inside .entry-content.
_CLUTTER = (
    "script", "style", "noscript", ".sharedaddy", ".sd-sharing-enabled", ".jp-relatedposts", ".yarpp-related",
    ".related-posts", ".addtoany_share_save_container", ".share-buttons", ".social-share", ".wpcnt",
)  # fmt: skip


# --- helpers ------------------------------------------------------------------------------------------------


def _decode(body: str | bytes | None) -> str:
    if isinstance(body, bytes):
        return body.decode("utf-8", errors="replace")
    return body if isinstance(body, str) else ""


def _selector(body: str | bytes) -> Selector | None:
    text = _decode(body).replace("\x00", "")
    if not text.strip():
        return None
    return html_tree.selector(text)


def _fold(value) -> str | None:
    if not isinstance(value, str):
        return None
    value = _SPACE.sub(" ", html.unescape(value).replace("\u00a0", " ")).strip()
    return value or None


def _rendered(field) -> str | None:
    """A REST ``{"rendered": ...}`` field (or a bare string) as a string."""
    if isinstance(field, dict):
        field = field.get("rendered")
    return field if isinstance(field, str) and field.strip() else None


def _strip_markup(fragment: str | None) -> str | None:
    """Title markup ("<em>Vincenzo</em> Review") and entities -> folded text."""
    if not fragment:
        return None
    return _fold(re.sub(r"<[^>]{0,500}>", " ", fragment))


def _absolute(href, base: str) -> str | None:
    if not isinstance(href, str) or not href.strip() or href.strip().startswith(("#", "javascript:")):
        return None
    try:
        # Only web links: a "JavaScript:..." link is a script, not a post or a profile.
        return http_url(urljoin(base, href.strip()))
    except ValueError:
        return None


def _parse_json(body: str | bytes):
    try:
        return load_json(_decode(body))
    except (ValueError, RecursionError):
        return None


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


def _clean_fragment(fragment: str | None) -> str | None:
    """Content HTML without share buttons and related-posts blocks; None when nothing is left."""
    if not fragment or not fragment.strip():
        return None
    sel = _selector(f"<div id='wp-root'>{fragment}</div>")
    root = sel.css("#wp-root") if sel is not None else None
    if not root:
        return fragment.strip()
    return _inner_html(root[0]) or None


def _inner_html(node: Selector) -> str:
    root = copy.deepcopy(node.root)
    for css in _CLUTTER:
        for element in Selector(root=root).css(css):
            if element.root.getparent() is not None:
                element.root.drop_tree()
    out = (root.text or "") + "".join(
        etree.tostring(child, encoding="unicode", method="html", with_tail=True) for child in root
    )
    return out.strip()


def _scores(fragment: str | None) -> tuple[str | None, list[Rating]]:
    overall, episodes = find_scores(html_to_text(fragment))
    return overall, [Rating(score_raw=raw, episode=number) for number, raw in episodes]


def _item(*, title: str | None, drama_from: str | None, content: str | None, **fields) -> ReviewItem:
    """A ReviewItem with the fields every WordPress post and comment derives the same way."""
    body = _clean_fragment(content)
    score_raw, episode_scores = _scores(body)
    return ReviewItem(
        source=SOURCE,
        title=title,
        drama_title=drama_from_post_title(drama_from),
        drama_year=year_from_post_title(drama_from),
        body_raw=body,
        score_raw=score_raw,
        episode_scores=episode_scores,
        spoiler_marker_raw=spoiler_warning(body),
        **fields,
    )


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
        return _fold(name), _absolute(link, page_url)
    return None, None


def _id(value) -> str | None:
    ok = (isinstance(value, int) and not isinstance(value, bool)) or (isinstance(value, str) and value.strip().isdigit())
    return str(value).strip() if ok and len(str(value).strip()) <= 20 else None


def post_from_record(record: dict, page_url: str) -> ReviewItem | None:
    """One REST post object as a raw review; None without an id or a link."""
    post_id = _id(record.get("id"))
    link = _absolute(record.get("link"), page_url)
    if post_id is None or link is None:
        return None
    title = _strip_markup(_rendered(record.get("title")))
    author_raw, author_url = _embedded_author(record, page_url)
    return _item(
        source_review_id=post_id,
        url=link,
        title=title,
        drama_from=title,
        content=_rendered(record.get("content")),
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
        return _strip_markup(_rendered(up[0].get("title")))
    return None


def extract_comments(body: str | bytes, url: str, post_title: str | None = None) -> list[ReviewItem]:
    """Raw comments of a ``/wp/v2/comments`` answer; the drama comes from the commented post's title."""
    out = []
    for record in post_records(body):
        comment_id = _id(record.get("id"))
        if comment_id is None:
            continue
        link = _absolute(record.get("link"), url) or f"{url.split('#')[0]}#comment-{comment_id}"
        about = _post_title_of_comment(record) or post_title
        out.append(
            _item(
                kind="comment",
                source_review_id=f"comment-{comment_id}",
                url=link,
                title=None,
                drama_from=about,
                content=_rendered(record.get("content")),
                author_raw=_fold(record.get("author_name")),
                author_url=_absolute(record.get("author_url"), url),
                published_raw=_gmt(record),
            )
        )
    return out


# --- HTML pages ---------------------------------------------------------------------------------------------


def _jsonld_nodes(sel: Selector) -> list[dict]:
    """Every JSON-LD object of the page, ``@graph`` containers flattened; a broken block costs only itself."""
    extractor = JsonLdExtractor()
    nodes: list[dict] = []
    for script in sel.xpath('//script[@type="application/ld+json"]'):
        try:
            found = extractor.extract_items(script.root)
        except Exception:  # noqa: BLE001, S112 - a broken block is skipped; extruct raises what its JSON parsers raise
            continue
        stack = list(scrub(found))
        while stack:
            node = stack.pop(0)
            if not isinstance(node, dict):
                continue
            graph = node.get("@graph")
            if isinstance(graph, list):
                stack.extend(graph)
            nodes.append(node)
    return nodes


def _types(node: dict) -> set[str]:
    value = node.get("@type")
    values = value if isinstance(value, list) else [value]
    return {v for v in values if isinstance(v, str)}


def _ld_author(article: dict, nodes: list[dict], base: str) -> tuple[str | None, str | None]:
    by_id = {n["@id"]: n for n in nodes if isinstance(n.get("@id"), str)}
    author = article.get("author")
    if isinstance(author, list):
        author = author[0] if author else None
    if isinstance(author, str):
        return _fold(author), None
    if not isinstance(author, dict):
        return None, None
    # Yoast points to a Person node elsewhere in the graph: {"@id": ".../#/schema/person/..."}.
    person = {**by_id.get(author.get("@id"), {}), **author} if author.get("@id") else author
    url = person.get("url")
    return _fold(person.get("name")), _absolute(url, base) if isinstance(url, str) else None


def _ld_rating(article: dict) -> str | None:
    rating = article.get("reviewRating")
    if not isinstance(rating, dict) or rating.get("ratingValue") in (None, ""):
        return None
    best = rating.get("bestRating") or 5  # schema.org's default best rating
    return f"{rating['ratingValue']}/{best}"


def _meta(sel: Selector, *names: str) -> str | None:
    for name in names:
        value = sel.xpath(f'//meta[@property="{name}" or @name="{name}"]/@content').get()
        if _fold(value):
            return _fold(value)
    return None


def _first_text(sel: Selector, *css: str) -> str | None:
    for query in css:
        for node in sel.css(query):
            value = _fold(node.xpath("string(.)").get())
            if value:
                return value
    return None


def _byline(sel: Selector, base: str) -> tuple[str | None, str | None]:
    for query in (".byline .author a", "a[rel~=author]", ".entry-meta .author a", ".author.vcard a"):
        for link in sel.css(query):
            name = _fold(link.xpath("string(.)").get())
            if name:
                return name, _absolute(link.attrib.get("href"), base)
    return _first_text(sel, ".entry-meta .author", ".byline .author", ".byline"), None


def _post_id(sel: Selector) -> str | None:
    for value in sel.css("article::attr(id)").getall():
        match = _POST_ID.match(value.strip())
        if match:
            return match.group(1)
    match = _BODY_POSTID.search(sel.css("body::attr(class)").get() or "")
    if match:
        return match.group(1)
    short = dict(parse_qsl(urlsplit(sel.css('link[rel="shortlink"]::attr(href)').get() or "").query)).get("p", "")
    return short if short.isdigit() and len(short) <= 20 else None


def _first_value(sel: Selector, *css: str) -> str | None:
    return next((v for v in (_fold(sel.css(q).get()) for q in css) if v), None)


def is_post_page(body: str | bytes) -> bool:
    """Whether an HTML page is a single post (not an archive, search results or the home page)."""
    sel = _selector(body)
    if sel is None:
        return False
    classes = (sel.css("body::attr(class)").get() or "").split()
    if "single" in classes or any(c.startswith("postid-") for c in classes):
        return True
    if {"archive", "search", "blog", "home", "category"} & set(classes):
        return False
    if any(_types(n) & ARTICLE_TYPES for n in _jsonld_nodes(sel)):
        return True
    return len(sel.css("article")) == 1 or (not sel.css("article") and bool(sel.css(".entry-content")))


def extract_html_post(body: str | bytes, url: str) -> ReviewItem | None:
    """A post page as a raw review: JSON-LD first, then OpenGraph and the theme's byline markup."""
    sel = _selector(body)
    if sel is None:
        return None
    nodes = _jsonld_nodes(sel)
    article = next((n for n in nodes if _types(n) & ARTICLE_TYPES), {})
    canonical = _absolute(sel.css('link[rel="canonical"]::attr(href)').get(), url)
    link = canonical or _absolute(_meta(sel, "og:url"), url) or url
    title = (
        _fold(article.get("headline") if isinstance(article.get("headline"), str) else None)
        or _first_text(sel, "h1.entry-title", "article h1")
        or _meta(sel, "og:title")
    )
    author_raw, author_url = _ld_author(article, nodes, url)
    if author_raw is None:
        author_raw, author_url = _byline(sel, url)
    if author_raw is None:
        for value in (_meta(sel, "article:author"), _meta(sel, "author")):
            if value and value.startswith(("http://", "https://")):
                author_url = author_url or value  # OpenGraph often gives a profile URL here, not a name
            elif value:
                author_raw = author_raw or value
    published = article.get("datePublished") if isinstance(article.get("datePublished"), str) else None
    content = sel.css(".entry-content") or sel.css("article .post-content") or sel.css("[itemprop=articleBody]")
    item = _item(
        source_review_id=_post_id(sel) or link,
        url=link,
        title=title,
        drama_from=title,
        content=_inner_html(content[0]) if content else None,
        author_raw=author_raw,
        author_url=author_url,
        published_raw=_fold(published) or _meta(sel, "article:published_time")
        or _first_value(sel, *(f"{where} time{cls}::attr(datetime)" for where, cls in _TIMES)),
    )
    reviewed = article.get("itemReviewed")
    if item.drama_title is None and isinstance(reviewed, dict) and _types(reviewed) & _SHOW_TYPES:
        item.drama_title = short_text(_fold(reviewed.get("name")))  # a Review names what it reviews
    item.score_raw = _ld_rating(article) or item.score_raw  # the site's structured rating beats text
    return item


def extract_archive(body: str | bytes, url: str) -> tuple[list[str], str | None]:
    """Post URLs of an archive, search or home page, and the next archive page's URL (or None)."""
    sel = _selector(body)
    if sel is None:
        return [], None
    seen: dict[str, None] = {}
    for query in ("article h2.entry-title a", ".entry-title a[rel~=bookmark]", "a[rel~=bookmark]"):
        for href in sel.css(f"{query}::attr(href)").getall():
            absolute = _absolute(href, url)
            if absolute:
                seen.setdefault(absolute.split("#")[0], None)
    next_href = sel.css("a.next.page-numbers::attr(href)").get() or sel.css('link[rel="next"]::attr(href)').get()
    next_url = _absolute(next_href, url)
    return list(seen), (next_url if next_url != url else None)
