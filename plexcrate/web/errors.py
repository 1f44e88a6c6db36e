"""Every error the API returns is JSON ``{"error": "<message>"}``, never a traceback.

Validation errors (422) name the parameter at fault and say what would be accepted, e.g.
``decade: '19x0s' is not a decade; write it like 1990s``. Anything unexpected becomes a 500 with
``{"error": "Internal error"}``; the traceback goes to the server log only.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from plexcrate.web.models import ErrorBody

log = logging.getLogger(__name__)

INTERNAL_ERROR = "Internal error"

# For routes with parameters: document our 422 body in place of FastAPI's default one.
VALIDATION_RESPONSES: dict[int | str, dict[str, Any]] = {
    422: {"model": ErrorBody, "description": "A parameter is invalid; the message names it."}
}


# For routes that take a JSON body: one that isn't JSON at all is a 400 before validation.
BODY_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": "The body is not valid JSON."},
    **VALIDATION_RESPONSES,
}

# FastAPI's words for an undecodable body, and ours.
_UNPARSABLE_BODY = "There was an error parsing the body"
NOT_JSON = "The request body is not valid JSON."


def error_response(status_code: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status_code)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)


async def _invalid_request(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    message = "; ".join(describe_error(error) for error in exc.errors())
    return error_response(422, message or "The request is invalid.")


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    message = NOT_JSON if exc.detail == _UNPARSABLE_BODY else str(exc.detail)
    response = error_response(exc.status_code, message)
    if exc.headers:
        response.headers.update(exc.headers)  # e.g. Allow on a 405
    return response


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.error("%s %s failed", request.method, request.url.path, exc_info=exc)
    return error_response(500, INTERNAL_ERROR)


def describe_error(error: Mapping[str, Any]) -> str:
    """One pydantic validation error as ``"<parameter>: <what is wrong>"``."""
    name = _parameter_name(error.get("loc", ()))
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    given = error.get("input")
    if kind == "value_error" and "error" in ctx:
        problem = str(ctx["error"])
    elif kind in ("less_than_equal", "less_than"):
        problem = f"must be at most {ctx.get('le', ctx.get('lt'))}, not {given}"
    elif kind in ("greater_than_equal", "greater_than"):
        problem = f"must be at least {ctx.get('ge', ctx.get('gt'))}, not {given}"
    elif kind in ("int_parsing", "int_from_float"):
        problem = f"must be a whole number, not {given!r}"
    elif kind == "bool_parsing":
        problem = f"must be true or false, not {given!r}"
    elif kind == "enum":
        problem = f"must be {ctx.get('expected')}, not {given!r}"
    elif kind == "string_too_long":
        problem = f"must be at most {ctx.get('max_length')} characters long"
    elif kind == "too_long":
        problem = f"can be given at most {ctx.get('max_length')} times"
    elif kind == "missing":
        problem = "is required"
    else:
        problem = str(error.get("msg", "is invalid"))
    return f"{name}: {problem}"


def _parameter_name(loc: Sequence[Any]) -> str:
    # ("query", "decade", 0) → "decade": the source comes first, a list index may come last.
    parts = [str(part) for part in loc[1:] if not isinstance(part, int)] or [str(p) for p in loc]
    return ".".join(parts) or "request"
