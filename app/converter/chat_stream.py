"""ConverseStream events → OpenAI ``chat.completion.chunk`` dicts.

This is the hot path: one small dict per Bedrock delta, built directly. Tool calls are
numbered 0, 1, … within the message whatever Bedrock's contentBlockIndex, and so are
``thinking_blocks`` entries (an SDK's stream accumulator merges list deltas by ``index``).
With a structured-output tool, its argument fragments are the answer's ``content`` and any
text the model writes is held back until it is clear whether that tool is called; if it
is not, the text is released as JSON content or as a refusal (``declined_structured``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from app.converse.blocks import redacted_block
from app.converse.call import ConverseCall
from app.converter.chat_response import (
    SYSTEM_FINGERPRINT,
    declined_structured,
    finish_reason,
    served_with,
    summed_usage,
    usage_to_openai,
)

_STRUCTURED = -1  # tool index standing for the structured-output tool


def interleaved_choices(chunks: Iterable[tuple[int, dict]], include_usage: bool) -> Iterator[dict]:
    """Several choices' chunks as they arrive, with one usage chunk, summed, at the end."""
    usage_chunks: list[dict] = []
    for _, chunk in chunks:
        if chunk["choices"]:
            yield chunk
        else:
            usage_chunks.append(chunk)
    if include_usage and usage_chunks:
        yield {**usage_chunks[-1], "usage": summed_usage([chunk["usage"] for chunk in usage_chunks])}


def converse_stream_to_chunks(
    events: Iterable[dict],
    *,
    model: str,
    call: ConverseCall,
    completion_id: str,
    created: int,
    include_usage: bool,
    choice_index: int = 0,
) -> Iterator[dict]:
    """Yield the chunks for one streamed answer; a usage chunk last when asked for."""
    stream = _ChunkStream(model, call, completion_id, created, include_usage)
    stream.choice_index = choice_index
    for event in events:
        yield from stream.feed(event)
    if stream.finish is not None:
        yield stream.finish


def converse_stream_to_chunk_batches(
    batches: Iterable[list[dict]],
    *,
    model: str,
    call: ConverseCall,
    completion_id: str,
    created: int,
    include_usage: bool,
) -> Iterator[list[dict]]:
    """The same chunks, a list per batch of events that arrived together.

    A batch that makes no chunk (an idle tick from Bedrock, or held text) comes out as an
    empty list: the relay's keep-alive timer still sees it.
    """
    stream = _ChunkStream(model, call, completion_id, created, include_usage)
    feed = stream.feed
    for batch in batches:
        chunks = [chunk for event in batch for chunk in feed(event)]
        yield chunks
    if stream.finish is not None:
        yield [stream.finish]


