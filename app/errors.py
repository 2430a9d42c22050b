"""The gateway's one error model, rendered as OpenAI's error object.

Every failure a client can see is a ``GatewayError`` (or a werkzeug ``HTTPException``,
rendered by the same function)::

    GatewayError (500 server_error)
    ├── InvalidRequestError (400 invalid_request_error)
    │   ├── NotFoundError (404)
    │   │   ├── ModelNotFoundError (404, code model_not_found)
    │   │   └── ResponseNotFoundError (404, stored response missing, expired or another key's)
    │   ├── PreviousResponseNotFoundError (400, code previous_response_not_found)
    │   ├── MethodNotAllowedError (405)
    │   ├── ConflictError (409)
    │   ├── RequestTooLargeError (413, code request_too_large)
    │   └── UnsupportedMediaTypeError (415, code unsupported_media_type)
    ├── AuthenticationError (401 authentication_error, code invalid_api_key)
    ├── PermissionDeniedError (403 permission_error)
    ├── RateLimitError (429 rate_limit_error, code rate_limit_exceeded, Retry-After)
    │   └── InsufficientQuotaError (429 insufficient_quota, x-should-retry: false)
    ├── RateLimitStoreUnavailableError (503, code rate_limit_store_unavailable)
    ├── UpstreamError (502 server_error)
    │   ├── UpstreamUnavailableError (503)
    │   │   └── StoreUnavailableError (503, the response store failed)
    │   └── UpstreamTimeoutError (504)
    └── ServerShuttingDownError (503, code server_shutting_down: a stream open at the drain deadline)

Body: ``{"error": {"message", "type", "param", "code"}}``. On Anthropic's routes
(``/messages``) the same errors render in Anthropic's envelope instead:
``{"type": "error", "error": {"type", "message"}, "request_id"}`` plus a ``request-id``
header, with Anthropic's statuses (an unavailable upstream is 529 ``overloaded_error``).
An error may carry response headers of its own (``x-ratelimit-*``, ``retry-after-ms``,
``x-should-retry``).
"""

from __future__ import annotations

import logging
import re
import secrets

from flask import Flask, Response, g, jsonify, request
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)

# A client's X-Request-Id is kept only in this shape: no newlines, quotes or megabytes in logs.
REQUEST_ID_PATTERN = re.compile(r"[A-Za-z0-9._:-]{1,128}")


class GatewayError(Exception):
    """Base of every error the gateway reports to a client."""

    status = 500
    type = "server_error"
    code: str | None = None
    # The Bedrock exception name (e.g. ThrottlingException) when Bedrock raised it.
    upstream_code: str | None = None

    def __init__(
        self,
        message: str,
        *,
        param: str | None = None,
        code: str | None = None,
        retry_after: int | None = None,
        headers: dict[str, str] | None = None,
    ):
        super().__init__(message)
        self.message = message
        self.param = param
        if code is not None:
            self.code = code
        self.retry_after = retry_after
        self.headers = headers or {}

    def to_body(self) -> dict:
        return error_body(self.message, self.type, self.param, self.code)


class InvalidRequestError(GatewayError):
    status = 400
    type = "invalid_request_error"


class NotFoundError(InvalidRequestError):
    status = 404
    code = "not_found"


class ModelNotFoundError(NotFoundError):
    code = "model_not_found"

    def __init__(self, model: str, *, param: str = "model"):
        super().__init__(f"The model `{model}` does not exist or you do not have access to it.", param=param)


class ResponseNotFoundError(NotFoundError):
    def __init__(self, response_id: str):
        super().__init__(f"Response with id '{response_id}' not found.")


class PreviousResponseNotFoundError(InvalidRequestError):
    code = "previous_response_not_found"

    def __init__(self, response_id: str):
        super().__init__(
            f"Previous response with id '{response_id}' not found.", param="previous_response_id"
        )


class MethodNotAllowedError(InvalidRequestError):
    status = 405
    code = "method_not_allowed"


