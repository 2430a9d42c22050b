"""Offline token counts for a Converse stream that ended before Bedrock reported usage.

A client that abandons a stream, or an error that cuts it, leaves no ``metadata`` event,
yet Bedrock has read the prompt and written part of an answer. This counts both with the
offline tokenizer (cl100k_base: an estimate, close enough for limits and budgets), so such
a request is still charged. It runs only in that case, never on the hot path.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from app.exchange import Usage
from app.tokens import count_tokens


def estimate_converse_usage(kwargs: dict, deltas: list[dict]) -> Usage:
    """The Converse request's input, and the deltas streamed so far, in tokens."""
    prompt = "\n".join(_request_texts(kwargs))
    answer = "".join(_delta_text(delta) for delta in deltas)
    return Usage(input=count_tokens(prompt), output=count_tokens(answer))


def _request_texts(kwargs: dict) -> Iterator[str]:
    for block in kwargs.get("system") or ():
        yield from _block_texts(block)
    for message in kwargs.get("messages") or ():
        for block in message.get("content") or ():
            yield from _block_texts(block)
    tools = (kwargs.get("toolConfig") or {}).get("tools")
    if tools:
        yield json.dumps(tools, default=str)


def _block_texts(block: dict) -> Iterator[str]:
    if "text" in block:
        yield block["text"]
    elif "toolUse" in block:
        yield json.dumps(block["toolUse"].get("input"), default=str)
    elif "toolResult" in block:
        for part in block["toolResult"].get("content") or ():
            yield from _block_texts(part)
    elif "json" in block:
        yield json.dumps(block["json"], default=str)
    elif "reasoningContent" in block:
        yield block["reasoningContent"].get("reasoningText", {}).get("text", "")


def _delta_text(delta: dict) -> str:
    if "text" in delta:
        return delta["text"]
    if "toolUse" in delta:
        return delta["toolUse"].get("input", "")
    if "reasoningContent" in delta:
        return delta["reasoningContent"].get("text", "")
    return ""
