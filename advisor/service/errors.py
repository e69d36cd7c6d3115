"""Every error the service answers is JSON ``{"error_code", "message"[, "problems"]}``.

Bad input is a 4xx with a one-line message; an unexpected exception is a 500 with a generic
message (the traceback goes to the server's log, never to the client).
"""

from __future__ import annotations

import logging
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException

from advisor_core.errors import (
    AdvisorError,
    ConfigError,
    ConflictError,
    DataError,
    KnowledgeBaseError,
    RankerError,
    SearchError,
    ValidationError,
)

__all__ = [
    "ApiError",
    "ErrorResponse",
    "JSONBody",
    "Problem",
    "error_body",
    "error_responses",
    "install_error_handlers",
    "status_of",
]

log = logging.getLogger("advisor.service")

#: Error codes of plain HTTP errors (routing, methods, auth).
_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "body_too_large",
    415: "unsupported_media_type",
    422: "invalid_request",
    500: "internal_error",
    503: "unavailable",
}
_DESCRIPTIONS = {
    400: "The body is not valid JSON (NaN, Infinity and out-of-range numbers are rejected) or "
    "the Host header is not allowed",
    401: "No credentials, or an unknown or revoked API key",
    403: "The API key's scope does not allow this operation",
    404: "No such resource",
    409: "Conflicts with the current state (a trial id stored with other values, a trial "
    "told twice, a spent budget, a ranker that cannot be trained)",
    413: "The request body is larger than the server accepts",
    422: "The request is well-formed JSON but invalid (each problem is listed)",
    500: "Unexpected server error (details are in the server's log)",
    503: "The knowledge base is unavailable",
}


class Problem(BaseModel):
    """One problem of a request: a record's index (batches), a field's location, the reason."""

    model_config = ConfigDict(extra="forbid")

    index: int | None = Field(None, description="index of the record in the batch")
    location: str | None = Field(None, description="where in the request, e.g. body.k")
    reason: str


class ErrorResponse(BaseModel):
    """The body of every error response."""

    model_config = ConfigDict(extra="forbid")

    error_code: str = Field(description="a stable, machine-readable code")
    message: str = Field(description="one line for humans")
    problems: list[Problem] | None = Field(None, description="each problem, when there are many")


class JSONBody(JSONResponse):
    """JSON rendered by orjson (non-finite floats become null, numpy scalars are numbers)."""

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, option=orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS)


class ApiError(StarletteHTTPException):
    """An HTTP error with the service's error code (raised by routes and dependencies)."""

    def __init__(
        self,
        status_code: int,
        error_code: str,
        message: str,
        *,
        problems: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(status_code=status_code, detail=message, headers=headers)
        self.error_code = error_code
        self.problems = problems


def error_body(
    error_code: str, message: str, problems: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {"error_code": error_code, "message": message}
    if problems is not None:
        body["problems"] = problems
    return body


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` of an operation: each error status with the ErrorResponse model."""
    return {
        c: {"model": ErrorResponse, "description": _DESCRIPTIONS[c]} for c in sorted({*codes, 500})
    }


def status_of(exc: AdvisorError) -> int:
    """The HTTP status of an advisor error."""
    if isinstance(exc, ValidationError | ConfigError | DataError):
        return 422
    if isinstance(exc, ConflictError | RankerError | SearchError):
        return 409
    if isinstance(exc, KnowledgeBaseError):
        return 503
    return 500


def _first_line(text: str, limit: int = 500) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line[:limit]


def _location(loc: tuple[Any, ...] | list[Any]) -> str:
    return ".".join(str(p) for p in loc)


def install_error_handlers(app: FastAPI) -> None:
    """JSON for validation errors, HTTP errors, advisor errors and anything unexpected."""

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = list(exc.errors())
        if any(e.get("type") == "json_invalid" for e in errors):
            return JSONBody(
                error_body("invalid_json", "the request body is not valid JSON"), status_code=400
            )
        problems = [
            {"location": _location(e.get("loc", ())), "reason": str(e.get("msg", "invalid"))}
            for e in errors[:50]
        ]
        shown = "; ".join(f"{p['location']}: {p['reason']}" for p in problems[:3])
        more = f"; and {len(errors) - 3} more" if len(errors) > 3 else ""
        return JSONBody(
            error_body("invalid_request", f"invalid request: {shown}{more}", problems),
            status_code=422,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = getattr(exc, "error_code", None) or _HTTP_CODES.get(exc.status_code, "http_error")
        message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
        body = error_body(code, message, getattr(exc, "problems", None))
        return JSONBody(body, status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(AdvisorError)
    async def _advisor(request: Request, exc: AdvisorError) -> JSONResponse:
        status = status_of(exc)
        if status >= 500:
            log.error("%s on %s %s: %s", type(exc).__name__, request.method, request.url.path, exc)
            message = (
                "the knowledge base is unavailable"
                if status == 503
                else "internal server error (see the server's log)"
            )
            return JSONBody(error_body(exc.error_code, message), status_code=status)
        problems = None
        raw = getattr(exc, "problems", None)
        if raw:
            problems = [{"index": int(i), "reason": str(r)} for i, r in raw[:1000]]
        return JSONBody(
            error_body(exc.error_code, _first_line(str(exc)) or type(exc).__name__, problems),
            status_code=status,
        )

    @app.exception_handler(DBAPIError)
    async def _database(request: Request, exc: DBAPIError) -> JSONResponse:
        log.error(
            "database error on %s %s: %s", request.method, request.url.path, _first_line(str(exc))
        )
        return JSONBody(
            error_body("knowledge_base_error", "the knowledge base is unavailable"),
            status_code=503,
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return JSONBody(
            error_body("internal_error", "internal server error (see the server's log)"),
            status_code=500,
        )