class _ChunkStream:
    """The state one answer needs between events."""

    def __init__(self, model: str, call: ConverseCall, completion_id: str, created: int, include_usage: bool):
        self.model = model
        self.structured_tool = call.structured_tool
        self.completion_id = completion_id
        self.created = created
        self.include_usage = include_usage
        self.tool_index: dict[int, int] = {}  # contentBlockIndex → OpenAI tool call index
        self.tool_count = 0
        self.thinking_count = 0  # thinking_blocks entries sent so far
        self.reasoning: list[str] = []
        self.block_reasoning: dict[int, list[str]] = {}
        self.held_text: list[str] | None = [] if call.structured_tool else None
        self.structured_seen = False
        self.finish: dict | None = None
        self.choice_index = 0

    def feed(self, event: dict) -> list[dict]:
        """The chunks one event makes (usually one, sometimes none or two)."""
        if "contentBlockDelta" in event:
            chunk = self.delta(event["contentBlockDelta"])
            return [chunk] if chunk is not None else []
        if "contentBlockStart" in event:
            chunk = self.block_start(event["contentBlockStart"])
            return [chunk] if chunk is not None else []
        if "messageStart" in event:
            return [self.chunk({"role": "assistant", "content": ""})]
        if "messageStop" in event:
            return list(self.stop(event["messageStop"]))
        if "metadata" in event:
            return list(self.metadata(event["metadata"]))
        return []

    def chunk(self, delta: dict, finish: str | None = None) -> dict:
        chunk = {
            "id": self.completion_id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "system_fingerprint": SYSTEM_FINGERPRINT,
            "choices": [
                {"index": self.choice_index, "delta": delta, "logprobs": None, "finish_reason": finish}
            ],
        }
        if self.include_usage:
            chunk["usage"] = None
        return chunk

    def delta(self, event: dict) -> dict | None:
        delta = event["delta"]
        if "text" in delta:
            return self._text(delta["text"])
        if "toolUse" in delta:
            return self._tool_input(event.get("contentBlockIndex", 0), delta["toolUse"].get("input", ""))
        if "reasoningContent" in delta:
            return self._reasoning(event.get("contentBlockIndex", 0), delta["reasoningContent"])
        return None

    def _text(self, text: str) -> dict | None:
        if not text:
            return None
        if self.held_text is not None:
            if not self.structured_seen:
                self.held_text.append(text)
            return None
        return self.chunk({"content": text})

    def _tool_input(self, block: int, fragment: str) -> dict | None:
        index = self.tool_index.get(block)
        if not fragment or index is None:
            return None
        if index == _STRUCTURED:
            return self.chunk({"content": fragment})
        return self.chunk({"tool_calls": [{"index": index, "function": {"arguments": fragment}}]})

    def _reasoning(self, block: int, reasoning: dict) -> dict | None:
        if "text" in reasoning:
            self.reasoning.append(reasoning["text"])
            self.block_reasoning.setdefault(block, []).append(reasoning["text"])
            return self.chunk({"reasoning_content": reasoning["text"]})
        if "signature" in reasoning:
            text = "".join(self.block_reasoning.pop(block, ()))
            signed = {"type": "thinking", "thinking": text, "signature": reasoning["signature"]}
            return self._thinking_block(signed)
        if "redactedContent" in reasoning:
            return self._thinking_block(redacted_block(reasoning["redactedContent"]))
        return None

    def _thinking_block(self, block: dict) -> dict:
        # openai-python's accumulator refuses a second list entry without an index.
        entry = {"index": self.thinking_count, **block}
        self.thinking_count += 1
        return self.chunk({"thinking_blocks": [entry]})

    def block_start(self, event: dict) -> dict | None:
        use = event.get("start", {}).get("toolUse")
        if use is None:
            return None
        block = event.get("contentBlockIndex", 0)
        if use["name"] == self.structured_tool:
            self.tool_index[block] = _STRUCTURED
            self.structured_seen = True
            return None
        self.tool_index[block] = index = self.tool_count
        self.tool_count += 1
        call = {"index": index, "id": use["toolUseId"], "type": "function"}
        call["function"] = {"name": use["name"], "arguments": ""}
        return self.chunk({"tool_calls": [call]})

    def stop(self, event: dict) -> Iterator[dict]:
        reason = event.get("stopReason")
        if self.held_text and not self.structured_seen:
            yield self.chunk(self._held_answer(reason))
        # Held for the metadata event, which says the tier served and the guardrail's trace.
        self.finish = self.chunk({}, finish_reason(reason, self.tool_count > 0))

    def metadata(self, event: dict) -> Iterator[dict]:
        served = served_with(event)
        if self.finish is not None:
            yield {**self.finish, **served}
            self.finish = None
        if self.include_usage:
            yield {**self.usage_chunk(event.get("usage") or {}), **served}

    def _held_answer(self, reason: str | None) -> dict:
        """The text written instead of calling the structured tool, as chat_response words it."""
        text = "".join(self.held_text or ())
        # Beside other tool calls, or cut short, the text stays content (as non-streaming).
        if self.tool_count or reason == "max_tokens":
            return {"content": text}
        answer = declined_structured(text)
        return {"content": answer["content"]} if answer["content"] is not None else {"refusal": text}

    def usage_chunk(self, usage: dict) -> dict:
        return {
            "id": self.completion_id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "system_fingerprint": SYSTEM_FINGERPRINT,
            "choices": [],
            "usage": usage_to_openai(usage, "".join(self.reasoning)),
        }
