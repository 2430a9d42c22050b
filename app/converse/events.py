"""A Converse answer as the ConverseStream events that would have carried it.

Models without streaming support still answer ``stream: true``: one Converse call, relayed
through the same stream translators as a real stream.
"""

from __future__ import annotations

import json
from collections.abc import Iterator


def events_from_converse_response(response: dict) -> Iterator[dict]:
    """The ConverseStream events that would have carried ``response``."""
    message = response["output"]["message"]
    yield {"messageStart": {"role": message.get("role", "assistant")}}
    for index, block in enumerate(message.get("content", [])):
        yield from _block_events(block, index)
    yield {"messageStop": {"stopReason": response.get("stopReason", "end_turn")}}
    metadata = {"usage": response.get("usage") or {}, "metrics": response.get("metrics") or {}}
    yield {"metadata": metadata}


def _block_events(block: dict, index: int) -> Iterator[dict]:
    if "toolUse" in block:
        use = block["toolUse"]
        start = {"toolUse": {"toolUseId": use["toolUseId"], "name": use["name"]}}
        yield {"contentBlockStart": {"start": start, "contentBlockIndex": index}}
        yield _delta(index, {"toolUse": {"input": json.dumps(use["input"])}})
    elif "text" in block:
        yield _delta(index, {"text": block["text"]})
    elif "reasoningContent" in block:
        for part in _reasoning_deltas(block["reasoningContent"]):
            yield _delta(index, {"reasoningContent": part})
    else:
        return
    yield {"contentBlockStop": {"contentBlockIndex": index}}


def _reasoning_deltas(reasoning: dict) -> list[dict]:
    if "redactedContent" in reasoning:
        return [{"redactedContent": reasoning["redactedContent"]}]
    text = reasoning.get("reasoningText") or {}
    parts = [{"text": text.get("text", "")}]
    if text.get("signature"):
        parts.append({"signature": text["signature"]})
    return parts


def _delta(index: int, delta: dict) -> dict:
    return {"contentBlockDelta": {"delta": delta, "contentBlockIndex": index}}
