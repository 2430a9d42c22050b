"""Server-sent events: the one streaming relay every dialect uses.

A dialect's stream translator yields event dicts; a ``Framing`` turns each into bytes
(OpenAI Chat Completions: ``data:`` lines and a final ``[DONE]``; Responses and Messages:
``event:`` + ``data:`` and no sentinel) and renders an error raised after the first byte
as the dialect's error event. ``start_stream`` pulls the first event before the response
starts, so an error before the first byte is still a plain HTTP error; whatever happens
afterwards, the Bedrock stream is closed when the relay ends, a client disconnect included.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import orjson
from flask import Response, g

from app.errors import GatewayError, anthropic_body
from app.exchange import Exchange
from app.exchange import current as current_exchange

log = logging.getLogger(__name__)

DONE = b"data: [DONE]\n\n"
HEADERS = {
    "Cache-Control": "no-cache",
    "X-Accel-Buffering": "no",
}
_ascii_dumps = json.JSONEncoder(separators=(",", ":")).encode


def _dumps(payload: dict) -> bytes:
    """UTF-8 JSON straight to bytes; a lone surrogate, which UTF-8 cannot carry, as an ASCII escape."""
    try:
        return orjson.dumps(payload)
    except TypeError:
        return _ascii_dumps(payload).encode()


def event(payload: dict) -> bytes:
    """A ``data:``-only frame (Chat Completions)."""
    return b"data: " + _dumps(payload) + b"\n\n"


def named_event(payload: dict) -> bytes:
    """An ``event: <type>`` + ``data:`` frame (Responses, Messages: SDKs dispatch on the event line)."""
    return b"event: " + payload["type"].encode() + b"\ndata: " + _dumps(payload) + b"\n\n"


def error_event(error: GatewayError) -> bytes:
    """The OpenAI SDK raises an APIError on a data event holding an ``error`` key."""
    return event(error.to_body())


@dataclass(frozen=True)
class Framing:
    """How one dialect writes its events, its mid-stream error and its end."""

    frame: Callable[[dict], bytes]
    error: Callable[[GatewayError], bytes]
    done: bytes = b""


def messages_event(payload: dict | bytes) -> bytes:
    """Anthropic Messages: a named event; a frame the translator already made goes as it is."""
    return payload if isinstance(payload, bytes) else named_event(payload)


def messages_error_event(error: GatewayError) -> bytes:
    """``event: error``: the anthropic SDK raises the APIStatusError its data describes."""
    return named_event(anthropic_body(error))


CHAT_COMPLETIONS = Framing(frame=event, error=error_event, done=DONE)
MESSAGES = Framing(frame=messages_event, error=messages_error_event)


def encode_stream(
    chunks: Iterable[dict],
    request_id: str,
    framing: Framing = CHAT_COMPLETIONS,
    exchange: Exchange | None = None,
) -> Iterator[bytes]:
    """Relay each event as soon as it exists; end with the dialect's end or its error event.

    An item may also be a list of events that are ready together: they go out in one write.
    """
    frame = framing.frame
    try:
        for chunk in chunks:
            if exchange is not None and exchange.first_byte_at is None:
                exchange.mark_first_byte()
            yield b"".join(map(frame, chunk)) if type(chunk) is list else frame(chunk)
    except GatewayError as exc:
        if exchange is not None:
            exchange.error_type = exchange.error_type or exc.code or exc.type
        log.info("stream ended by upstream error %s (request id %s)", exc.code, request_id)
        yield framing.error(exc)
        return
    except Exception:
        log.exception("unexpected error while streaming (request id %s)", request_id)
        message = f"The server had an error while streaming (request id {request_id})."
        yield framing.error(GatewayError(message))
        return
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()
    if framing.done:
        yield framing.done


def stream_response(chunks: Iterable[dict], framing: Framing = CHAT_COMPLETIONS) -> Response:
    """``text/event-stream`` response; headers go out before the first chunk is produced."""
    exchange = current_exchange()
    exchange.streamed = True
    body = _Body(encode_stream(chunks, g.get("request_id", "unknown"), framing, exchange), exchange)
    return Response(body, mimetype="text/event-stream", headers=HEADERS, direct_passthrough=True)


class _Body:
    """The WSGI iterable of a stream: closing it closes the request's record.

    werkzeug skips ``call_on_close`` for a direct-passthrough body, and a WSGI server calls
    ``close()`` even on a stream it never started (the client left first), when a
    generator's ``finally`` would not run.
    """

    def __init__(self, frames: Iterator[bytes], exchange: Exchange):
        self.frames = frames
        self.exchange = exchange

    def __iter__(self) -> Iterator[bytes]:
        return self.frames

    def close(self) -> None:
        try:
            if self.frames.gi_frame is not None:  # not run to its end: the client went away
                self.exchange.disconnected = True
            self.frames.close()
        finally:
            self.exchange.close()


def start_stream(events: Iterator, upstream: Iterator) -> Iterator:
    """Pull the first event now, so an error before the first byte is a plain HTTP error.

    ``events`` are the dialect's translated events (or lists of them), ``upstream`` the
    Bedrock event iterator they read from; both are closed when the relay ends, however it ends.
    """
    try:
        first = next(events)
    except BaseException:
        events.close()
        upstream.close()
        raise
    return _relay(first, events, upstream)


def _relay(first, events: Iterator, upstream: Iterator) -> Iterator:
    """Yield every event; on exit, even a client disconnect, release the Bedrock stream."""
    try:
        yield first
        yield from events
    finally:
        events.close()
        upstream.close()