class ConflictError(InvalidRequestError):
    status = 409
    code = "conflict"


class RequestTooLargeError(InvalidRequestError):
    status = 413
    code = "request_too_large"


class UnsupportedMediaTypeError(InvalidRequestError):
    status = 415
    code = "unsupported_media_type"


class AuthenticationError(GatewayError):
    status = 401
    type = "authentication_error"
    code = "invalid_api_key"


class PermissionDeniedError(GatewayError):
    status = 403
    type = "permission_error"
    code = "permission_denied"


class RateLimitError(GatewayError):
    status = 429
    type = "rate_limit_error"
    code = "rate_limit_exceeded"


class InsufficientQuotaError(RateLimitError):
    """A spent budget: retrying cannot help, and ``x-should-retry: false`` tells the SDKs so."""

    type = "insufficient_quota"
    code = "insufficient_quota"


class RateLimitStoreUnavailableError(GatewayError):
    status = 503
    code = "rate_limit_store_unavailable"


class UpstreamError(GatewayError):
    status = 502
    code = "upstream_error"


class UpstreamUnavailableError(UpstreamError):
    status = 503
    code = "upstream_unavailable"


class StoreUnavailableError(UpstreamUnavailableError):
    code = "store_unavailable"

    def __init__(self, message: str = "The response store is unavailable; please try again.", **kwargs):
        super().__init__(message, retry_after=1, **kwargs)


class UpstreamTimeoutError(UpstreamError):
    status = 504
    code = "upstream_timeout"


class ServerShuttingDownError(GatewayError):
    status = 503
    code = "server_shutting_down"

    def __init__(self, message: str = "The server is restarting; retry the request."):
        super().__init__(message)


def error_body(message: str, type_: str, param: str | None = None, code: str | None = None) -> dict:
    return {"error": {"message": message, "type": type_, "param": param, "code": code}}


# Gateway status -> Anthropic's (status, error type); anything else keeps its status.
ANTHROPIC_ERRORS: dict[int, tuple[int, str]] = {
    400: (400, "invalid_request_error"),
    401: (401, "authentication_error"),
    402: (402, "billing_error"),
    403: (403, "permission_error"),
    404: (404, "not_found_error"),
    413: (413, "request_too_large"),
    429: (429, "rate_limit_error"),
    500: (500, "api_error"),
    502: (500, "api_error"),
    503: (529, "overloaded_error"),
    504: (504, "timeout_error"),
}
_ANTHROPIC_PATH = re.compile(r"/messages(/count_tokens)?/?$|/v1/messages/")
# Bedrock's wrapper around Claude's own refusals; Claude Code reads the text inside it
# ("prompt is too long: N tokens > M maximum" starts a compaction).
_BEDROCK_MODEL_ERRORS = "The model returned the following errors: "


def anthropic_error(error: GatewayError) -> tuple[int, str]:
    """Anthropic's status and error type for a gateway error."""
    default = (error.status, "invalid_request_error" if error.status < 500 else "api_error")
    return ANTHROPIC_ERRORS.get(error.status, default)


def anthropic_body(error: GatewayError, request_id: str | None = None) -> dict:
    """Anthropic's error object; also the data of a mid-stream ``event: error``."""
    message = error.message.removeprefix(_BEDROCK_MODEL_ERRORS)
    body: dict = {"type": "error", "error": {"type": anthropic_error(error)[1], "message": message}}
    if request_id is not None:
        body["request_id"] = request_id
    return body


def is_anthropic_route() -> bool:
    """Whether this request speaks Anthropic's Messages API (routed or not, e.g. a 404)."""
    if request.blueprint is not None:
        return request.blueprint.endswith(".messages")
    return bool(_ANTHROPIC_PATH.search(request.path))


def with_request_id(message: str, request_id: str) -> str:
    """Error messages name the request id, so a pasted message finds its log line."""
    return message if request_id in message else f"{message} (request id {request_id})"


