"""MyDramaList page extraction: drama main pages, reviews pages and show listings.

Every piece of knowledge about MyDramaList's markup lives here (about its URLs: ``mdl_urls``). The functions
are pure (body and URL in, raw items out) and never raise on bad input: garbage gives ``[]`` / ``None``. A
field the page does not have stays ``None``; normalised fields are left to the pipelines.

A page is parsed once (``html_tree.parse``) and read with the element API: one walk per review block indexes
its elements by class, and each field is looked up there, meaning exactly what the CSS selector beside it
says (``bench/extraction.py`` measures the cost against a bare parse).
"""

from __future__ import annotations

import copy
import re

from lxml import etree

from aggregator.items import DramaListing, Rating, ReviewItem
from spiders.extractors import html_tree
from spiders.extractors.html_tree import (
    class_index,
    css,
    drop_tree,
    has_class,
    inside,
    string_value,
)
from spiders.extractors.limits import short_text
from spiders.extractors.mdl_urls import (
    absolute,
    drama_id_from_url,
    drama_url,
    is_reviews_page,
    review_page_number,
    to_int,
    with_page,
)

SOURCE = "mydramalist"
__all__ = ["drama_id_from_url", "extract_listing", "extract_review_page_urls", "extract_reviews",
           "review_block_count", "review_page_number"]  # fmt: skip

REVIEW_BLOCKS = "div.review[id^='review-']"
_REVIEW_ID = re.compile(r"^review-(\d{1,20})$")
_REVIEW_LINK = re.compile(r"/profile/[^/]+/review/(\d+)/?$")
_YEAR = re.compile(r"\b(19\d{2}|20\d{2})\b")
_SPACE = re.compile(r"\s+")
# Subtitle parts are separated by U+2027 (hyphenation point) on MDL; accept a middle dot too.
_SUBTITLE_SEP = re.compile(r"\s*[\u2027\u00b7]\s*")

# Queries compiled once (parsel compiled each one on every call). The hot per-review lookups use one walk
# per block (html_tree.class_index) instead; each keeps the meaning of the CSS selector named beside it.
_WITH_ID = etree.XPath("descendant-or-self::div[@id]")  # REVIEW_BLOCKS' other tests are cheaper in Python
_DETAILS = etree.XPath("descendant-or-self::li[b]")  # //li[b], from the root element (the same, faster)
_BOLD_LINK = css(".col-sm-9 b a.text-primary")
_COL_BOLDS = etree.XPath(f".//*[{html_tree.has_class_xpath('col-sm-9')}]//b")
_STATS_ANCESTOR = etree.XPath(
    f"ancestor::*[{html_tree.has_class_xpath('user-stats')} or {html_tree.has_class_xpath('episodes-seen')}]"
)
_TAB_LINKS = css("ul.nav-tabs a.nav-link")
_ANY_LINKS = css("a[href]")
_PAGE_LINKS = css("ul.pagination li.page-item a.page-link::attr(href)")
_NEXT_LINK = css("ul.pagination li.page-item.next a.page-link::attr(href)")
_CARDS = css("div.box[id^='mdl-']")
_CARD_LINK = css("h6.title a[href]")
_BLOCK_CLASSES = frozenset({
    "col-sm-9", "text-primary", "user-stats", "episodes-seen", "review-spoiler", "review-body", "datetime",
    "rating-overall", "score", "review-rating", "review-tag", "read-more", "review-helpful",
})  # fmt: skip
_DETAIL_LABELS = frozenset({"native title", "aired", "episodes", "country"})
_CLUTTER = ("review-spoiler", "read-more", "review-helpful")  # dropped from the body, then the rating boxes
_RATING_CLASSES = ("rating-overall", "review-rating")
_BODY_CLASSES = frozenset({*_CLUTTER, *_RATING_CLASSES})


# --- small helpers -----------------------------------------------------------------------------------------


# The last page parsed, for the spider's other questions about the same body object (block count, page links):
# one parse per page instead of three. extract_reviews edits its tree, so it takes the tree out of the slot.
_last: tuple[object, object] | None = None


def _root(body: str | bytes, *, keep: bool = True):
    """The document's root element, or None when lxml cannot build a tree at all.

    The same body object asked again (``is``, not ``==``) gets the same tree, unless a caller took it
    (``keep=False``: it is about to change the tree).
    """
    global _last
    if _last is not None and _last[0] is body:
        root = _last[1]
        if not keep:
            _last = None
        return root
    root = _parse(body)
    _last = (body, root) if keep else None
    return root


