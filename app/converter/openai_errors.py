"""Bedrock's errors in the words OpenAI's own API uses, which agents act on.

Codex retries a ``rate_limit_exceeded`` after the delay it reads from "try again in N s"
and compacts its history on ``context_length_exceeded``; the OpenAI SDKs retry 429 and 5xx.
The same code and message are used before the first byte (an HTTP error) and after it
(``response.failed``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from app.errors import GatewayError, InvalidRequestError, RateLimitError

CONTEXT_LENGTH_EXCEEDED = "context_length_exceeded"
RATE_LIMIT_EXCEEDED = "rate_limit_exceeded"
SERVER_ERROR = "server_error"
# Bedrock's wording for an input over the model's context window, across families.
_TOO_LONG = (
    "too long",
    "exceed context limit",
    "context window",
    "maximum context length",
    "too many tokens",
)


def openai_error(exc: GatewayError) -> GatewayError:
    """``exc`` with OpenAI's code (and, for rate limits, the retry delay in its message)."""
    if isinstance(exc, RateLimitError):
        delay = exc.retry_after or 1
        message = f"{exc.message.rstrip('.')}. Please try again in {delay}s."
        error = RateLimitError(message, param=exc.param, code=RATE_LIMIT_EXCEEDED, retry_after=delay)
    elif isinstance(exc, InvalidRequestError) and exc.status == 400 and is_context_overflow(exc.message):
        error = InvalidRequestError(exc.message, param=exc.param, code=CONTEXT_LENGTH_EXCEEDED)
    else:
        return exc
    error.upstream_code = exc.upstream_code
    return error


def is_context_overflow(message: str) -> bool:
    lowered = message.lower()
    return any(words in lowered for words in _TOO_LONG)


def stream_failure(exc: GatewayError) -> dict:
    """``response.error`` for an error after the first byte: the codes Codex acts on."""
    error = openai_error(exc)
    code = error.code if error.code in (RATE_LIMIT_EXCEEDED, CONTEXT_LENGTH_EXCEEDED) else SERVER_ERROR
    return {"code": code, "message": error.message}


@contextlib.contextmanager
def as_openai_errors() -> Iterator[None]:
    try:
        yield
    except GatewayError as exc:
        raise openai_error(exc) from exc
