"""ConverseStream: a Reply as the ordered event sequence, paced and optionally faulted."""

import json
import re
import time
from collections.abc import Iterator

from app.emulator import eventstream
from app.emulator.directives import Fault
from app.emulator.errors import stream_exception_shapes
from app.emulator.reply import Reply

TOOL_FRAGMENT = 10


def word_pieces(text: str) -> list[str]:
    """Split text into word-sized deltas that concatenate back exactly ("Hi", " there")."""
    pieces = re.findall(r"\s*\S+", text)
    tail = text[len("".join(pieces)) :]
    if tail:
        pieces = [*pieces[:-1], pieces[-1] + tail] if pieces else [tail]
    return pieces


def _delta(index: int, delta: dict) -> tuple[str, dict]:
    return "contentBlockDelta", {"contentBlockIndex": index, "delta": delta}


def _tool_events(index: int, tool: dict) -> Iterator[tuple[str, dict]]:
    # Bedrock sends contentBlockStart only for toolUse blocks, then input JSON fragments.
    start = {"toolUse": {"toolUseId": tool["toolUseId"], "name": tool["name"]}}
    yield "contentBlockStart", {"contentBlockIndex": index, "start": start}
    raw = json.dumps(tool["input"])
    for i in range(0, len(raw), TOOL_FRAGMENT):
        yield _delta(index, {"toolUse": {"input": raw[i : i + TOOL_FRAGMENT]}})


def _reasoning_events(index: int, block: dict) -> Iterator[tuple[str, dict]]:
    if "redactedContent" in block:
        yield _delta(index, {"reasoningContent": {"redactedContent": block["redactedContent"]}})
        return
    reasoning = block["reasoningText"]
    for piece in word_pieces(reasoning["text"]):
        yield _delta(index, {"reasoningContent": {"text": piece}})
    if reasoning.get("signature"):
        yield _delta(index, {"reasoningContent": {"signature": reasoning["signature"]}})


def _block_events(index: int, block: dict) -> Iterator[tuple[str, dict]]:
    if "toolUse" in block:
        yield from _tool_events(index, block["toolUse"])
    elif "reasoningContent" in block:
        yield from _reasoning_events(index, block["reasoningContent"])
    else:
        for piece in word_pieces(block["text"]):
            yield _delta(index, {"text": piece})
    yield "contentBlockStop", {"contentBlockIndex": index}


def reply_events(reply: Reply) -> Iterator[tuple[str, dict]]:
    """(event type, payload) in Bedrock's order, without the trailing metadata."""
    yield "messageStart", {"role": "assistant"}
    for index, block in enumerate(reply.blocks):
        yield from _block_events(index, block)
    yield "messageStop", {"stopReason": reply.stop_reason}


def fault_message(fault: Fault, output_shape: str = "ConverseStreamOutput") -> bytes:
    """A mid-stream error: a modelled exception event, or a generic error message."""
    if fault.name in stream_exception_shapes(output_shape):
        member = fault.name[0].lower() + fault.name[1:]
        return eventstream.exception(member, fault.message)
    return eventstream.error(fault.name, fault.message)


def encoded_stream(reply: Reply, started: float, fault: Fault | None) -> Iterator[bytes]:
    """The binary stream: paced by @@latency, cut by a midstream fault if one is armed."""
    script = reply.script
    sleep_ms(script.first_ms)
    deltas = 0
    for event_type, payload in reply_events(reply):
        if event_type == "contentBlockDelta":
            if fault and deltas >= fault.after:
                yield fault_message(fault)
                return
            if deltas:
                sleep_ms(script.token_ms)
            deltas += 1
        elif event_type == "messageStop" and fault:
            yield fault_message(fault)
            return
        yield eventstream.event(event_type, payload)
    metrics = {"latencyMs": int((time.monotonic() - started) * 1000)}
    metadata = {"usage": reply.usage, "metrics": metrics, **reply.fields}
    if reply.trace:
        metadata["trace"] = reply.trace
    yield eventstream.event("metadata", metadata)


def sleep_ms(ms: int) -> None:
    if ms:
        time.sleep(ms / 1000)
