"""InvokeModelWithResponseStream for Claude: Anthropic stream events as `chunk` events.

Each Anthropic event is one event-stream message of type `chunk` whose JSON payload is
`{"bytes": "<base64 of the event JSON>"}` (botocore's PayloadPart). `message_stop`
carries `amazon-bedrock-invocationMetrics`, as on Bedrock.
"""

import base64
import json
import time
from collections.abc import Iterator

from app.emulator import eventstream
from app.emulator.directives import Fault
from app.emulator.streaming import TOOL_FRAGMENT, fault_message, sleep_ms, word_pieces

OUTPUT_SHAPE = "ResponseStream"


def _delta(index: int, delta: dict) -> dict:
    return {"type": "content_block_delta", "index": index, "delta": delta}


def _start(index: int, block: dict) -> dict:
    return {"type": "content_block_start", "index": index, "content_block": block}


def _block_events(index: int, block: dict) -> Iterator[dict]:
    kind = block["type"]
    if kind == "text":
        yield _start(index, {"type": "text", "text": ""})
        for piece in word_pieces(block["text"]):
            yield _delta(index, {"type": "text_delta", "text": piece})
    elif kind == "thinking":
        yield _start(index, {"type": "thinking", "thinking": "", "signature": ""})
        for piece in word_pieces(block["thinking"]):
            yield _delta(index, {"type": "thinking_delta", "thinking": piece})
        yield _delta(index, {"type": "signature_delta", "signature": block["signature"]})
    elif kind == "tool_use":
        yield _start(index, {**block, "input": {}})
        raw = json.dumps(block["input"])
        for i in range(0, len(raw), TOOL_FRAGMENT):
            yield _delta(index, {"type": "input_json_delta", "partial_json": raw[i : i + TOOL_FRAGMENT]})
    else:  # redacted_thinking arrives whole
        yield _start(index, block)
    yield {"type": "content_block_stop", "index": index}


def message_events(message: dict) -> Iterator[dict]:
    """The Anthropic events for a finished message, message_stop without its metrics."""
    usage = message["usage"]
    opening = {**message, "content": [], "stop_reason": None, "stop_sequence": None}
    yield {"type": "message_start", "message": {**opening, "usage": {**usage, "output_tokens": 1}}}
    for index, block in enumerate(message["content"]):
        yield from _block_events(index, block)
    delta = {"stop_reason": message["stop_reason"], "stop_sequence": message["stop_sequence"]}
    yield {"type": "message_delta", "delta": delta, "usage": {"output_tokens": usage["output_tokens"]}}
    yield {"type": "message_stop"}


def chunk(event: dict) -> bytes:
    payload = base64.b64encode(json.dumps(event).encode()).decode()
    return eventstream.event("chunk", {"bytes": payload})


def invocation_metrics(usage: dict, started: float, first_byte: float) -> dict:
    metrics = {
        "inputTokenCount": usage["inputTokens"],
        "outputTokenCount": usage["outputTokens"],
        "invocationLatency": int((time.monotonic() - started) * 1000),
        "firstByteLatency": int((first_byte - started) * 1000),
    }
    for source, name in (
        ("cacheReadInputTokens", "cacheReadInputTokenCount"),
        ("cacheWriteInputTokens", "cacheWriteInputTokenCount"),
    ):
        if source in usage:
            metrics[name] = usage[source]
    return metrics


def encoded_stream(
    message: dict, usage: dict, script, started: float, fault: Fault | None
) -> Iterator[bytes]:
    """The binary stream, paced by @@latency and cut by a midstream fault if one is armed."""
    sleep_ms(script.first_ms)
    first_byte = time.monotonic()
    deltas = 0
    for event in message_events(message):
        if event["type"] == "content_block_delta":
            if fault and deltas >= fault.after:
                yield fault_message(fault, OUTPUT_SHAPE)
                return
            if deltas:
                sleep_ms(script.token_ms)
            deltas += 1
        elif event["type"] == "message_delta" and fault:
            yield fault_message(fault, OUTPUT_SHAPE)
            return
        if event["type"] == "message_stop":
            event["amazon-bedrock-invocationMetrics"] = invocation_metrics(usage, started, first_byte)
        yield chunk(event)
