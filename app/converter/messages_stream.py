"""ConverseStream events → Anthropic's Messages stream events (dicts; ``sse`` frames them).

The anthropic SDK's accumulator wants ``message_start`` first and a ``content_block_start``
before any delta of a block, at ``content[index]``. Converse opens text and reasoning
blocks implicitly and numbers blocks its own way, so a block is opened on its first delta
and indexes are renumbered densely. Converse reports usage in ``metadata`` after
``messageStop``: ``message_delta`` (stop reason and usage) waits for it; ``message_start``
says 0 input tokens, and the real count arrives in ``message_delta``, which the SDK merges.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from app.converse.blocks import redacted_block
from app.converter.messages_response import Usage, matched_stop_sequence, stop_reason


class _Blocks:
    """The open block, and the dense index the next one gets."""

    def __init__(self) -> None:
        self.next_index = 0
        self.open: tuple[int, str] | None = None  # (Converse index, kind)

    def start(self, converse_index: int, kind: str, block: dict) -> Iterator[dict]:
        if self.open == (converse_index, kind):
            return
        yield from self.stop()
        self.open = (converse_index, kind)
        yield {"type": "content_block_start", "index": self.next_index, "content_block": block}

    def stop(self) -> Iterator[dict]:
        if self.open is not None:
            self.open = None
            yield {"type": "content_block_stop", "index": self.next_index}
            self.next_index += 1

    @property
    def index(self) -> int:
        return self.next_index


def converse_stream_to_events(
    events: Iterable[dict],
    *,
    model: str,
    message_id: str,
    on_first_token: Callable[[], None] = lambda: None,
    stop_sequences: list[str] | tuple = (),
) -> Iterator[dict]:
    """Anthropic stream events for ConverseStream ``events``; ``model`` as the client asked."""
    blocks = _Blocks()
    reason: str | None = None
    first_token = True
    yield _message_start(model, message_id)
    for event in events:
        if "contentBlockStart" in event:
            start = event["contentBlockStart"]
            use = start["start"].get("toolUse")
            if use is not None:
                block = {"type": "tool_use", "id": use["toolUseId"], "name": use["name"], "input": {}}
                yield from blocks.start(start["contentBlockIndex"], "tool_use", block)
        elif "contentBlockDelta" in event:
            delta = event["contentBlockDelta"]
            out = list(_delta_events(blocks, delta["contentBlockIndex"], delta["delta"]))
            if out and first_token:
                first_token = False
                on_first_token()
            yield from out
        elif "contentBlockStop" in event:
            yield from blocks.stop()
        elif "messageStop" in event:
            yield from blocks.stop()
            reason = event["messageStop"].get("stopReason")
        elif "metadata" in event:
            yield from _end(reason, Usage.from_converse(event["metadata"].get("usage") or {}), stop_sequences)
            return
        elif not event:  # an idle tick: the relay writes a ping
            yield event
    yield from blocks.stop()
    yield from _end(reason, Usage(), stop_sequences)


def _message_start(model: str, message_id: str) -> dict:
    message = {
        "id": message_id,
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "usage": Usage().to_dict(),
    }
    return {"type": "message_start", "message": message}


def _delta_events(blocks: _Blocks, converse_index: int, delta: dict) -> Iterator[dict]:
    if "text" in delta:
        yield from blocks.start(converse_index, "text", {"type": "text", "text": ""})
        yield _delta(blocks.index, {"type": "text_delta", "text": delta["text"]})
    elif "toolUse" in delta:
        partial = delta["toolUse"].get("input", "")
        yield _delta(blocks.index, {"type": "input_json_delta", "partial_json": partial})
    elif "reasoningContent" in delta:
        yield from _reasoning_events(blocks, converse_index, delta["reasoningContent"])


def _reasoning_events(blocks: _Blocks, converse_index: int, reasoning: dict) -> Iterator[dict]:
    if "redactedContent" in reasoning:
        yield from blocks.start(converse_index, "redacted", redacted_block(reasoning["redactedContent"]))
        return
    yield from blocks.start(converse_index, "thinking", {"type": "thinking", "thinking": "", "signature": ""})
    if "text" in reasoning:
        yield _delta(blocks.index, {"type": "thinking_delta", "thinking": reasoning["text"]})
    if "signature" in reasoning:
        yield _delta(blocks.index, {"type": "signature_delta", "signature": reasoning["signature"]})


def _delta(index: int, delta: dict) -> dict:
    return {"type": "content_block_delta", "index": index, "delta": delta}


def _end(reason: str | None, usage: Usage, stop_sequences: list[str] | tuple) -> Iterator[dict]:
    matched = matched_stop_sequence(reason, list(stop_sequences))
    delta = {"stop_reason": stop_reason(reason), "stop_sequence": matched}
    yield {"type": "message_delta", "delta": delta, "usage": usage.to_dict()}
    yield {"type": "message_stop"}
