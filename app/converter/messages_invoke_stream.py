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
    chunks: Iterable[bytes],
    model: str,
    on_usage: Callable[[Usage], None] = lambda usage: None,
    on_first_token: Callable[[], None] = lambda: None,
) -> Iterator[bytes]:
    """SSE frames for Bedrock's chunk payloads; ``model`` is the name the client asked for."""
    usage = Usage()
    held: dict | None = None
    first_token = True
    for raw in chunks:
        if not raw:  # an idle tick: the relay writes a ping
            yield raw
            continue
        event = orjson.loads(raw)
        kind = event.get("type")
        if kind == "content_block_delta":
            if first_token:
                first_token = False
                on_first_token()
            yield frame(b"content_block_delta", raw)
        elif kind == "message_start":
            message = event["message"]
            message["model"] = model
            usage.update(message.get("usage") or {})
            yield encoded(event)
        elif kind == "message_delta":
            held = event
        elif kind == "message_stop":
            metrics = event.pop(METRICS, None) or {}
            if held is not None:
                yield encoded(_with_metrics(held, metrics, usage))
                held = None
            on_usage(usage)
            yield encoded(event)
        else:
            yield frame(str(kind).encode(), raw)
    if held is not None:
        usage.update(held.get("usage") or {})
        on_usage(usage)
        yield encoded(held)


def _with_metrics(delta: dict, metrics: dict, usage: Usage) -> dict:
    counts = delta.setdefault("usage", {})
    for metric, name in _METRIC_FIELDS.items():
        if metrics.get(metric) is not None:
            counts[name] = metrics[metric]
    usage.update(counts)
    return delta
