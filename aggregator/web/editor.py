"""The editors' pages, rendered on the server: the consensus table, one drama, the audit trail, and the
correction forms (signed-in editors only; see `aggregator.web.auth`). Every value goes through Jinja2's
autoescaping: review text is untrusted."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session

from aggregator.store.catalog import SORTS, Query, list_dramas
from aggregator.store.corrections import list_corrections
from aggregator.store.editing import apply_correction, apply_revocation
from aggregator.store.engine import write_with_retry
from aggregator.store.models import CORRECTION_KINDS
from aggregator.web import auth
from aggregator.web.app import get_session
from aggregator.web.drama_page import drama_page
from aggregator.web.forms import parse_correction

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")


def web_link(url: str | None) -> str | None:
    """`url` when it is an http(s) link, else None: a stored ``javascript:`` URL must not become a link.

    >>> web_link("https://mydramalist.com/1"), web_link("javascript:alert(1)")
    ('https://mydramalist.com/1', None)
    """
    text = (url or "").strip()
    return text if text.lower().startswith(("https://", "http://")) else None


templates.env.filters["web_link"] = web_link
PER_PAGE = 50
HEADERS = {
    # Inline scripts and other origins are off: a payload that slipped through escaping still could not run.
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def render(request: Request, name: str, status: int = 200, **context) -> HTMLResponse:
    editor = auth.current_editor(request)
    context.update(
        editor=editor,
        csrf=auth.csrf_token(request) if editor else "",
        can_sign_in=bool(request.app.state.config.editor_token),
        path=request.url.path + (f"?{request.url.query}" if request.url.query else ""),
    )
    return templates.TemplateResponse(request, name, context, status_code=status, headers=HEADERS)


def error_page(request: Request, status: int, message: str, back: str = "/") -> HTMLResponse:
    return render(request, "error.html", status=status, message=message, back=back)


def _int_param(value: str | None, name: str) -> int | None:
    if value is None or not value.strip():
        return None
    if not value.strip().isdigit():
        raise ValueError(f"{name} must be a whole number, got {value[:40]!r}")
    return int(value)


@router.get("/", response_class=HTMLResponse)
def consensus_table(request: Request, session: Session = Depends(get_session)) -> HTMLResponse:
    p = request.query_params
    tbd = {"yes": True, "no": False}.get(p.get("tbd", ""))
    try:
        page = max(_int_param(p.get("page"), "page") or 1, 1)
        query = Query(
            q=p.get("q") or None, country=p.get("country") or None, year=_int_param(p.get("year"), "year"),
            min_reviews=_int_param(p.get("min_reviews"), "min_reviews") or 0, band=p.get("band") or None, tbd=tbd,
            sort=p.get("sort") or "-score", offset=(page - 1) * PER_PAGE, limit=PER_PAGE,
        )  # fmt: skip
        rows, total = list_dramas(session, query)
    except ValueError as exc:
        return error_page(request, 400, str(exc))
    params = {k: v for k, v in p.items() if v and k != "page"}

    def link(**changes) -> str:
        merged = {**params, **{k: v for k, v in changes.items() if v is not None}}
        return "/?" + urlencode(merged)

    return render(
        request, "table.html", rows=rows, total=total, query=query, page=page, per_page=PER_PAGE,
        sorts=SORTS, link=link, filters=params,
    )  # fmt: skip


@router.get("/dramas/{drama_id}", response_class=HTMLResponse)
def drama(drama_id: int, request: Request, session: Session = Depends(get_session)) -> HTMLResponse:
    try:
        page = drama_page(session, drama_id, request.app.state.config.params)
    except LookupError:
        return error_page(request, 404, f"no drama with id {drama_id}")
    return render(
        request, "drama.html", page=page, drama=page.report.drama, result=page.report.result,
        done=request.query_params.get("done"),
    )


@router.get("/audit", response_class=HTMLResponse)
def audit(request: Request, session: Session = Depends(get_session)) -> HTMLResponse:
    return render(request, "audit.html", corrections=list_corrections(session, limit=500), kinds=CORRECTION_KINDS)


def _safe_next(target: str) -> str:
    # Only paths on this site: "//evil.example" or "https://..." would make sign-in an open redirect.
    return target if target.startswith("/") and not target.startswith("//") and "\\" not in target else "/"


@router.post("/login")
def login(request: Request, token: str = Form(""), editor: str = Form(""), next: str = Form("/")) -> Response:
    auth.check_origin(request)
    config = request.app.state.config
    if not config.editor_token:
        return error_page(request, 403, "this server has no editor token configured: the pages are read-only")
    if not auth.token_matches(config.editor_token, token):
        return error_page(request, 403, "wrong editor token", back=_safe_next(next))
    try:
        name = auth.clean_name(editor)
    except ValueError as exc:
        return error_page(request, 400, str(exc), back=_safe_next(next))
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        auth.COOKIE, auth.cookie_value(config.secret, name), httponly=True, samesite="strict", path="/"
    )
    return response


@router.post("/logout")
def logout(request: Request, csrf: str = Form("")) -> Response:
    auth.require_editor(request, csrf)
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(auth.COOKIE, path="/")
    return response


@router.post("/corrections")
async def correct(request: Request) -> Response:
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    editor = auth.require_editor(request, form.get("csrf", ""))
    back = _safe_next(form.get("back") or "/")
    try:
        kind, reason, targets = parse_correction(form)
    except ValueError as exc:
        return error_page(request, 400, str(exc), back=back)
    state = request.app.state
    try:
        correction_id = await _in_thread(
            write_with_retry,
            state.sessions,
            lambda s: apply_correction(
                s, kind, editor=editor, reason=reason, params=state.config.params, **targets
            )[0].id,
        )
    except (ValueError, LookupError) as exc:
        return error_page(request, 400, str(exc.args[0] if exc.args else exc), back=back)
    sep = "&" if "?" in back else "?"
    return RedirectResponse(f"{back}{sep}done={correction_id}", status_code=303)


@router.post("/corrections/{correction_id}/revoke")
async def revoke(correction_id: int, request: Request) -> Response:
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    editor = auth.require_editor(request, form.get("csrf", ""))
    state = request.app.state
    try:
        await _in_thread(
            write_with_retry,
            state.sessions,
            lambda s: apply_revocation(s, correction_id, editor=editor, params=state.config.params),
        )
    except (ValueError, LookupError) as exc:
        return error_page(request, 400, str(exc.args[0] if exc.args else exc), back="/audit")
    return RedirectResponse("/audit", status_code=303)


async def _in_thread(fn, *args):
    # Writes block (SQLite busy waits, re-scoring): keep them off the event loop.
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(fn, *args)


@router.get("/favicon.ico", include_in_schema=False)
def favicon() -> Response:
    raise HTTPException(404)
