"""MyDramaList page extraction: drama main pages, reviews pages and show listings.

Every piece of knowledge about MyDramaList's markup lives here. The functions are pure (body and URL in,
raw items out) and never raise on bad input: garbage gives ``[]`` / ``None``. A field the page does not
have stays ``None``; normalised fields are left to the pipelines.
"""

from __future__ import annotations

import copy
import re
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from lxml import etree
from parsel import Selector

from aggregator.items import DramaListing, Rating, ReviewItem
from spiders.extractors import html_tree
from spiders.extractors.limits import http_url, short_text, small_int

SOURCE = "mydramalist"

REVIEW_BLOCKS = "div.review[id^='review-']"
# Drama ids are the leading digits of the first path segment: /685237-the-glory, /685237/reviews.
_DRAMA_PATH = re.compile(r"^/(\d+)(?:-[^/]*)?(?=/|$)")
_REVIEW_ID = re.compile(r"^review-(\d{1,20})$")
_REVIEW_LINK = re.compile(r"/profile/[^/]+/review/(\d+)/?$")
_YEAR = re.compile(r"\b(19\d{2}|20\d{2})\b")
_DIGITS = re.compile(r"\d+")
_SPACE = re.compile(r"\s+")
# Subtitle parts are separated by U+2027 (hyphenation point) on MDL; accept a middle dot too.
_SUBTITLE_SEP = re.compile(r"\s*[\u2027\u00b7]\s*")


# --- small helpers -----------------------------------------------------------------------------------------


def _selector(body: str | bytes) -> Selector | None:
    """A parsel Selector over any input, or None when lxml cannot build a tree at all."""
    if isinstance(body, bytes):
        # MDL serves UTF-8; a wrong byte must not cost the whole page.
        body = body.decode("utf-8", errors="replace")
    if not isinstance(body, str):
        return None
    # lxml refuses NUL bytes outright; they never carry meaning in HTML.
    body = body.replace("\x00", "")
    if not body.strip():
        return None
    return html_tree.selector(body)


def _text(node: Selector | None) -> str | None:
    """Whitespace-collapsed text content, None when empty."""
    if node is None:
        return None
    value = _SPACE.sub(" ", node.xpath("string(.)").get() or "").strip()
    return value or None


def _first(sel: Selector, css: str) -> Selector | None:
    found = sel.css(css)
    return found[0] if found else None


def _int(raw: str | None) -> int | None:
    """'1,234' -> 1234; None when there is no number."""
    if not raw:
        return None
    match = _DIGITS.search(raw.replace(",", "").replace("\u00a0", "").replace(" ", ""))
    # A count too big for the store's INTEGER columns is no count.
    return small_int(int(match.group())) if match and len(match.group()) < 12 else None


def _absolute(href: str | None, base: str) -> str | None:
    if not href or not href.strip() or href.strip().startswith(("#", "javascript:")):
        return None
    try:
        # Only web links: a "JavaScript:..." href is a script, not a profile page.
        return http_url(urljoin(base, href.strip()))
    except ValueError:
        return None


def drama_id_from_url(url: str) -> str | None:
    """'https://mydramalist.com/685237-the-glory/reviews?page=2' -> '685237'; relative paths work too."""
    try:
        path = urlsplit(url or "").path
    except (ValueError, TypeError):
        return None
    match = _DRAMA_PATH.match(path)
    return match.group(1) if match else None


def _drama_url(url: str) -> str | None:
    """The drama main page URL of any drama sub-page URL (no /reviews, no query, no fragment)."""
    try:
        parts = urlsplit(url)
    except (ValueError, TypeError):
        return None
    match = _DRAMA_PATH.match(parts.path)
    if not match or not parts.netloc:
        return None
    return urlunsplit((parts.scheme, parts.netloc, match.group(0), "", ""))


def _is_reviews_page(url: str) -> bool:
    try:
        return urlsplit(url).path.rstrip("/").endswith("/reviews")
    except (ValueError, TypeError):
        return False


def review_page_number(url: str) -> int | None:
    """Page number of a reviews page URL (its ?page=N, 1 for a bare /reviews); None for any other URL."""
    if not _is_reviews_page(url):
        return None
    query = dict(parse_qsl(urlsplit(url).query))
    return _int(query["page"]) if "page" in query else 1


def _with_page(url: str, page: int) -> str:
    """The URL with page=N set, other query parameters kept, fragment dropped.

    One spelling per page ("/reviews" and "/reviews?page=1" are the same page) lets Scrapy's dupefilter
    fetch each reviews page once, whichever link led there.
    """
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "page"]
    query.append(("page", str(page)))
    return urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), urlencode(query), ""))


# --- the drama -----------------------------------------------------------------------------------------


def _detail(sel: Selector, label: str) -> str | None:
    """Value of a details list item such as '<li><b>Country:</b> South Korea</li>' (first one wins)."""
    for item in sel.xpath("//li[b]"):
        head = _text(item.xpath("./b[1]")[0])
        if head and head.rstrip(":").strip().lower() == label.lower():
            full = _text(item) or ""
            value = full[len(head):].strip() if full.startswith(head) else full
            return value or None
    return None


