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

from plexcrate.cache.database import ReadOverBudget
from plexcrate.cache.rules import RuleError
from plexcrate.web.limits import TooBusy
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

# For routes that read the cache on behalf of a client: the limits of ``limits.py``.
BUSY_RESPONSES: dict[int | str, dict[str, Any]] = {
    503: {
        "model": ErrorBody,
        "description": "Too many costly reads at once, or this one took too long; try again.",
    }
}
OVER_BUDGET = (
    "This request took more than {budget} of work, so it was stopped. Narrow it down: fewer "
    "or longer search words, or a genre or decade."
)

# FastAPI's words for an undecodable body, and ours.
_UNPARSABLE_BODY = "There was an error parsing the body"
NOT_JSON = "The request body is not valid JSON."


def error_response(status_code: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status_code)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(RuleError, _bad_rule)
    app.add_exception_handler(TooBusy, _too_busy)
    app.add_exception_handler(ReadOverBudget, _over_budget)
    app.add_exception_handler(Exception, _unexpected)


async def _invalid_request(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    if any(error.get("type") == "json_invalid" for error in exc.errors()):
        return error_response(400, NOT_JSON)  # what FastAPI now reports for a broken body
    message = "; ".join(describe_error(error) for error in exc.errors())
    return error_response(422, message or "The request is invalid.")


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    message = NOT_JSON if exc.detail == _UNPARSABLE_BODY else str(exc.detail)
    response = error_response(exc.status_code, message)
    if exc.headers:
        response.headers.update(exc.headers)  # e.g. Allow on a 405
    return response


async def _bad_rule(request: Request, exc: Exception) -> JSONResponse:
    return error_response(422, str(exc))  # "rule.all[2].op: 'greater' is not an operator of …"


async def _too_busy(request: Request, exc: Exception) -> JSONResponse:
    response = error_response(503, str(exc))
    response.headers["Retry-After"] = "1"
    return response


async def _over_budget(request: Request, exc: Exception) -> JSONResponse:
    budget = f"{request.app.state.library.reads.budget_s:g} s"
    return error_response(503, OVER_BUDGET.format(budget=budget))


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
    elif kind == "less_than_equal":
        problem = f"must be at most {_number(ctx.get('le'))}, not {given}"
    elif kind == "less_than":
        problem = f"must be less than {_number(ctx.get('lt'))}, not {given}"
    elif kind == "greater_than_equal":
        problem = f"must be at least {_number(ctx.get('ge'))}, not {given}"
    elif kind == "greater_than":
        problem = f"must be more than {_number(ctx.get('gt'))}, not {given}"
    elif kind in ("int_parsing", "int_from_float", "int_type"):
        problem = f"must be a whole number, not {_json(given)}"
    elif kind in ("float_parsing", "float_type"):
        problem = f"must be a number, not {_json(given)}"
    elif kind in ("bool_parsing", "bool_type"):
        problem = f"must be true or false, not {_json(given)}"
    elif kind in ("string_type", "list_type"):
        problem = f"must be {'text' if kind == 'string_type' else 'a list'}, not {_json(given)}"
    elif kind in ("model_attributes_type", "dict_type", "model_type"):
        problem = "must be a JSON object, like {}"
    elif kind == "enum":
        problem = f"must be {ctx.get('expected')}, not {given!r}"
    elif kind == "string_too_long":
        problem = f"must be at most {ctx.get('max_length')} characters long"
    elif kind == "too_long":
        problem = f"can be given at most {ctx.get('max_length')} times"
    elif kind == "too_short":
        problem = f"needs at least {ctx.get('min_length')}"
    elif kind == "string_too_short":
        minimum = ctx.get("min_length")
        problem = "must not be empty" if minimum == 1 else f"needs at least {minimum} characters"
    elif kind == "missing":
        problem = "is required"
    else:
        problem = str(error.get("msg", "is invalid"))
    return f"{name}: {problem}"


def _number(value: Any) -> Any:
    """6000.0 → 6000: bounds read as people write them."""
    return f"{value:g}" if isinstance(value, float) else value


def _json(value: Any) -> str:
    """A value the client sent, as it wrote it: true, null, 2.5, 'text' (cut short), a list."""
    if isinstance(value, bool) or value is None:
        return {True: "true", False: "false", None: "null"}[value]
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        return repr(value[:50] + ("…" if len(value) > 50 else ""))
    if isinstance(value, list):
        return "a list"
    return "an object" if isinstance(value, dict) else type(value).__name__


def _parameter_name(loc: Sequence[Any]) -> str:
    # ("query", "decade", 0) → "decade": the source comes first, a list index may come last.
    parts = [str(part) for part in loc[1:] if not isinstance(part, int)] or [str(p) for p in loc]
    return ".".join(parts) or "request"
