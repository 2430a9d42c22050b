"""Claude's InvokeModel stream → Anthropic's Messages stream, re-framed rather than re-encoded.

Bedrock's chunks already are Anthropic's stream events; each goes out as ``event: <type>``
+ ``data: <the chunk's own bytes>``. Three are touched: ``message_start`` gets the model
name the client asked for; ``message_stop`` loses Bedrock's
``amazon-bedrock-invocationMetrics``, whose input and cache counts are folded into the
``message_delta`` held back until then (the SDK takes non-null counts from it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

import orjson

from app.converter.messages_response import Usage

METRICS = "amazon-bedrock-invocationMetrics"
_DELTA_PREFIX = b'{"type":"content_block_delta"'
_METRIC_FIELDS = {
    "inputTokenCount": "input_tokens",
    "cacheReadInputTokenCount": "cache_read_input_tokens",
    "cacheWriteInputTokenCount": "cache_creation_input_tokens",
}


def frame(event_type: bytes, data: bytes) -> bytes:
    return b"event: " + event_type + b"\ndata: " + data + b"\n\n"


def encoded(event: dict) -> bytes:
    return frame(event["type"].encode(), orjson.dumps(event))


def invoke_stream_frames(
    batches: Iterable[list[bytes]],
    model: str,
    on_usage: Callable[[Usage], None] = lambda usage: None,
    on_first_token: Callable[[], None] = lambda: None,
) -> Iterator[bytes]:
    """One write's SSE frames for each batch of Bedrock's chunk payloads (the chunks one read
    completed); ``model`` is the name the client asked for. An empty batch (an idle tick)
    and a batch that is all held back make ``b""``."""
    reframe = _Reframer(model, on_usage, on_first_token)
    for batch in batches:
        yield b"".join([reframe.chunk(raw) for raw in batch])
    tail = reframe.end()
    if tail:
        yield tail


class _Reframer:
    def __init__(self, model: str, on_usage: Callable[[Usage], None], on_first_token: Callable[[], None]):
        self.model, self.on_usage, self.on_first_token = model, on_usage, on_first_token
        self.usage = Usage()
        self.held: dict | None = None
        self.first_token = True

    def chunk(self, raw: bytes) -> bytes:
        if raw.startswith(_DELTA_PREFIX):  # most of a stream; Bedrock writes "type" first
            return self.delta(raw)
        event = orjson.loads(raw)
        kind = event.get("type")
        if kind == "content_block_delta":
            return self.delta(raw)
        if kind == "message_start":
            message = event["message"]
            message["model"] = self.model
            self.usage.update(message.get("usage") or {})
            return encoded(event)
        if kind == "message_delta":
            self.held = event
            return b""
        if kind == "message_stop":
            metrics = event.pop(METRICS, None) or {}
            held, self.held = self.held, None
            delta = b"" if held is None else encoded(_with_metrics(held, metrics, self.usage))
            self.on_usage(self.usage)
            return delta + encoded(event)
        return frame(str(kind).encode(), raw)

    def delta(self, raw: bytes) -> bytes:
        if self.first_token:
            self.first_token = False
            self.on_first_token()
        return b"event: content_block_delta\ndata: " + raw + b"\n\n"

    def end(self) -> bytes:
        """A stream cut before ``message_stop`` still sends the delta held back."""
        if self.held is None:
            return b""
        self.usage.update(self.held.get("usage") or {})
        self.on_usage(self.usage)
        return encoded(self.held)


def _with_metrics(delta: dict, metrics: dict, usage: Usage) -> dict:
    counts = delta.setdefault("usage", {})
    for metric, name in _METRIC_FIELDS.items():
        if metrics.get(metric) is not None:
            counts[name] = metrics[metric]
    usage.update(counts)
    return delta