def _subtitle_parts(sel: Selector) -> list[str]:
    """'더 글로리 ‧ Drama ‧ 2022' -> ['더 글로리', 'Drama', '2022']."""
    subtitle = _text(_first(sel, ".film-subtitle"))
    return [p for p in _SUBTITLE_SEP.split(subtitle) if p] if subtitle else []


def _native_title(sel: Selector) -> str | None:
    native = _detail(sel, "Native Title")
    if native:
        return native
    # Pages without the details list (reviews pages) still lead their subtitle with the native title; trust
    # it only when type and year follow, so a shorter subtitle cannot pass "Drama" off as a title.
    parts = _subtitle_parts(sel)
    if len(parts) >= 3 and not _YEAR.fullmatch(parts[0]):
        return parts[0]
    return None


def _drama_year(sel: Selector) -> int | None:
    parts = _subtitle_parts(sel)
    if parts:
        # The first part is the native title, which may itself be a number ("1987"); look after it first.
        for part in parts[1:] + parts[:1]:
            match = _YEAR.search(part)
            if match:
                return int(match.group(1))
    aired = _detail(sel, "Aired")
    match = _YEAR.search(aired or "")
    return int(match.group(1)) if match else None


def _drama_fields(sel: Selector, url: str) -> dict:
    return {
        "drama_site_id": drama_id_from_url(url),
        "drama_url": _drama_url(url),
        # A "title" of a thousand words is a broken page, and no store could index it.
        "drama_title": short_text(_text(_first(sel, "h1.film-title"))),
        "drama_native_title": short_text(_native_title(sel)),
        "drama_year": _drama_year(sel),
        "drama_episodes": _int(_detail(sel, "Episodes")),
        "drama_country": _detail(sel, "Country"),
    }


# --- one review block ------------------------------------------------------------------------------------


def _has_class(cls: str) -> str:
    return f"contains(concat(' ', normalize-space(@class), ' '), ' {cls} ')"


def _author(block: Selector, page_url: str) -> tuple[str | None, str | None]:
    link = _first(block, ".col-sm-9 b > a.text-primary") or _first(block, ".col-sm-9 b a.text-primary")
    if link is not None:
        return _text(link), _absolute(link.attrib.get("href"), page_url)
    # A deleted or anonymous author has a bold name without a link; the vote count is bold too, skip it.
    for bold in block.xpath(f".//*[{_has_class('col-sm-9')}]//b"):
        if bold.xpath(f"ancestor::*[{_has_class('user-stats')} or {_has_class('episodes-seen')}]"):
            continue
        return _text(bold), None
    return None, None


def _review_url(block: Selector, review_id: str, page_url: str) -> str:
    for href in block.css("a[href*='/review/']::attr(href)").getall():
        match = _REVIEW_LINK.search(href.strip())
        if match and match.group(1) == review_id:
            absolute = _absolute(href, page_url)
            if absolute:
                return absolute
    base = _drama_url(page_url)
    if base:
        return f"{base}/reviews#review-{review_id}"
    return f"{page_url.split('#')[0]}#review-{review_id}"


def _sub_scores(block: Selector) -> list[Rating]:
    scores = []
    for row in block.css(".review-rating > div"):
        value = _text(_first(row, "span"))
        label = _SPACE.sub(" ", " ".join(row.xpath("./text()").getall())).strip()
        # A row without a label or a value is not a rating; inventing either would be worse than skipping.
        if value and label:
            scores.append(Rating(score_raw=value, aspect_raw=label))
    return scores


def _episodes(block: Selector) -> tuple[int | None, int | None]:
    node = _first(block, ".episodes-seen")
    if node is None:
        return None, None
    bolds = [_int(_text(b)) for b in node.css("b")]
    if len(bolds) >= 2:
        return bolds[0], bolds[1]
    match = re.search(r"(\d+)\s+of\s+(\d+)", _text(node) or "")
    if match:
        return int(match.group(1)), int(match.group(2))
    return (bolds[0] if bolds else None), None


def _drop(element) -> None:
    """Remove an element but keep its tail text (the review prose that follows it)."""
    if element.getparent() is not None:
        element.drop_tree()


def _score_box(element, root):
    """The floating score box around a rating element: its nearest `.box` ancestor below the body."""
    node = element
    while node is not None and node is not root:
        if " box " in f" {node.get('class', '')} ":
            return node
        node = node.getparent()
    # No box around it: drop only the rating itself rather than risk dropping the review text.
    return element


