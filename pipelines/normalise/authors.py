"""Authors: bylines cleaned to display names, profile URLs reduced to handles, and the two merged to an identity."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import unquote, urlsplit

MAX_NAME_LEN = 200  # a 1 MB "name" from a broken selector must not reach the database

# Placeholders the platforms put where a name was; compared case-insensitively after cleaning.
_ANONYMOUS = frozenset({"[deleted]", "[removed]", "[anonymous]", "deleted", "anonymous", "anon", "n/a"})
_BYLINE_RE = re.compile(
    r"^(?:(?:posted|written|reviewed|review|authored)\s+by\b|by\b|author\b\s*:?)\s*:?\s*"
    r"|^[-‐‑‒–—―~]+\s*"
    r"|^/?u/(?=\S)",
    re.I,
)
# Format characters (zero-width space/joiners, BOM, bidi marks) and lone surrogates are invisible in a name.
_INVISIBLE_RE = re.compile(r"[\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\ud800-\udfff]")
_PROFILE_SEGMENTS = frozenset({"profile", "user", "u", "author"})


def clean_author(raw: str | None) -> str | None:
    """Display name from a byline; None for deleted/anonymous placeholders.

    ``"Posted by u/kdramafan"`` -> ``"kdramafan"``; ``"[deleted]"`` -> ``None``
    """
    return clean_author_with_reason(raw)[0]


def clean_author_with_reason(raw: str | None) -> tuple[str | None, str | None]:
    """(name, None) or (None, reason): ``empty`` or ``anonymous``.

    ``"By Jass K."`` -> ``("Jass K.", None)``
    """
    if not isinstance(raw, str):
        return None, "empty"
    name = raw
    # Each step can expose another ("By — u/name"); the cap can leave a trailing space.
    for _ in range(8):
        cleaned = _clean_once(name)
        if cleaned == name:
            break
        name = cleaned
    if not name:
        return None, "empty"
    if name.lower() in _ANONYMOUS or not any(ch.isalnum() for ch in name):
        return None, "anonymous"
    return name, None


def _clean_once(name: str) -> str:
    name = _INVISIBLE_RE.sub("", name[: MAX_NAME_LEN * 4])
    name = " ".join(unicodedata.normalize("NFKC", name).split())
    previous = None
    while previous != name:
        previous = name
        name = _BYLINE_RE.sub("", name, count=1).strip()
    return name[:MAX_NAME_LEN].rstrip()


def handle_from_profile_url(url: str | None) -> str | None:
    """The account handle in a profile URL (MyDramaList, Reddit, WordPress), URL-unquoted, case kept.

    ``"https://mydramalist.com/profile/unterwegsimkoreanischenDE/reviews"`` -> ``"unterwegsimkoreanischenDE"``
    """
    if not isinstance(url, str) or not url.strip():
        return None
    try:
        path = urlsplit(url.strip()).path
    except ValueError:
        return None
    segments = [s for s in path.split("/") if s]
    for segment, following in zip(segments, segments[1:], strict=False):
        if segment.lower() in _PROFILE_SEGMENTS:
            handle = unquote(following).strip()
            if handle and handle not in (".", "..") and len(handle) <= MAX_NAME_LEN:
                return handle
            return None
    return None


def author_identity(raw: str | None, profile_url: str | None = None) -> tuple[str | None, str | None]:
    """(handle, display_name): the profile URL's handle is the identity when there is one, else the cleaned name.

    MyDramaList truncates display names, so the link text is not an identity:
    ``("unterwegsimkoreanischenD", "/profile/unterwegsimkoreanischenDE")``
    -> ``("unterwegsimkoreanischenDE", "unterwegsimkoreanischenD")``
    """
    name = clean_author(raw)
    handle = handle_from_profile_url(profile_url)
    if handle is not None:
        return handle, name
    return name, name
