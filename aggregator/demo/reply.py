"""What the demo's dynamic sites answer: a status, a content type, a body and extra headers.

Shared by the renderer modules (WordPress blogs, the Reddit-shaped API, the critic site) and the server.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
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
