"""WordPress HTML: a post's content (cleaned of share buttons, read for scores and a spoiler warning), and
HTML post and archive pages. The REST side (``spiders.extractors.wordpress``) shares the helpers at the top.

Pure functions; nothing here raises on bad input (garbage gives ``[]`` / ``None``). Pages are parsed into plain
lxml elements (no lxml.html classes) and read with CSS queries compiled once, exactly as parsel reads them; a
page asked about twice in a row (is it a post? its review) is parsed once. A post's content is parsed to be
cleaned, and the cleaned body once more for its text, scores and spoiler warning.
"""

from __future__ import annotations

import copy
import html
import re
from collections.abc import Callable, Iterable, Iterator
from itertools import chain
from typing import Any
from urllib.parse import parse_qsl, urljoin, urlsplit

from extruct.jsonld import JsonLdExtractor
from lxml import etree

from aggregator.items import Rating, ReviewItem
from spiders.extractors import html_tree
from spiders.extractors.limits import http_url, scrub, short_text
from spiders.extractors.post_titles import drama_and_year
from spiders.extractors.text_scores import find_scores, text_and_warning

SOURCE = "wordpress"
ARTICLE_TYPES = {"BlogPosting", "Article", "NewsArticle", "Review"}
_SHOW_TYPES = {"TVSeries", "TVSeason", "Movie", "CreativeWork"}
_SPACE = re.compile(r"\s+")
_MARKUP = re.compile(r"<[^>]{0,500}>")
_POST_ID = re.compile(r"^post-(\d{1,20})$")
_BODY_POSTID = re.compile(r"\bpostid-(\d{1,20})\b")
# Where themes put the post's own time: the published one first, never an "updated" one before it.
_TIMES = (("", ".entry-date.published"), (".entry-header", ""), ("header", ""), (".entry-meta", ""))
# Share buttons, related posts and ads that themes and plugins put inside .entry-content.
_CLUTTER = (
    "script", "style", "noscript", ".sharedaddy", ".sd-sharing-enabled", ".jp-relatedposts", ".yarpp-related",
    ".related-posts", ".addtoany_share_save_container", ".share-buttons", ".social-share", ".wpcnt",
)  # fmt: skip


# --- shared with the REST side --------------------------------------------------------------------------------


def decode(body: str | bytes | None) -> str:
    """A body as text (UTF-8, bad bytes replaced); "" for anything else."""
    if isinstance(body, bytes):
        return body.decode("utf-8", errors="replace")
    return body if isinstance(body, str) else ""


def _root(body: str | bytes) -> etree._Element | None:
    """The document's root element (see html_tree.parse); None for a blank or unreadable page."""
    text = decode(body).replace("\x00", "")
    if not text.strip():
        return None
    # Plain lxml elements: lxml.html's element classes cost a Python call for every element touched.
    return html_tree.parse(text.strip() or "<html/>", parser_factory=etree.HTMLParser)


# Bodies up to this size keep their parse until the next body comes (a 50 MB page's tree is not worth it).
_MEMO_MAX = 1024 * 1024