def error_response(error: GatewayError) -> Response:
    if "exchange" in g:
        g.exchange.error_type = error.upstream_code or error.code or error.type
    rid = request_id()
    if is_anthropic_route():
        # Anthropic's envelope names the request id itself; the message stays Bedrock's exact
        # text, which Claude Code reads ("prompt is too long: N tokens > M maximum").
        status, _ = anthropic_error(error)
        response = jsonify(anthropic_body(error, rid))
        response.headers["request-id"] = rid
    else:
        error.message = with_request_id(error.message, rid)
        status = error.status
        response = jsonify(error.to_body())
    response.status_code = status
    if error.retry_after is not None:
        response.headers["Retry-After"] = str(error.retry_after)
    response.headers.update(error.headers)
    return response


_HTTP_ERRORS: dict[int, type[GatewayError]] = {
    400: InvalidRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    405: MethodNotAllowedError,
    409: ConflictError,
    413: RequestTooLargeError,
    415: UnsupportedMediaTypeError,
    429: RateLimitError,
}


def from_http_exception(exc: HTTPException) -> GatewayError:
    """Turn werkzeug's routing and body errors into the gateway's own."""
    status = exc.code or 500
    cls = _HTTP_ERRORS.get(status, InvalidRequestError if status < 500 else GatewayError)
    if status == 404:
        message = f"Unknown request URL: {request.method} {request.path}."
    elif status == 405:
        message = f"Method {request.method} is not allowed for {request.path}."
    elif status == 413:
        message = "The request body is too large."
    else:
        message = exc.description or exc.name
    error = cls(message)
    error.status = status
    return error


def from_validation_error(exc: ValidationError) -> InvalidRequestError:
    """Name the first offending field as ``param`` and say what is wrong with it."""
    path, text = first_message(exc.messages)
    param = path or None
    message = f"Invalid value for '{param}': {text}" if param else text
    return InvalidRequestError(message, param=param)


def first_message(messages: object, path: str = "") -> tuple[str, str]:
    """Walk marshmallow's nested messages to the first leaf: ``("messages[0].role", "...")``."""
    if isinstance(messages, dict):
        key, value = next(iter(messages.items()))
        if key == "_schema":
            return first_message(value, path)
        segment = f"[{key}]" if isinstance(key, int) else (f".{key}" if path else str(key))
        return first_message(value, path + segment)
    if isinstance(messages, list) and messages:
        return first_message(messages[0], path)
    return path, str(messages)


def request_id() -> str:
    """The client's X-Request-Id if well formed, else a new ``req_<32 hex>``; once per request."""
    state = g._get_current_object()  # one context lookup: hooks and views ask several times
    if "request_id" not in state:
        state.request_id = accepted_request_id(request.headers.get("X-Request-Id"))
    return state.request_id


def accepted_request_id(presented: str | None) -> str:
    if presented and REQUEST_ID_PATTERN.fullmatch(presented):
        return presented
    return f"req_{secrets.token_hex(16)}"


def register_error_handlers(app: Flask) -> None:
    """One renderer for every failure; unexpected ones are logged with a request id."""

    @app.before_request
    def assign_request_id() -> None:
        request_id()

    @app.after_request
    def expose_request_id(response: Response) -> Response:
        # A before_request hook that answers (an OPTIONS) skips the later ones: assign here too.
        response.headers.setdefault("X-Request-Id", request_id())
        return response

    @app.errorhandler(GatewayError)
    def handle_gateway_error(exc: GatewayError) -> Response:
        return error_response(exc)

    @app.errorhandler(ValidationError)
    def handle_validation_error(exc: ValidationError) -> Response:
        return error_response(from_validation_error(exc))

    @app.errorhandler(HTTPException)
    def handle_http_exception(exc: HTTPException) -> Response:
        return error_response(from_http_exception(exc))

    @app.errorhandler(Exception)
    def handle_unexpected(exc: Exception) -> Response:
        log.exception("unhandled error (request id %s)", request_id())
        return error_response(GatewayError("The server had an error processing your request."))
