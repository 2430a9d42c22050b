"""Alternating turns, and the facts about a conversation's history that Bedrock's rules need.

Converse refuses two turns of the same role in a row and a conversation that opens with
the assistant; Anthropic models also refuse a final assistant turn (a prefill) that ends
in whitespace, and, while thinking, a tool-use turn or a prefill without its signed
thinking block.
"""

from __future__ import annotations

import json

from app.catalogue import ModelInfo
from app.converse.blocks import EMPTY_TOOL_RESULT, tool_call_text, tool_result_text
from app.errors import InvalidRequestError

# Bedrock requires the first turn to be the user's; a client may open with an
# assistant greeting, so a neutral user turn goes before it.
CONVERSATION_START = "(conversation start)"


def merge_turns(turns: list[dict]) -> list[dict]:
    """Drop empty turns, join same-role neighbours, and open with a user turn."""
    merged: list[dict] = []
    for turn in turns:
        if not turn["content"]:
            continue
        if merged and merged[-1]["role"] == turn["role"]:
            merged[-1]["content"].extend(turn["content"])
        else:
            merged.append({"role": turn["role"], "content": list(turn["content"])})
    for turn in merged:
        # Stable sorts: tool results lead a user turn, reasoning leads an assistant turn.
        lead = "toolResult" if turn["role"] == "user" else "reasoningContent"
        turn["content"].sort(key=lambda block, lead=lead: lead not in block)
    if merged and merged[0]["role"] == "assistant":
        merged.insert(0, {"role": "user", "content": [{"text": CONVERSATION_START}]})
    return merged


def has_tool_blocks(turns: list[dict]) -> bool:
    return any("toolUse" in block or "toolResult" in block for turn in turns for block in turn["content"])


def _signed(turn: dict) -> bool:
    return any("reasoningContent" in block for block in turn["content"])


def unsigned_tool_turn(turns: list[dict]) -> bool:
    """Whether the latest assistant tool call lacks the signed thinking it was made with."""
    for turn in reversed(turns):
        if turn["role"] == "assistant" and any("toolUse" in block for block in turn["content"]):
            return not _signed(turn)
    return False


def unsigned_prefill(turns: list[dict]) -> bool:
    """Whether the conversation ends in an assistant turn without signed thinking.

    Anthropic: "When `thinking` is enabled, a final `assistant` message must start with a
    thinking block" (Aider-AI/aider#3820), so such a request is sent without thinking.
    """
    return bool(turns) and turns[-1]["role"] == "assistant" and not _signed(turns[-1])


def without_reasoning(turns: list[dict]) -> list[dict]:
    """The turns with past reasoning left out (sent back only while thinking is on)."""
    return [
        {
            "role": turn["role"],
            "content": [block for block in turn["content"] if "reasoningContent" not in block],
        }
        for turn in turns
    ]


def tool_blocks_as_text(turns: list[dict]) -> list[dict]:
    """Past tool calls and results as text: Converse refuses tool blocks without a toolConfig."""
    return [
        {"role": turn["role"], "content": [as_text(block) for block in turn["content"]]} for turn in turns
    ]


def as_text(block: dict) -> dict:
    """A toolUse or toolResult block as the same facts in words; other blocks unchanged."""
    if "toolUse" in block:
        use = block["toolUse"]
        return {"text": tool_call_text(use["name"], json.dumps(use["input"]))}
    if "toolResult" in block:
        result = block["toolResult"]
        texts = [item["text"] for item in result["content"] if "text" in item]
        return {"text": tool_result_text(result["toolUseId"], texts or [EMPTY_TOOL_RESULT])}
    return block


def trim_prefill(turns: list[dict]) -> None:
    """Anthropic refuses a final assistant turn (a prefill) that ends in whitespace."""
    last = turns[-1]
    if last["role"] == "assistant" and "text" in last["content"][-1]:
        last["content"][-1] = {"text": last["content"][-1]["text"].rstrip()}


def check_image_count(turns: list[dict], model: ModelInfo, param: str) -> None:
    limit = model.family.max_images
    images = sum(1 for turn in turns for block in turn["content"] if "image" in block)
    if limit is not None and images > limit:
        raise InvalidRequestError(
            f"This request has {images} images; `{model.id}` takes at most {limit} "
            "per request, counting the whole conversation. Send fewer images.",
            param=param,
        )