def _parse(body: str | bytes):
    if isinstance(body, bytes):
        # MDL serves UTF-8; a wrong byte must not cost the whole page.
        body = body.decode("utf-8", errors="replace")
    if not isinstance(body, str):
        return None
    # lxml refuses NUL bytes outright; they never carry meaning in HTML.
    body = body.replace("\x00", "").strip() if "\x00" in body else body.strip()
    return html_tree.parse(body, parser_factory=etree.HTMLParser) if body else None


def _blocks(root) -> list:
    """The review blocks (REVIEW_BLOCKS), in document order."""
    return [d for d in _WITH_ID(root) if d.get("id").startswith("review-") and has_class(d, "review")]


def _text(node) -> str | None:
    """Whitespace-collapsed text content, None when empty."""
    if node is None:
        return None
    # Without children (comments included) the text content is the element's own text.
    value = _SPACE.sub(" ", (node.text if len(node) == 0 else string_value(node)) or "").strip()
    return value or None


def _first(elements, tag: str | None = None):
    """The first element (of a tag), or None."""
    return next((e for e in elements if tag is None or e.tag == tag), None)


# --- the drama -----------------------------------------------------------------------------------------


def _details(root) -> dict[str, str | None]:
    """Values of the details list items such as '<li><b>Country:</b> South Korea</li>' that we read, by
    lower-cased label (the first item of a label wins)."""
    found: dict[str, str | None] = {}
    for item in _DETAILS(root):
        head = _text(item.find("b"))
        label = head.rstrip(":").strip().lower() if head else None
        if label in _DETAIL_LABELS and label not in found:
            full = _text(item) or ""
            value = full[len(head):].strip() if full.startswith(head) else full
            found[label] = value or None
    return found


def _subtitle_parts(root) -> list[str]:
    """'더 글로리 ‧ Drama ‧ 2022' -> ['더 글로리', 'Drama', '2022']."""
    subtitle = _text(next((e for e in root.iter(etree.Element) if has_class(e, "film-subtitle")), None))
    return [p for p in _SUBTITLE_SEP.split(subtitle) if p] if subtitle else []


def _native_title(details: dict, parts: list[str]) -> str | None:
    native = details.get("native title")
    if native:
        return native
    # Pages without the details list (reviews pages) still lead their subtitle with the native title; trust
    # it only when type and year follow, so a shorter subtitle cannot pass "Drama" off as a title.
    if len(parts) >= 3 and not _YEAR.fullmatch(parts[0]):
        return parts[0]
    return None


def _drama_year(details: dict, parts: list[str]) -> int | None:
    if parts:
        # The first part is the native title, which may itself be a number ("1987"); look after it first.
        for part in parts[1:] + parts[:1]:
            match = _YEAR.search(part)
            if match:
                return int(match.group(1))
    match = _YEAR.search(details.get("aired") or "")
    return int(match.group(1)) if match else None


def _drama_fields(root, url: str) -> dict:
    details, parts = _details(root), _subtitle_parts(root)
    title = next((h for h in root.iter("h1") if has_class(h, "film-title")), None)
    return {
        "drama_site_id": drama_id_from_url(url),
        "drama_url": drama_url(url),
        # A "title" of a thousand words is a broken page, and no store could index it.
        "drama_title": short_text(_text(title)),
        "drama_native_title": short_text(_native_title(details, parts)),
        "drama_year": _drama_year(details, parts),
        "drama_episodes": to_int(details.get("episodes")),
        "drama_country": details.get("country"),
    }


# --- one review block ------------------------------------------------------------------------------------
# `found` is the block's class_index: the elements of the block (itself included) by class, document order.


def _author(block, found: dict, page_url: str) -> tuple[str | None, str | None]:
    # .col-sm-9 b > a.text-primary, then .col-sm-9 b a.text-primary
    link = next(
        (a for a in found.get("text-primary", ()) if a.tag == "a" and a.getparent().tag == "b"
         and inside(a.getparent(), "col-sm-9", block)),
        None,
    ) if "col-sm-9" in found else None  # fmt: skip
    if link is None and "col-sm-9" in found and "text-primary" in found:
        link = _first(_BOLD_LINK(block))
    if link is not None:
        return _text(link), absolute(link.get("href"), page_url)
    # A deleted or anonymous author has a bold name without a link; the vote count is bold too, skip it.
    for bold in _COL_BOLDS(block) if "col-sm-9" in found else ():
        if _STATS_ANCESTOR(bold):
            continue
        return _text(bold), None
    return None, None