def last_one(parse: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """`parse` remembering its answer for the last body it was given (by identity): the spider asks one body
    what it is, then for its items, and ``last_one(json.loads)`` parses it once. Callers share the answer and
    only read it."""
    last: tuple = (None, None)

    def cached(body):
        nonlocal last
        seen, value = last  # one read of one tuple: another thread may replace it, never half of it
        if seen is not None and seen is body:
            return value
        value = parse(body)
        # Only immutable bodies can be told apart by identity.
        last = (body, value) if isinstance(body, (str, bytes)) and len(body) <= _MEMO_MAX else (None, None)
        return value

    return cached


_page_root = last_one(_root)
# CSS compiled once, translated as parsel translates it; drop_tree and string() as html_tree has them.
_css = html_tree.css


def _first(values: list):
    return values[0] if values else None


_WP_ROOT = _css("#wp-root")
_CLUTTER_QUERIES = tuple(_css(css) for css in _CLUTTER)
_CLUTTER_TAGS = tuple(css for css in _CLUTTER if not css.startswith("."))
_CLUTTER_CLASSES = tuple(css[1:] for css in _CLUTTER if css.startswith("."))


def fold(value) -> str | None:
    """Entities decoded, whitespace folded: ``" Ann&nbsp;&amp; Bo "`` -> ``"Ann & Bo"``; None when empty."""
    if not isinstance(value, str):
        return None
    value = _SPACE.sub(" ", html.unescape(value).replace("\u00a0", " ")).strip()
    return value or None


def rendered(field) -> str | None:
    """A REST ``{"rendered": ...}`` field (or a bare string) as a string."""
    if isinstance(field, dict):
        field = field.get("rendered")
    return field if isinstance(field, str) and field.strip() else None


def strip_markup(fragment: str | None) -> str | None:
    """Title markup ("<em>Vincenzo</em> Review") and entities -> folded text."""
    if not fragment:
        return None
    return fold(_MARKUP.sub(" ", fragment))


def absolute(href, base: str) -> str | None:
    """`href` made absolute against `base`, when it is a web (http or https) link; else None."""
    if not isinstance(href, str) or not href.strip() or href.strip().startswith(("#", "javascript:")):
        return None
    try:
        # Only web links: a "JavaScript:..." link is a script, not a post or a profile.
        return http_url(urljoin(base, href.strip()))
    except ValueError:
        return None


def _clean_fragment(fragment: str | None) -> str | None:
    """Content HTML without share buttons and related-posts blocks; None when nothing is left."""
    if not fragment or not fragment.strip():
        return None
    root = _root(f"<div id='wp-root'>{fragment}</div>")
    wrapper = _WP_ROOT(root) if root is not None else []
    if not wrapper:
        return fragment.strip()
    return _inner_html(wrapper[0], copy_first=False) or None  # the tree is this function's own


def _inner_html(node: etree._Element, copy_first: bool = True) -> str:
    """The element's content as HTML (its own tag left out) without clutter; a copy is cleaned unless
    `copy_first` is False (the element is the caller's own, to change)."""
    root = copy.deepcopy(node) if copy_first else node
    # One kind of clutter after the other: what an earlier query dropped is not found (and dropped) again.
    for query in _CLUTTER_QUERIES if _may_hold_clutter(root) else ():
        for element in query(root):
            if element.getparent() is not None:
                html_tree.drop_tree(element)
    out = (root.text or "") + "".join(
        etree.tostring(child, encoding="unicode", method="html", with_tail=True) for child in root
    )
    return out.strip()


def _may_hold_clutter(root: etree._Element) -> bool:
    """False when no element can match a _CLUTTER query (most posts): twelve queries cost more than this walk."""
    for element in root.iter():
        if element.tag in _CLUTTER_TAGS:
            return True
        classes = element.get("class")
        if classes and any(name in classes for name in _CLUTTER_CLASSES):
            return True
    return False


def review_item(*, title: str | None, drama: tuple[str | None, int | None], content: str | None, **fields) -> ReviewItem:
    """A ReviewItem with the fields every WordPress post and comment derives the same way: the cleaned content
    as its body, scores and a spoiler warning read from it, the drama and year ``drama_and_year`` reads."""
    body = _clean_fragment(content)
    # The body is parsed again (once, for text and warning), not read from the tree it was written from: lxml
    # does not write every tree as it reads it back (an empty <li>, the text of an <xmp>).
    text, spoiler_marker = text_and_warning(body)
    score_raw, episodes = find_scores(text)
    return ReviewItem(
        source=SOURCE,
        title=title,
        drama_title=drama[0],
        drama_year=drama[1],
        body_raw=body,
        score_raw=score_raw,
        episode_scores=[Rating(score_raw=raw, episode=number) for number, raw in episodes],
        spoiler_marker_raw=spoiler_marker,
        **fields,
    )


# --- HTML pages ---------------------------------------------------------------------------------------------

_STRING = html_tree.string_value
_JSONLD_SCRIPTS = etree.XPath('//script[@type="application/ld+json"]')
_JSONLD = JsonLdExtractor()
_META = etree.XPath("//meta[@property=$name or @name=$name]/@content", smart_strings=False)
_BODY_CLASS = _css("body::attr(class)")
_ARTICLE = _css("article")
_ARTICLE_IDS = _css("article::attr(id)")
_ENTRY_CONTENT = _css(".entry-content")
_POST_CONTENT = _css("article .post-content")
_ARTICLE_BODY = _css("[itemprop=articleBody]")
_CANONICAL = _css('link[rel="canonical"]::attr(href)')
_SHORTLINK = _css('link[rel="shortlink"]::attr(href)')
_TITLES = (_css("h1.entry-title"), _css("article h1"))
_AUTHOR_LINKS = tuple(_css(q) for q in (".byline .author a", "a[rel~=author]", ".entry-meta .author a", ".author.vcard a"))
_AUTHOR_TEXTS = tuple(_css(q) for q in (".entry-meta .author", ".byline .author", ".byline"))
_TIME_VALUES = tuple(_css(f"{where} time{cls}::attr(datetime)") for where, cls in _TIMES)
_POST_LINKS = tuple(
    _css(f"{q}::attr(href)") for q in ("article h2.entry-title a", ".entry-title a[rel~=bookmark]", "a[rel~=bookmark]")
)
_NEXT_LINKS = (_css("a.next.page-numbers::attr(href)"), _css('link[rel="next"]::attr(href)'))


def _jsonld_nodes(root: etree._Element) -> Iterator[dict]:
    """Every JSON-LD object of the page, ``@graph`` containers flattened; a broken block costs only itself.
    Lazily: a block is read only when a caller gets that far (extruct's fallback for broken JSON is slow)."""
    for script in _JSONLD_SCRIPTS(root):
        try:
            found = _JSONLD.extract_items(script)
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
            yield node


def _types(node: dict) -> set[str]:
    value = node.get("@type")
    values = value if isinstance(value, list) else [value]
    return {v for v in values if isinstance(v, str)}


def _ld_author(article: dict, nodes: Iterable[dict], base: str) -> tuple[str | None, str | None]:
    author = article.get("author")
    if isinstance(author, list):
        author = author[0] if author else None
    if isinstance(author, str):
        return fold(author), None
    if not isinstance(author, dict):
        return None, None
    # Yoast points to a Person node elsewhere in the graph: {"@id": ".../#/schema/person/..."}.
    if author.get("@id"):
        by_id = {n["@id"]: n for n in nodes if isinstance(n.get("@id"), str)}
        person = {**by_id.get(author.get("@id"), {}), **author}
    else:
        person = author
    url = person.get("url")
    return fold(person.get("name")), absolute(url, base) if isinstance(url, str) else None


def _ld_rating(article: dict) -> str | None:
    rating = article.get("reviewRating")
    if not isinstance(rating, dict) or rating.get("ratingValue") in (None, ""):
        return None
    best = rating.get("bestRating") or 5  # schema.org's default best rating
    return f"{rating['ratingValue']}/{best}"


def _meta(root: etree._Element, *names: str) -> str | None:
    for name in names:
        value = _first(_META(root, name=name))
        if fold(value):
            return fold(value)
    return None


def _first_text(root: etree._Element, *queries: etree.XPath) -> str | None:
    for query in queries:
        for node in query(root):
            value = fold(_STRING(node))
            if value:
                return value
    return None


def _byline(root: etree._Element, base: str) -> tuple[str | None, str | None]:
    for query in _AUTHOR_LINKS:
        for link in query(root):
            name = fold(_STRING(link))
            if name:
                return name, absolute(link.get("href"), base)
    return _first_text(root, *_AUTHOR_TEXTS), None


def _post_id(root: etree._Element) -> str | None:
    for value in _ARTICLE_IDS(root):
        match = _POST_ID.match(value.strip())
        if match:
            return match.group(1)
    match = _BODY_POSTID.search(_first(_BODY_CLASS(root)) or "")
    if match:
        return match.group(1)
    short = dict(parse_qsl(urlsplit(_first(_SHORTLINK(root)) or "").query)).get("p", "")
    return short if short.isdigit() and len(short) <= 20 else None


def _first_value(root: etree._Element, *queries: etree.XPath) -> str | None:
    return next((v for v in (fold(_first(q(root))) for q in queries) if v), None)


def is_post_page(body: str | bytes) -> bool:
    """Whether an HTML page is a single post (not an archive, search results or the home page)."""
    root = _page_root(body)
    if root is None:
        return False
    classes = (_first(_BODY_CLASS(root)) or "").split()
    if "single" in classes or any(c.startswith("postid-") for c in classes):
        return True
    if {"archive", "search", "blog", "home", "category"} & set(classes):
        return False
    if any(_types(n) & ARTICLE_TYPES for n in _jsonld_nodes(root)):
        return True
    articles = _ARTICLE(root)
    return len(articles) == 1 or (not articles and bool(_ENTRY_CONTENT(root)))


def extract_html_post(body: str | bytes, url: str) -> ReviewItem | None:
    """A post page as a raw review: JSON-LD first, then OpenGraph and the theme's byline markup."""
    root = _page_root(body)
    if root is None:
        return None
    reading = _jsonld_nodes(root)
    nodes: list[dict] = []  # those read so far; the rest only when the author points into the graph
    article: dict = {}
    for node in reading:
        nodes.append(node)
        if _types(node) & ARTICLE_TYPES:
            article = node
            break
    canonical = absolute(_first(_CANONICAL(root)), url)
    link = canonical or absolute(_meta(root, "og:url"), url) or url
    title = (
        fold(article.get("headline") if isinstance(article.get("headline"), str) else None)
        or _first_text(root, *_TITLES)
        or _meta(root, "og:title")
    )
    author_raw, author_url = _ld_author(article, chain(nodes, reading), url)
    if author_raw is None:
        author_raw, author_url = _byline(root, url)
    if author_raw is None:
        for value in (_meta(root, "article:author"), _meta(root, "author")):
            if value and value.startswith(("http://", "https://")):
                author_url = author_url or value  # OpenGraph often gives a profile URL here, not a name
            elif value:
                author_raw = author_raw or value
    published = article.get("datePublished") if isinstance(article.get("datePublished"), str) else None
    content = _ENTRY_CONTENT(root) or _POST_CONTENT(root) or _ARTICLE_BODY(root)
    item = review_item(
        source_review_id=_post_id(root) or link,
        url=link,
        title=title,
        drama=drama_and_year(title),
        content=_inner_html(content[0]) if content else None,  # a copy: the page's tree stays as it is
        author_raw=author_raw,
        author_url=author_url,
        published_raw=fold(published) or _meta(root, "article:published_time") or _first_value(root, *_TIME_VALUES),
    )
    reviewed = article.get("itemReviewed")
    if item.drama_title is None and isinstance(reviewed, dict) and _types(reviewed) & _SHOW_TYPES:
        item.drama_title = short_text(fold(reviewed.get("name")))  # a Review names what it reviews
    item.score_raw = _ld_rating(article) or item.score_raw  # the site's structured rating beats text
    return item


def extract_archive(body: str | bytes, url: str) -> tuple[list[str], str | None]:
    """Post URLs of an archive, search or home page, and the next archive page's URL (or None)."""
    root = _page_root(body)
    if root is None:
        return [], None
    seen: dict[str, None] = {}
    for query in _POST_LINKS:
        for href in query(root):
            link = absolute(href, url)
            if link:
                seen.setdefault(link.split("#")[0], None)
    next_href = _first(_NEXT_LINKS[0](root)) or _first(_NEXT_LINKS[1](root))
    next_url = absolute(next_href, url)
    return list(seen), (next_url if next_url != url else None)
