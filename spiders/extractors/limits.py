"""What a raw value may be, shared by the extractors: a value the store could not hold, or a page could not
show safely, is no value (``None``), so the item is kept without it or dropped with a counted reason.

* URLs: http(s) only (a ``javascript:`` author link is an XSS payload), at most :data:`MAX_URL` characters.
* Drama titles at most :data:`MAX_TITLE` characters; review ids at most :data:`MAX_ID`: longer ones are
  selectors that caught a paragraph, and PostgreSQL refuses index entries over ~2,700 bytes (a whole batch
  of reviews fails with one of them).
* Counts fit an INTEGER column.
* JSON: NUL characters removed and lone surrogates (``"\\ud800"`` escapes) replaced, since PostgreSQL and
  UTF-8 refuse them; integers too long to convert (Python refuses over 4,300 digits) read as None instead of
  costing the whole page.
"""

from __future__ import annotations

import json
import re
from typing import Any

MAX_URL = 2083  # Scrapy's URLLENGTH_LIMIT: the crawler never requests a longer URL either
MAX_TITLE = 300
MAX_ID = 100
MAX_INT = 2**31 - 1
_MAX_DIGITS = 4000
_UNSTORABLE = re.compile(r"[\x00\ud800-\udfff]")
# Escapes in JSON text that decode to lone surrogates (a literal prefix: the search runs at string speed).
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def http_url(value: Any) -> str | None:
    """An absolute http(s) URL of sane length, else None. ``"JaVaScRiPt:alert(1)"`` -> None"""
    if not isinstance(value, str) or len(value) > MAX_URL:
        return None
    return value if value[:8].lower().startswith(("http://", "https://")) else None


def short_text(value: Any, limit: int = MAX_TITLE) -> str | None:
    """`value` when it is a string of at most `limit` characters, else None."""
    return value if isinstance(value, str) and len(value) <= limit else None


def small_int(value: Any) -> int | None:
    """An int that fits an INTEGER column, else None."""
    return value if isinstance(value, int) and not isinstance(value, bool) and abs(value) <= MAX_INT else None


def storable(text: str) -> str:
    """``"a\\x00b\\ud800"`` -> ``"ab\\ufffd"``"""
    return _UNSTORABLE.sub(lambda m: "" if m.group() == "\x00" else "\ufffd", text)


def _parse_int(digits: str) -> int | None:
    return int(digits) if len(digits) <= _MAX_DIGITS else None


# Deeper JSON is refused before parsing (as RecursionError, which callers already handle): json.loads would
# recurse to Python's limit, and a garbage collection that runs finalizers at that depth breaks them
# anywhere in the process. A 100-deep Reddit reply chain is 501 levels.
MAX_JSON_DEPTH = 600
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.S)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")


def json_too_deep(text: str, limit: int = MAX_JSON_DEPTH) -> bool:
    """True when `text` opens more than `limit` arrays/objects inside each other (strings ignored).

    >>> json_too_deep("[" * 700 + "]" * 700), json_too_deep('{"a": "[[[["}')
    (True, False)
    """
    if text.count("[") + text.count("{") <= limit:  # most documents: cannot be that deep
        return False
    depth = 0
    for char in _NOT_BRACKET.sub("", _JSON_STRING.sub("", text)):
        depth += 1 if char in "[{" else -1
        if depth > limit:
            return True
    return False


def load_json(text: str, *, strict: bool = True) -> Any:
    """``json.loads`` for text from the web (raises ValueError / RecursionError as json.loads does; RecursionError
    also, without recursing, for JSON nested deeper than MAX_JSON_DEPTH)."""
    text = text.lstrip("\ufeff")
    if json_too_deep(text):
        raise RecursionError(f"JSON nested more than {MAX_JSON_DEPTH} levels deep")
    try:
        value = json.loads(text, strict=strict)
    except ValueError as exc:
        # Read again, slower (a Python call per integer), only when an absurd integer refused the fast way.
        if "integer string conversion" not in str(exc):
            raise
        value = json.loads(text, strict=strict, parse_int=_parse_int)
    # Only text that can decode to NUL or a surrogate is worth a walk over every string.
    unstorable = "\\u0000" in text or "\x00" in text or _SURROGATE_ESCAPE.search(text)
    return scrub(value) if unstorable else value


def decoder(*, strict: bool = True) -> json.JSONDecoder:
    """A JSONDecoder with :func:`load_json`'s integer rule (for ``raw_decode``; scrub its values)."""
    return json.JSONDecoder(strict=strict, parse_int=_parse_int)


def scrub(value: Any) -> Any:
    """`value` with every string in it made :func:`storable` (containers changed in place, iteratively)."""
    if isinstance(value, str):
        return storable(value)
    stack = [value] if isinstance(value, (dict, list)) else []
    while stack:
        node = stack.pop()
        for key, item in list(node.items() if isinstance(node, dict) else enumerate(node)):
            if isinstance(item, str):
                if _UNSTORABLE.search(item):
                    node[key] = storable(item)
            elif isinstance(item, (dict, list)):
                stack.append(item)
    return value
