"""MyDramaList URLs: drama ids, drama and reviews page URLs, page numbers, links made absolute.

Pure functions of strings that never raise on bad input; ``spiders.extractors.mydramalist`` uses them and
re-exports the public ones (``drama_id_from_url``, ``review_page_number``).
"""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from spiders.extractors.limits import http_url, small_int

# Drama ids are the leading digits of the first path segment: /685237-the-glory, /685237/reviews.
_DRAMA_PATH = re.compile(r"^/(\d+)(?:-[^/]*)?(?=/|$)")
_DIGITS = re.compile(r"\d+")
# A root-relative path urljoin only appends to the base's origin: no dot segments, parameters, query,
# fragment, "//" authority or characters urlsplit strips.
_PLAIN_PATH = re.compile(r"/(?!/)[A-Za-z0-9_~!$&'()*+,=@%/-]*")


def to_int(raw: str | None) -> int | None:
    """'1,234' -> 1234; None when there is no number."""
    if not raw:
        return None
    match = _DIGITS.search(raw.replace(",", "").replace("\u00a0", "").replace(" ", ""))
    # A count too big for the store's INTEGER columns is no count.
    return small_int(int(match.group())) if match and len(match.group()) < 12 else None


def absolute(href: str | None, base: str) -> str | None:
    """`href` as an absolute http(s) URL against `base`; None for fragments, scripts and other schemes."""
    if not href or not href.strip() or href.strip().startswith(("#", "javascript:")):
        return None
    href = href.strip()
    try:
        origin = _origin(base) if isinstance(base, str) and _PLAIN_PATH.fullmatch(href) else None
        # Only web links: a "JavaScript:..." href is a script, not a profile page.
        return http_url(origin + href if origin else urljoin(base, href))
    except ValueError:
        return None


@lru_cache(maxsize=16)
def _origin(base: str) -> str | None:
    """'https://mydramalist.com/x/reviews?page=2' -> 'https://mydramalist.com'; None unless http(s)."""
    parts = urlsplit(base)  # a ValueError (a broken IPv6 host) is urljoin's too
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme in ("http", "https") else None


def drama_id_from_url(url: str) -> str | None:
    """'https://mydramalist.com/685237-the-glory/reviews?page=2' -> '685237'; relative paths work too."""
    try:
        path = urlsplit(url or "").path
    except (ValueError, TypeError):
        return None
    match = _DRAMA_PATH.match(path)
    return match.group(1) if match else None


def drama_url(url: str) -> str | None:
    """The drama main page URL of any drama sub-page URL (no /reviews, no query, no fragment)."""
    try:
        parts = urlsplit(url)
    except (ValueError, TypeError):
        return None
    match = _DRAMA_PATH.match(parts.path)
    if not match or not parts.netloc:
        return None
    return urlunsplit((parts.scheme, parts.netloc, match.group(0), "", ""))


def is_reviews_page(url: str) -> bool:
    """'.../685237-the-glory/reviews?page=2' -> True."""
    try:
        return urlsplit(url).path.rstrip("/").endswith("/reviews")
    except (ValueError, TypeError):
        return False


def review_page_number(url: str) -> int | None:
    """Page number of a reviews page URL (its ?page=N, 1 for a bare /reviews); None for any other URL."""
    if not is_reviews_page(url):
        return None
    query = dict(parse_qsl(urlsplit(url).query))
    return to_int(query["page"]) if "page" in query else 1


def with_page(url: str, page: int) -> str:
    """The URL with page=N set, other query parameters kept, fragment dropped.

    One spelling per page ("/reviews" and "/reviews?page=1" are the same page) lets Scrapy's dupefilter
    fetch each reviews page once, whichever link led there.
    """
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "page"]
    query.append(("page", str(page)))
    return urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), urlencode(query), ""))
