"""HTTP caching of API responses: a strong ETag (hash of the body), If-None-Match -> 304, and Cache-Control.

Pure helpers and one response builder; the JSON body is serialised once, hashed, and either sent or answered
with 304 Not Modified when the client already has it.
"""

from __future__ import annotations

import hashlib

from fastapi import Request, Response
from pydantic import BaseModel


def etag_of(body: bytes) -> str:
    """A strong entity tag for `body`: the same bytes give the same tag on every server.

    >>> etag_of(b"{}")
    '"44136fa355b3678a1146ad16f7e8649e"'
    """
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def matches(if_none_match: str | None, etag: str) -> bool:
    """Whether an If-None-Match header names `etag` (weak comparison, as RFC 9110 asks for GET), or is ``*``.

    >>> matches('W/"a", "b"', '"a"'), matches('"c"', '"a"'), matches("*", '"a"')
    (True, False, True)
    """
    if not if_none_match:
        return False
    tags = [t.strip() for t in if_none_match.split(",")]
    return "*" in tags or etag in (t.removeprefix("W/") for t in tags)


def cache_headers(etag: str, max_age: int) -> dict[str, str]:
    # "public": the data is the same for every reader, so shared caches may keep it too.
    return {"ETag": etag, "Cache-Control": f"public, max-age={max(0, int(max_age))}"}


def cached_json(request: Request, payload: BaseModel, max_age: int) -> Response:
    """`payload` as JSON with ETag and Cache-Control, or an empty 304 when If-None-Match has that ETag."""
    body = payload.model_dump_json().encode()
    etag = etag_of(body)
    headers = cache_headers(etag, max_age)
    if matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    return Response(content=body, media_type="application/json", headers=headers)
