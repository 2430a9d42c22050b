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
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import partial

import orjson
from flask import Response, current_app, g

from app.drain import DRAIN
from app.errors import GatewayError, ServerShuttingDownError, anthropic_body, with_request_id
from app.exchange import Exchange
from app.exchange import current as current_exchange
from app.pacing import SILENCE, Paced

log = logging.getLogger(__name__)

DONE = b"data: [DONE]\n\n"
KEEP_ALIVE = b": keep-alive\n\n"
PING = b'event: ping\ndata: {"type": "ping"}\n\n'
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


def has_chat_token(chunk: dict) -> bool:
    """A chat chunk carrying answer content, reasoning or a tool call (not the role chunk)."""
    choices = chunk.get("choices")
    if not choices:
        return False
    delta = choices[0]["delta"]
    return bool(delta.get("content") or delta.get("reasoning_content") or delta.get("tool_calls"))


@dataclass(frozen=True)
class Framing:
    """How one dialect writes its events, its mid-stream error and its end.

    ``has_token`` tells the first event that carries a token (time to first token).
    ``heartbeat`` is written while Bedrock is silent (an SSE comment unless the dialect has a ping).
    """

    frame: Callable[[dict], bytes]
    error: Callable[[GatewayError], bytes]
    done: bytes = b""
    has_token: Callable[[dict], bool] | None = None
    # Written while Bedrock is silent, so proxies (an ALB's 60 s idle timeout) keep the stream.
    # A callable makes each one (a dialect whose keep-alive is a numbered event).
    heartbeat: bytes | Callable[[], bytes] = KEEP_ALIVE


def messages_event(payload: dict | bytes) -> bytes:
    """Anthropic Messages: a named event; a frame the translator already made goes as it is."""
    return payload if isinstance(payload, bytes) else named_event(payload)


def messages_error_event(error: GatewayError) -> bytes:
    """``event: error``: the anthropic SDK raises the APIStatusError its data describes."""
    return named_event(anthropic_body(error))


CHAT_COMPLETIONS = Framing(frame=event, error=error_event, done=DONE, has_token=has_chat_token)
# The Messages translators mark the first token themselves; Anthropic's keep-alive is a ping event.
MESSAGES = Framing(frame=messages_event, error=messages_error_event, heartbeat=PING)


def encode_stream(
    chunks: Iterable[dict],
    request_id: str,
    framing: Framing = CHAT_COMPLETIONS,
    exchange: Exchange | None = None,
    heartbeat: float = 0.0,
) -> Iterator[bytes]:
    """Relay each event as soon as it exists; end with the dialect's end or its error event.

    With a ``heartbeat`` interval, a keep-alive goes out whenever nothing was written that
    long, and a drain deadline can end a silent stream. A stream that can tick (the lean
    client under gevent) shows each silence of Bedrock's as an empty item, which the
    translators pass on; any other is read in the background (``Paced``).
    """
    relay = _Relay(framing, exchange)
    upstream = getattr(chunks, "upstream", None)
    ticks = heartbeat > 0 and _ticks(upstream, heartbeat)
    paced = Paced(iter(chunks)) if heartbeat > 0 and not ticks else None
    unwatch = DRAIN.watch(partial(_tick_to_deadline, upstream, heartbeat)) if ticks else None
    try:
        if paced is None:
            beat, now = framing.heartbeat, time.monotonic
            # A timer may fire a little before the monotonic clock shows the interval passed.
            due = heartbeat * 0.95
            last_write = now()
            for chunk in chunks:
                if chunk:
                    yield relay.frame(chunk)
                    last_write = now()
                elif ticks and now() - last_write >= due:  # an idle tick, or nothing made for a while
                    yield beat() if callable(beat) else beat
                    last_write = now()
                if DRAIN.deadline is not None:
                    left = DRAIN.deadline - time.monotonic()
                    if left <= 0:
                        yield relay.shut_down(request_id)
                        return
                    if ticks:
                        upstream.tick_every(min(heartbeat, max(left, 0.001)))
        else:
            yield from _paced_frames(paced, relay, heartbeat, request_id)
            if relay.ended:
                return
    except GatewayError as exc:
        yield relay.failed(exc, request_id)
        return
    except Exception:
        log.exception("unexpected error while streaming (request id %s)", request_id)
        message = with_request_id("The server had an error while streaming.", request_id)
        yield framing.error(GatewayError(message))
        return
    finally:
        if unwatch is not None:
            unwatch()
        if paced is not None:
            paced.close()
        else:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()
    if framing.done:
        yield framing.done


