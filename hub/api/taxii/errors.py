"""TAXII 2.1 error messages: every failure answers in the spec's error format and media type."""

from __future__ import annotations

from http import HTTPStatus

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from hub.api.taxii.media import taxii_json

WWW_AUTHENTICATE = (
    'Basic realm="Fusion Hub TAXII", charset="UTF-8", Bearer realm="Fusion Hub TAXII"'
)


class TaxiiError(Exception):
    """An error to answer with: HTTP status, a short title and a description of what is wrong."""

    def __init__(
        self,
        http_status: int,
        description: str,
        *,
        title: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(description)
        self.http_status = http_status
        self.title = title or HTTPStatus(http_status).phrase
        self.description = description
        self.headers = headers or {}

    def response(self) -> Response:
        body = {
            "title": self.title,
            "description": self.description,
            "http_status": str(self.http_status),
        }
        return taxii_json(body, self.http_status, self.headers)


def bad_request(description: str) -> TaxiiError:
    return TaxiiError(400, description, title="Malformed request")


def unauthorized(description: str) -> TaxiiError:
    return TaxiiError(
        401,
        description,
        title="Authentication required",
        headers={"WWW-Authenticate": WWW_AUTHENTICATE},
    )


def forbidden(description: str) -> TaxiiError:
    return TaxiiError(403, description, title="Forbidden")


def not_found(description: str) -> TaxiiError:
    return TaxiiError(404, description, title="Not found")


def install_error_handlers(app: FastAPI) -> None:
    """Answer TaxiiError, routing errors (404, 405) and validation errors as TAXII errors."""

    async def on_taxii_error(_request: Request, exc: Exception) -> Response:
        if not isinstance(exc, TaxiiError):
            raise exc
        return exc.response()

    async def on_http_error(request: Request, exc: Exception) -> Response:
        if not isinstance(exc, StarletteHTTPException):
            raise exc
        description = (
            f"no TAXII endpoint at {request.url.path}"
            if exc.status_code == 404
            else f"{request.method} is not allowed on {request.url.path}"
            if exc.status_code == 405
            else str(exc.detail)
        )
        headers = dict(exc.headers or {})
        return TaxiiError(exc.status_code, description, headers=headers).response()

    async def on_validation_error(_request: Request, exc: Exception) -> Response:
        return bad_request(f"the request is not understood: {exc}").response()

    async def on_unexpected(_request: Request, _exc: Exception) -> Response:
        # The server logs the traceback; the client learns only that it was not its fault.
        return TaxiiError(500, "the server failed to answer; the error is logged").response()

    app.add_exception_handler(TaxiiError, on_taxii_error)
    app.add_exception_handler(Exception, on_unexpected)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
