"""Server-sent events: chunk dicts to bytes, and the streaming response around them."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator

from flask import Response, g

from app.errors import GatewayError

log = logging.getLogger(__name__)

DONE = b"data: [DONE]\n\n"
HEADERS = {
    "Cache-Control": "no-cache",
    "X-Accel-Buffering": "no",
}
_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def event(payload: dict) -> bytes:
    return b"data: " + _dumps(payload).encode() + b"\n\n"


def error_event(error: GatewayError) -> bytes:
    """The OpenAI SDK raises an APIError on a data event holding an ``error`` key."""
    return event(error.to_body())


def encode_stream(chunks: Iterable[dict], request_id: str) -> Iterator[bytes]:
    """Relay each chunk as soon as it exists; end with [DONE] or an error event."""
    try:
        for chunk in chunks:
            yield event(chunk)
    except GatewayError as exc:
        log.info("stream ended by upstream error %s (request id %s)", exc.code, request_id)
        yield error_event(exc)
        return
    except Exception:
        log.exception("unexpected error while streaming (request id %s)", request_id)
        yield error_event(GatewayError(f"The server had an error while streaming (request id {request_id})."))
        return
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()
    yield DONE


def stream_response(chunks: Iterable[dict]) -> Response:
    """``text/event-stream`` response; headers go out before the first chunk is produced."""
    body = encode_stream(chunks, g.get("request_id", "unknown"))
    return Response(body, mimetype="text/event-stream", headers=HEADERS, direct_passthrough=True)
