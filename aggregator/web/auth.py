"""Who may correct data on the editors' page, and protection against cross-site request forgery.

Editors sign in with the editor token (setting ``DRAMASCORE_EDITOR_TOKEN``) and their name; the page then sets
an HttpOnly, SameSite=Strict cookie holding the name and an HMAC of it. Every form that writes carries a CSRF
token derived from that cookie (HMAC again), and a POST whose Origin is another site is refused. Without an
editor token configured, nobody can sign in and the pages are read-only.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from fastapi import HTTPException, Request

COOKIE = "dramascore_editor"
MAX_NAME = 64


def _sign(secret: bytes, message: str) -> str:
    return hmac.new(secret, message.encode("utf-8"), hashlib.sha256).hexdigest()


def token_matches(configured: str | None, given: str) -> bool:
    """True when an editor token is configured and `given` is it (compared in constant time)."""
    return bool(configured) and hmac.compare_digest(configured.encode("utf-8"), (given or "").encode("utf-8"))


def clean_name(name: str) -> str:
    """An editor's name as recorded: trimmed, single-spaced; ValueError when empty or longer than 64."""
    name = " ".join((name or "").split())
    if not name:
        raise ValueError("give your name: corrections record who made them")
    if len(name) > MAX_NAME:
        raise ValueError(f"a name of at most {MAX_NAME} characters, please")
    return name


def cookie_value(secret: bytes, name: str) -> str:
    """``<name, base64>.<hmac>``: the editor's signed-in state."""
    encoded = base64.urlsafe_b64encode(name.encode("utf-8")).decode("ascii")
    return f"{encoded}.{_sign(secret, 'editor:' + encoded)}"


def current_editor(request: Request) -> str | None:
    """The signed-in editor's name, or None (no token configured, no cookie, or a forged one)."""
    config = request.app.state.config
    raw = request.cookies.get(COOKIE, "")
    if not config.editor_token or "." not in raw:
        return None
    encoded, signature = raw.rsplit(".", 1)
    if not hmac.compare_digest(signature, _sign(config.secret, "editor:" + encoded)):
        return None
    try:
        return base64.urlsafe_b64decode(encoded.encode("ascii")).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        return None


def csrf_token(request: Request) -> str:
    """The token forms must send back: bound to this editor's cookie, so another site can't know it."""
    return _sign(request.app.state.config.secret, "csrf:" + request.cookies.get(COOKIE, ""))


def check_origin(request: Request) -> None:
    """Refuse a write whose Origin (or, failing that, Referer) is not this server."""
    origin = request.headers.get("origin") or request.headers.get("referer")
    if origin is None:
        return  # non-browser clients send neither; the CSRF token still has to match
    own = f"{request.url.scheme}://{request.url.netloc}"
    if origin != own and not origin.startswith(own + "/"):
        raise HTTPException(403, "cross-site request refused")


def require_editor(request: Request, form_token: str) -> str:
    """The signed-in editor for a write, after the origin and CSRF checks; 403 otherwise."""
    check_origin(request)
    editor = current_editor(request)
    if editor is None:
        raise HTTPException(403, "sign in with the editor token to make corrections")
    if not hmac.compare_digest(form_token or "", csrf_token(request)):
        raise HTTPException(403, "the form's CSRF token is missing or stale: reload the page and try again")
    return editor
