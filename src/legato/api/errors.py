"""The API's one error shape, `{message, details[]}`, and the handlers that turn every failure into it.

Bad input is always a 4xx: validation problems carry their location (YAML line and column, JSON path, input
id); an unexpected failure is a 500 whose body says nothing about the server's internals.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from legato.api import dto
from legato.model.errors import ChecksFailed, FlowDisabledError, FlowValidationError, InputsError, Problem
from legato.services.errors import AuthenticationError, ConflictError, ForbiddenError, NotFoundError
from legato.services.secrets import InvalidSecret
from legato.store.secret_backends import SecretBackendError

log = logging.getLogger("legato.api")


class ApiError(Exception):
    """An error a route raises on purpose: an HTTP status, a message a user can act on, optional details."""

    def __init__(self, status: int, message: str, details: Sequence[dto.ErrorDetail] = ()) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.details = list(details)


def not_found(message: str) -> ApiError:
    return ApiError(404, message)


def bad_request(message: str, details: Sequence[dto.ErrorDetail] = ()) -> ApiError:
    return ApiError(400, message, details)


def parse_json(text: str | bytes, what: str = "the body") -> Any:
    """JSON text as values; ValueError when it is not JSON, a 400 when it nests deeper than the decoder can
    follow (it recurses once per level), which is a client's input and not a server fault."""
    try:
        return json.loads(text)
    except RecursionError:
        raise bad_request(f"{what} is JSON nested too deeply") from None


def problem_detail(problem: Problem) -> dto.ErrorDetail:
    """One detail entry from a model problem (where, what)."""
    return dto.ErrorDetail(path=problem.path, message=problem.message, line=problem.line, column=problem.column)


def body(message: str, details: Sequence[dto.ErrorDetail] = ()) -> dto.ErrorBody:
    return dto.ErrorBody(message=message, details=list(details))


def _json(status: int, message: str, details: Sequence[dto.ErrorDetail] = (), headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(body(message, details).wire(), status_code=status, headers=headers)


def _validation_details(exc: RequestValidationError) -> list[dto.ErrorDetail]:
    return [dto.ErrorDetail(path=".".join(str(p) for p in err.get("loc", ())), message=str(err.get("msg", "invalid")))
            for err in exc.errors()]


def install(app: FastAPI) -> None:
    """Register the handlers that give every error response the `{message, details[]}` shape."""

    async def api_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ApiError)
        return _json(exc.status, exc.message, exc.details)

    async def http_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        return _json(exc.status_code, str(exc.detail), headers=dict(exc.headers or {}))

    async def request_invalid(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        return _json(422, "invalid request", _validation_details(exc))

    async def flow_invalid(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, FlowValidationError)
        first = exc.problems[0] if exc.problems else None
        message = f"invalid flow: {first}" if first else "invalid flow"
        return _json(422, message, [problem_detail(p) for p in exc.problems])

    async def inputs_invalid(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, InputsError)
        what = "the flow's checks do not hold" if isinstance(exc, ChecksFailed) else "invalid inputs"
        return _json(422, f"{what}: {exc}", [problem_detail(p) for p in exc.problems])

    async def missing(_: Request, exc: Exception) -> JSONResponse:
        return _json(404, str(exc))

    async def conflict(_: Request, exc: Exception) -> JSONResponse:
        return _json(409, str(exc))

    async def invalid(_: Request, exc: Exception) -> JSONResponse:
        return _json(400, str(exc))

    async def backend_down(_: Request, exc: Exception) -> JSONResponse:
        return _json(502, str(exc))
    async def forbidden(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ForbiddenError)
        return _json(403, str(exc), [dto.ErrorDetail(path="permission", message=exc.permission)])

    async def unauthenticated(_: Request, exc: Exception) -> JSONResponse:
        return _json(401, str(exc))

    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        return _json(500, "internal server error")

    app.add_exception_handler(ApiError, api_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, request_invalid)
    app.add_exception_handler(FlowValidationError, flow_invalid)
    app.add_exception_handler(InputsError, inputs_invalid)
    app.add_exception_handler(NotFoundError, missing)
    app.add_exception_handler(ConflictError, conflict)
    app.add_exception_handler(ForbiddenError, forbidden)
    app.add_exception_handler(AuthenticationError, unauthenticated)
    app.add_exception_handler(FlowDisabledError, conflict)
    app.add_exception_handler(InvalidSecret, invalid)
    app.add_exception_handler(SecretBackendError, backend_down)
    app.add_exception_handler(Exception, unexpected)