def _review_url(block, review_id: str, page_url: str) -> str:
    # a[href*='/review/']::attr(href)
    for link in block.iter("a"):
        href = link.get("href")
        if href is None or "/review/" not in href:
            continue
        match = _REVIEW_LINK.search(href.strip())
        if match and match.group(1) == review_id:
            link_url = absolute(href, page_url)
            if link_url:
                return link_url
    base = drama_url(page_url)
    if base:
        return f"{base}/reviews#review-{review_id}"
    return f"{page_url.split('#')[0]}#review-{review_id}"


def _rating_rows(block, found: dict) -> list:
    """.review-rating > div, in document order."""
    holders = found.get("review-rating", [])
    if len(holders) == 1:
        return [child for child in holders[0] if child.tag == "div"]
    holders = set(holders)
    return [div for div in block.iter("div") if div.getparent() in holders] if holders else []


def _sub_scores(block, found: dict) -> list[Rating]:
    scores = []
    for row in _rating_rows(block, found):
        value = _text(next(row.iter("span"), None))
        # The row's own text nodes (./text()): its text and the tails of its children.
        label = _SPACE.sub(" ", " ".join(t for t in (row.text, *(c.tail for c in row)) if t is not None)).strip()
        # A row without a label or a value is not a rating; inventing either would be worse than skipping.
        if value and label:
            scores.append(Rating(score_raw=value, aspect_raw=label))
    return scores


def _overall_score(block, found: dict):
    """.rating-overall .score: the first .score inside a .rating-overall of the block."""
    holders = found.get("rating-overall", [])
    if len(holders) == 1:
        return next((e for e in holders[0].iterdescendants(etree.Element) if has_class(e, "score")), None)
    if not holders:
        return None
    return next((e for e in found.get("score", ()) if inside(e, "rating-overall", block)), None)


def _helpful_votes(block, found: dict):
    """.user-stats b: the first <b> inside a .user-stats of the block."""
    holders = found.get("user-stats", [])
    if len(holders) == 1:
        return next(holders[0].iterdescendants("b"), None)
    if not holders:
        return None
    return next((b for b in block.iter("b") if inside(b, "user-stats", block)), None)


def _episodes(found: dict) -> tuple[int | None, int | None]:
    node = _first(found.get("episodes-seen", ()))
    if node is None:
        return None, None
    bolds = [to_int(_text(b)) for b in node.iter("b")]
    if len(bolds) >= 2:
        return bolds[0], bolds[1]
    match = re.search(r"(\d+)\s+of\s+(\d+)", _text(node) or "")
    if match:
        return int(match.group(1)), int(match.group(2))
    return (bolds[0] if bolds else None), None


def _drop(element) -> None:
    """Remove an element but keep its tail text (the review prose that follows it)."""
    if element.getparent() is not None:
        drop_tree(element)


def _score_box(element, root):
    """The floating score box around a rating element: its nearest `.box` ancestor below the body."""
    node = element
    while node is not None and node is not root:
        if " box " in f" {node.get('class', '')} ":
            return node
        node = node.getparent()
    # No box around it: drop only the rating itself rather than risk dropping the review text.
    return element


def _below(element, root, stop) -> bool:
    """Whether `element` lies inside `root` (not `root` itself); the walk up ends at `stop` (or the top)."""
    for ancestor in element.iterancestors():
        if ancestor is root:
            return True
        if ancestor is stop:
            return False
    return False


def _headline_and_body(block, found: dict, shared: bool) -> tuple[str | None, str | None]:
    """The review's headline and its text as HTML, without the boxes MDL puts around the text.

    The boxes are dropped from the page's own tree (nothing reads the block after this), or, when the block
    holds another review block (`shared`), from a copy of the body, so that the other block reads as it is.
    """
    root = _first(found.get("review-body", ()))
    if root is None:
        return None, None
    if shared:
        root = copy.deepcopy(root)
        found, block = class_index(root, _BODY_CLASSES), root
    # Each list in document order, all found before any is dropped: one inside a dropped element is dropped
    # from the detached part, unseen (the queries they replace, run in turn, skip those).
    clutter = [
        e for name in _CLUTTER for e in found.get(name, ())
        if (name != "read-more" or e.tag == "p") and _below(e, root, block)
    ]  # fmt: skip
    ratings = [e for name in _RATING_CLASSES for e in found.get(name, ()) if _below(e, root, block)]
    for element in clutter:
        _drop(element)
    for rating in ratings:
        box = _score_box(rating, root)
        if box.getparent() is not None and root in box.iterancestors():
            _drop(box)

    title = None
    lead = root.text or ""
    children = [c for c in root if isinstance(c.tag, str)]
    if not lead.strip() and children and children[0].tag == "p":
        first = children[0]
        strongs = [c for c in first if c.tag in ("strong", "b")]
        # Only a paragraph that is nothing but bold text is a headline; bold words in prose are not.
        if strongs and _SPACE.sub(" ", string_value(first)).strip() == _SPACE.sub(
            " ", string_value(strongs[0])
        ).strip():
            title = _SPACE.sub(" ", string_value(strongs[0])).strip() or None
            if title:
                _drop(first)

    html = (root.text or "") + "".join(
        etree.tostring(child, encoding="unicode", method="html", with_tail=True) for child in root
    )
    html = html.strip()
    return title, html or None


