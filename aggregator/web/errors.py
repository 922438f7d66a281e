"""API errors as JSON naming the parameter at fault: ``{"detail": "year: ...", "errors": [...]}``.

`ApiRoute` turns FastAPI's request validation errors and `BadParameter` into that 422 body inside the API
router, so the app's other routes (the editors' HTML pages) keep their own error handling.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel


class ParamError(BaseModel):
    """One bad parameter: where it was (``query`` or ``path``), its name, what is wrong, the value sent."""

    location: str
    parameter: str
    message: str
    value: str | None = None


class ApiError(BaseModel):
    """The body of every 4xx answer: ``detail`` reads as one sentence; ``errors`` lists bad parameters."""

    detail: str
    errors: list[ParamError] = []


class BadParameter(Exception):
    """A parameter that is well-typed but wrong with the others (``offset`` with ``page``)."""

    def __init__(self, parameter: str, message: str, value: Any = None) -> None:
        super().__init__(f"{parameter}: {message}")
        self.error = ParamError(location="query", parameter=parameter, message=message, value=_text(value))


def _text(value: Any) -> str | None:
    return None if value is None else str(value)[:200]


def from_validation(errors: Sequence[dict[str, Any]]) -> list[ParamError]:
    """FastAPI's validation errors (``loc`` = ("query", "year")) as `ParamError`s.

    >>> from_validation([{"loc": ("query", "year"), "msg": "Input should be a valid integer", "input": "abc"}])
    [ParamError(location='query', parameter='year', message='Input should be a valid integer', value='abc')]
    """
    out = []
    for e in errors:
        loc = [str(part) for part in e.get("loc", ())]
        location, name = (loc[0], ".".join(loc[1:])) if len(loc) > 1 else ("request", ".".join(loc))
        out.append(ParamError(location=location, parameter=name or "?", message=e.get("msg", "invalid"),
                              value=_text(e.get("input"))))  # fmt: skip
    return out


def error_response(errors: list[ParamError], status: int = 422) -> JSONResponse:
    detail = "; ".join(
        f"{e.parameter}: {e.message}" + (f" (got {e.value!r})" if e.value is not None else "") for e in errors
    )
    return JSONResponse(status_code=status, content=ApiError(detail=detail, errors=errors).model_dump())


class ApiRoute(APIRoute):
    """An API route whose bad parameters answer 422 with an `ApiError` body."""

    def get_route_handler(self):
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except RequestValidationError as exc:
                return error_response(from_validation(exc.errors()))
            except BadParameter as exc:
                return error_response([exc.error])

        return route