def _ticks(upstream, heartbeat: float) -> bool:
    """Whether ``upstream`` will show Bedrock's silences as idle ticks from now on."""
    tick_every = getattr(upstream, "tick_every", None)
    return tick_every is not None and tick_every(heartbeat)


def _tick_to_deadline(upstream, heartbeat: float) -> None:
    """Draining has begun: a silent ``upstream`` ticks at the deadline at the latest."""
    upstream.tick_every(min(heartbeat, max(DRAIN.deadline - time.monotonic(), 0.001)))


def _paced_frames(paced: Paced, relay: _Relay, heartbeat: float, request_id: str) -> Iterator[bytes]:
    """Frames as Bedrock's events arrive (several at once in one write); keep-alives between."""
    unwatch = DRAIN.watch(paced.wake)
    last_write = time.monotonic()
    try:
        while True:
            deadline = DRAIN.deadline
            now = time.monotonic()
            if deadline is not None and now >= deadline:
                yield relay.shut_down(request_id)
                return
            wait = heartbeat - (now - last_write)
            if deadline is not None:
                wait = min(wait, deadline - now)
            try:
                items = paced.next_items(max(wait, 0.0))
            except StopIteration:
                return
            if items is SILENCE:
                if time.monotonic() - last_write >= heartbeat:
                    beat = relay.framing.heartbeat
                    yield beat() if callable(beat) else beat
                    last_write = time.monotonic()
                continue
            data = b"".join([relay.frame(item) for item in items])
            if data:  # (a batch of Bedrock events may make nothing yet: held text)
                yield data
                last_write = time.monotonic()
    finally:
        unwatch()


class _Relay:
    """One stream's bookkeeping: first byte and token on the record, and how it ended."""

    def __init__(self, framing: Framing, exchange: Exchange | None):
        self.framing = framing
        self.exchange = exchange
        self.has_token = framing.has_token if exchange is not None else None
        self.ended = False
        if exchange is not None:
            exchange.mark_first_byte()
        plain = framing.frame

        def frame(chunk: dict | list[dict]) -> bytes:
            """One event's bytes, or one write for a list of events that arrived together."""
            return b"".join(map(plain, chunk)) if type(chunk) is list else plain(chunk)

        self.plain_frame = frame
        self.frame = self._watching_frame if self.has_token is not None else frame

    def _watching_frame(self, chunk: dict | list[dict]) -> bytes:
        """Until the first token has gone out, each event is checked for one (then no more)."""
        for item in chunk if type(chunk) is list else (chunk,):
            if self.has_token(item):
                self.exchange.mark_first_token()
                self.frame = self.plain_frame
                break
        return self.plain_frame(chunk)

    def failed(self, exc: GatewayError, request_id: str) -> bytes:
        if self.exchange is not None:
            self.exchange.error_type = self.exchange.error_type or exc.upstream_code or exc.code or exc.type
        log.info("stream ended by upstream error %s (request id %s)", exc.code, request_id)
        exc.message = with_request_id(exc.message, request_id)
        self.ended = True
        return self.framing.error(exc)

    def shut_down(self, request_id: str) -> bytes:
        """The drain deadline came first: end with an error the client can retry on."""
        error = ServerShuttingDownError()
        if self.exchange is not None:
            self.exchange.error_type = error.code
        log.info("stream ended by the drain deadline (request id %s)", request_id)
        error.message = with_request_id(error.message, request_id)
        self.ended = True
        return self.framing.error(error)


def stream_response(chunks: Iterable[dict], framing: Framing = CHAT_COMPLETIONS) -> Response:
    """``text/event-stream`` response; headers go out before the first chunk is produced."""
    exchange = current_exchange()
    exchange.streamed = True
    heartbeat = current_app.extensions["settings"].sse_heartbeat_seconds
    frames = encode_stream(chunks, g.get("request_id", "unknown"), framing, exchange, heartbeat)
    body = _Body(frames, exchange)
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
    return Started(_relay(first, events, upstream), upstream)


class Started:
    """A started relay's events, and the Bedrock stream they come from (for its idle ticks)."""

    def __init__(self, events: Iterator, upstream: Iterator):
        self.events, self.upstream = events, upstream

    def __iter__(self) -> Iterator:
        return self.events

    def __next__(self):
        return next(self.events)

    def close(self) -> None:
        self.events.close()


def _relay(first, events: Iterator, upstream: Iterator) -> Iterator:
    """Yield every event; on exit, even a client disconnect, release the Bedrock stream."""
    try:
        yield first
        yield from events
    finally:
        events.close()
        upstream.close()