def _review(block, page_url: str, drama: dict, shared: bool) -> ReviewItem | None:
    match = _REVIEW_ID.match(block.get("id", "").strip())
    if not match:
        return None
    review_id = match.group(1)
    found = class_index(block, _BLOCK_CLASSES)
    author_raw, author_url = _author(block, found, page_url)
    seen, total = _episodes(found)
    fields = {
        "url": _review_url(block, review_id, page_url),
        "published_raw": _text(_first(found.get("datetime", ()), "small")),
        "score_raw": _text(_overall_score(block, found)),
        "sub_scores": _sub_scores(block, found),
        "spoiler_marker_raw": _text(_first(found.get("review-spoiler", ()))),
        "helpful_votes": to_int(_text(_helpful_votes(block, found))),
        "watch_status_raw": _text(_first(found.get("review-tag", ()), "span")),
    }
    title, body = _headline_and_body(block, found, shared)  # last: it may change the block
    return ReviewItem(
        source=SOURCE,
        source_review_id=review_id,
        **drama,
        **fields,
        author_raw=author_raw,
        author_url=author_url,
        title=title,
        body_raw=body,
        episodes_seen=seen,
        episodes_total=total,
    )


# --- public API --------------------------------------------------------------------------------------------


def review_block_count(body: str | bytes, url: str) -> int:
    """How many review blocks the page has, whether or not their fields could be read."""
    root = _root(body)
    return len(_blocks(root)) if root is not None else 0


def extract_reviews(body: str | bytes, url: str) -> list[ReviewItem]:
    """Raw reviews of a drama main page or one of its reviews pages, with the drama's fields on each."""
    root = _root(body, keep=False)
    if root is None:
        return []
    blocks = _blocks(root)
    if not blocks:
        return []
    drama = _drama_fields(root, url)
    reviews = []
    for block, after in zip(blocks, [*blocks[1:], None], strict=True):
        # Blocks inside this one come right after it in document order (as on a page that nests them).
        shared = after is not None and any(a is block for a in after.iterancestors())
        item = _review(block, url, drama, shared)
        if item is not None:
            reviews.append(item)
    return reviews


def _first_reviews_page(root, url: str) -> list[str]:
    drama_id = drama_id_from_url(url)
    for link in _TAB_LINKS(root) + _ANY_LINKS(root):
        href = absolute(link.get("href"), url)
        if not href or not is_reviews_page(href):
            continue
        # Only this drama's reviews: the sidebar links other dramas too.
        if drama_id and drama_id_from_url(href) != drama_id:
            continue
        return [with_page(href, 1)]
    return []


def extract_review_page_urls(body: str | bytes, url: str) -> list[str]:
    """Other reviews pages linked from this page, absolute, one per page number, in page order.

    On a drama main page: its first reviews page, from the "Reviews" tab.
    """
    root = _root(body)
    if root is None:
        return []
    if not is_reviews_page(url):
        return _first_reviews_page(root, url)
    current = review_page_number(url)
    pages: dict[int, str] = {}
    for href in _PAGE_LINKS(root):
        link_url = absolute(href, url)
        if not link_url or not is_reviews_page(link_url):
            continue
        number = review_page_number(link_url)
        if number is None or number == current or number in pages:
            continue
        pages[number] = with_page(link_url, number)
    return [pages[n] for n in sorted(pages)]


def extract_listing(body: str | bytes, url: str) -> tuple[list[DramaListing], str | None]:
    """Drama cards of a listing page (/shows/popular...) and the next listing page's URL, or None."""
    root = _root(body)
    if root is None:
        return [], None
    listings: list[DramaListing] = []
    seen: set[str] = set()
    for card in _CARDS(root):
        # The title heading also holds an "add to list" button anchor without an href.
        link = _first(_CARD_LINK(card))
        if link is None:
            continue
        href = absolute(link.get("href"), url)
        site_id = drama_id_from_url(href or "")
        title = _text(link)
        if not href or not site_id or not title or site_id in seen:
            continue
        seen.add(site_id)
        listings.append(DramaListing(site_id=site_id, url=href, title=title))
    next_url = absolute(_first(_NEXT_LINK(root)), url)
    if next_url == url:
        next_url = None
    return listings, next_url