def _headline_and_body(block: Selector) -> tuple[str | None, str | None]:
    """The review's headline and its text as HTML, without the boxes MDL puts around the text."""
    body_sel = _first(block, ".review-body")
    if body_sel is None:
        return None, None
    root = copy.deepcopy(body_sel.root)
    clutter = [
        f".//*[{_has_class('review-spoiler')}]",
        f".//p[{_has_class('read-more')}]",
        f".//*[{_has_class('review-helpful')}]",
    ]
    for xpath in clutter:
        for element in root.xpath(xpath):
            _drop(element)
    for rating in root.xpath(f".//*[{_has_class('rating-overall')} or {_has_class('review-rating')}]"):
        box = _score_box(rating, root)
        if box.getparent() is not None and root in box.iterancestors():
            _drop(box)

    title = None
    lead = root.text or ""
    children = [c for c in root if isinstance(c.tag, str)]
    if not lead.strip() and children and children[0].tag == "p":
        first = children[0]
        strongs = first.xpath("./strong|./b")
        # Only a paragraph that is nothing but bold text is a headline; bold words in prose are not.
        if strongs and _SPACE.sub(" ", first.text_content()).strip() == _SPACE.sub(
            " ", strongs[0].text_content()
        ).strip():
            title = _SPACE.sub(" ", strongs[0].text_content()).strip() or None
            if title:
                _drop(first)

    html = (root.text or "") + "".join(
        etree.tostring(child, encoding="unicode", method="html", with_tail=True) for child in root
    )
    html = html.strip()
    return title, html or None


def _review(block: Selector, page_url: str, drama: dict) -> ReviewItem | None:
    match = _REVIEW_ID.match(block.attrib.get("id", "").strip())
    if not match:
        return None
    review_id = match.group(1)
    author_raw, author_url = _author(block, page_url)
    seen, total = _episodes(block)
    spoiler = _first(block, ".review-spoiler")
    title, body = _headline_and_body(block)
    return ReviewItem(
        source=SOURCE,
        source_review_id=review_id,
        url=_review_url(block, review_id, page_url),
        **drama,
        author_raw=author_raw,
        author_url=author_url,
        published_raw=_text(_first(block, "small.datetime")),
        score_raw=_text(_first(block, ".rating-overall .score")),
        sub_scores=_sub_scores(block),
        spoiler_marker_raw=_text(spoiler),
        title=title,
        body_raw=body,
        helpful_votes=_int(_text(_first(block, ".user-stats b"))),
        episodes_seen=seen,
        episodes_total=total,
        watch_status_raw=_text(_first(block, "span.review-tag")),
    )


# --- public API --------------------------------------------------------------------------------------------


def review_block_count(body: str | bytes, url: str) -> int:
    """How many review blocks the page has, whether or not their fields could be read."""
    sel = _selector(body)
    return len(sel.css(REVIEW_BLOCKS)) if sel is not None else 0


def extract_reviews(body: str | bytes, url: str) -> list[ReviewItem]:
    """Raw reviews of a drama main page or one of its reviews pages, with the drama's fields on each."""
    sel = _selector(body)
    if sel is None:
        return []
    blocks = sel.css(REVIEW_BLOCKS)
    if not blocks:
        return []
    drama = _drama_fields(sel, url)
    reviews = []
    for block in blocks:
        item = _review(block, url, drama)
        if item is not None:
            reviews.append(item)
    return reviews


def _first_reviews_page(sel: Selector, url: str) -> list[str]:
    drama_id = drama_id_from_url(url)
    candidates = sel.css("ul.nav-tabs a.nav-link") + sel.css("a[href]")
    for link in candidates:
        href = _absolute(link.attrib.get("href"), url)
        if not href or not _is_reviews_page(href):
            continue
        # Only this drama's reviews: the sidebar links other dramas too.
        if drama_id and drama_id_from_url(href) != drama_id:
            continue
        return [_with_page(href, 1)]
    return []


def extract_review_page_urls(body: str | bytes, url: str) -> list[str]:
    """Other reviews pages linked from this page, absolute, one per page number, in page order.

    On a drama main page: its first reviews page, from the "Reviews" tab.
    """
    sel = _selector(body)
    if sel is None:
        return []
    if not _is_reviews_page(url):
        return _first_reviews_page(sel, url)
    current = review_page_number(url)
    pages: dict[int, str] = {}
    for href in sel.css("ul.pagination li.page-item a.page-link::attr(href)").getall():
        absolute = _absolute(href, url)
        if not absolute or not _is_reviews_page(absolute):
            continue
        number = review_page_number(absolute)
        if number is None or number == current or number in pages:
            continue
        pages[number] = _with_page(absolute, number)
    return [pages[n] for n in sorted(pages)]


def extract_listing(body: str | bytes, url: str) -> tuple[list[DramaListing], str | None]:
    """Drama cards of a listing page (/shows/popular...) and the next listing page's URL, or None."""
    sel = _selector(body)
    if sel is None:
        return [], None
    listings: list[DramaListing] = []
    seen: set[str] = set()
    for card in sel.css("div.box[id^='mdl-']"):
        # The title heading also holds an "add to list" button anchor without an href.
        link = _first(card, "h6.title a[href]")
        if link is None:
            continue
        href = _absolute(link.attrib.get("href"), url)
        site_id = drama_id_from_url(href or "")
        title = _text(link)
        if not href or not site_id or not title or site_id in seen:
            continue
        seen.add(site_id)
        listings.append(DramaListing(site_id=site_id, url=href, title=title))
    next_href = sel.css("ul.pagination li.page-item.next a.page-link::attr(href)").get()
    next_url = _absolute(next_href, url)
    if next_url == url:
        next_url = None
    return listings, next_url
