"""What the demo's dynamic sites answer: a status, a content type, a body and extra headers.

Shared by the renderer modules (WordPress blogs, the Reddit-shaped API, the critic site) and the server.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from email.utils import formatdate, parsedate_to_datetime
from html import escape
from importlib import resources
from urllib.parse import parse_qs

HTML = "text/html; charset=utf-8"
TEXT = "text/plain; charset=utf-8"


@dataclass(frozen=True)
class Reply:
    status: int
    content_type: str
    body: bytes
    headers: tuple[tuple[str, str], ...] = ()


def e(value: object) -> str:
    """Escape any value for text or a double-quoted attribute."""
    return escape(str(value), quote=True)


def html_reply(text: str, status: int = 200, headers: tuple[tuple[str, str], ...] = ()) -> Reply:
    return Reply(status, HTML, text.encode("utf-8"), headers)


def json_reply(
    data: object, status: int = 200, headers: tuple[tuple[str, str], ...] = (),
    content_type: str = "application/json; charset=UTF-8",
) -> Reply:
    return Reply(status, content_type, json.dumps(data).encode("utf-8"), headers)


def redirect(location: str, status: int = 301) -> Reply:
    return Reply(status, HTML, b"", (("Location", location),))


def query_values(query: str) -> dict[str, str]:
    """Query parameters, the last value winning as in PHP; ``?_embed`` (no value) is present with ``""``."""
    return {key: values[-1] for key, values in parse_qs(query, keep_blank_values=True).items()}


def canonical_key(path: str, params: dict[str, str], keep: set[str], defaults: dict[str, str] | None = None) -> str:
    """A hits key: the path plus the parameters that change the answer, sorted (``defaults`` filled in)."""
    kept = {**(defaults or {}), **{k: v for k, v in params.items() if k in keep}}
    if not kept:
        return path
    return path + "?" + "&".join(f"{k}={kept[k]}" for k in sorted(kept))


def load_json(name: str) -> dict:
    """A data file of the demo package, parsed fresh (callers may mutate their copy)."""
    return json.loads(resources.files("aggregator.demo").joinpath(name).read_text(encoding="utf-8"))


def catalogue() -> dict[str, dict]:
    """dramas.json: drama key -> title, native title, country, year, episodes, start date."""
    return load_json("dramas.json")["dramas"]


def etag(body: bytes) -> str:
    """A strong validator: the body's hash, so any change to a page changes its ETag."""
    return '"' + hashlib.sha256(body).hexdigest()[:20] + '"'


def with_validators(reply: Reply, last_modified: float) -> Reply:
    """A 200 with ETag and Last-Modified, and Cache-Control telling caches to revalidate every time.

    ``max-age=0, must-revalidate`` (rather than no-store) lets Scrapy's RFC2616Policy keep the page and ask
    again with If-None-Match / If-Modified-Since, so an unchanged page costs a 304 with no body.
    """
    extra = [("ETag", etag(reply.body)), ("Last-Modified", formatdate(last_modified, usegmt=True))]
    if not any(name.lower() == "cache-control" for name, _ in reply.headers):
        extra.append(("Cache-Control", "max-age=0, must-revalidate"))
    return Reply(reply.status, reply.content_type, reply.body, (*reply.headers, *extra))


def is_not_modified(reply: Reply, last_modified: float, headers) -> bool:
    """Whether a conditional GET may be answered 304 (If-None-Match wins over If-Modified-Since, RFC 9110)."""
    if_none_match = headers.get("If-None-Match")
    if if_none_match is not None:
        tags = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
        return "*" in tags or etag(reply.body) in tags
    since = headers.get("If-Modified-Since")
    if since:
        try:
            return int(last_modified) <= parsedate_to_datetime(since).timestamp()
        except (TypeError, ValueError):
            return False  # an unparseable date is ignored, as the RFC says
    return False


def not_modified(reply: Reply) -> Reply:
    """The 304 for a validated reply: its validators and caching headers, no body."""
    keep = {"etag", "last-modified", "cache-control"}
    return Reply(304, reply.content_type, b"", tuple((n, v) for n, v in reply.headers if n.lower() in keep))
