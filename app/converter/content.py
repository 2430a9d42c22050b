"""OpenAI messages ↔ Converse content blocks, and the alternating turns they make.

Bedrock's Converse API refuses blank text blocks, two turns of the same role in a
row, a conversation that opens with the assistant, and tool ids outside
``[a-zA-Z0-9_-]``; everything here exists to send it only what it accepts.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass

from app.catalogue import ModelInfo
from app.errors import InvalidRequestError

ImageLoad = Callable[[str], tuple[bytes, str]]

_TOOL_ID = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
_NOT_NAME_CHARS = re.compile(r"[^a-zA-Z0-9_-]")
EMPTY_TOOL_RESULT = "(no output)"
# Bedrock requires the first turn to be the user's; a client may open with an
# assistant greeting, so a neutral user turn goes before it.
CONVERSATION_START = "(conversation start)"


@dataclass(frozen=True)
class Rendering:
    """How one request's messages become blocks."""

    model: ModelInfo
    load_image: ImageLoad
    tools_as_text: bool = False
    keep_reasoning: bool = False


def conversation(messages: list[dict], rendering: Rendering) -> tuple[list[dict], list[dict]]:
    """System blocks and strictly alternating turns that start with the user."""
    system: list[dict] = []
    turns: list[dict] = []
    for i, message in enumerate(messages):
        role = message["role"]
        if role in ("system", "developer"):
            system.extend({"text": text} for text in part_texts(message["content"]) if text.strip())
            continue
        blocks = _BUILDERS[role](message, i, rendering)
        turns.append({"role": "assistant" if role == "assistant" else "user", "content": blocks})
    return system, merge_turns(turns)


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


def part_texts(content: str | list[dict] | None) -> list[str]:
    """The texts of a string or of text/refusal parts, in order."""
    if content is None:
        return []
    if isinstance(content, str):
        return [content]
    return [part.get("text", part.get("refusal", "")) for part in content]


def _text_blocks(content: str | list[dict] | None) -> list[dict]:
    return [{"text": text} for text in part_texts(content) if text.strip()]


def _user_blocks(message: dict, i: int, rendering: Rendering) -> list[dict]:
    content = message["content"]
    if isinstance(content, str):
        return _text_blocks(content)
    blocks: list[dict] = []
    for j, part in enumerate(content):
        if part["type"] == "image_url":
            blocks.append(_image_block(part["image_url"]["url"], f"messages[{i}].content[{j}]", rendering))
        elif part["text"].strip():
            blocks.append({"text": part["text"]})
    return blocks


def _image_block(url: str, param: str, rendering: Rendering) -> dict:
    if not rendering.model.supports_images:
        raise InvalidRequestError(
            f"The model `{rendering.model.id}` does not accept image input.", param=param
        )
    try:
        raw, fmt = rendering.load_image(url)
    except InvalidRequestError as exc:
        raise InvalidRequestError(exc.message, param=f"{param}.image_url.url") from exc
    return {"image": {"format": fmt, "source": {"bytes": raw}}}


def _assistant_blocks(message: dict, i: int, rendering: Rendering) -> list[dict]:
    blocks = reasoning_blocks(message, i) if rendering.keep_reasoning else []
    # A refusal we returned (content null) comes back as the assistant's words.
    blocks.extend(_text_blocks(message.get("content")) or _text_blocks(message.get("refusal")))
    for j, call in enumerate(message.get("tool_calls") or []):
        if rendering.tools_as_text:
            blocks.append({"text": tool_call_text(call)})
        else:
            blocks.append(_tool_use_block(call, f"messages[{i}].tool_calls[{j}]"))
    return blocks


def _tool_blocks(message: dict, i: int, rendering: Rendering) -> list[dict]:
    texts = [text for text in part_texts(message["content"]) if text.strip()]
    if rendering.tools_as_text:
        output = "\n".join(texts) or EMPTY_TOOL_RESULT
        return [{"text": f"[tool result for {message['tool_call_id']}: {output}]"}]
    result = {
        "toolUseId": bedrock_tool_id(message["tool_call_id"]),
        "content": [{"text": text} for text in texts] or [{"text": EMPTY_TOOL_RESULT}],
    }
    return [{"toolResult": result}]


_BUILDERS = {"user": _user_blocks, "assistant": _assistant_blocks, "tool": _tool_blocks}


def tool_call_text(call: dict) -> str:
    """A past tool call as plain text, for requests that send Bedrock no toolConfig."""
    function = call["function"]
    return f"[called tool {function['name']} with {function['arguments'] or '{}'}]"


def _tool_use_block(call: dict, param: str) -> dict:
    function = call["function"]
    return {
        "toolUse": {
            "toolUseId": bedrock_tool_id(call["id"]),
            "name": tool_name(function["name"]),
            "input": _arguments(function["arguments"], f"{param}.function.arguments"),
        }
    }


def _arguments(arguments: str, param: str) -> dict:
    if not arguments.strip():
        return {}
    try:
        value = json.loads(arguments)
    except ValueError:
        raise InvalidRequestError("Tool call arguments are not valid JSON.", param=param) from None
    if not isinstance(value, dict):
        raise InvalidRequestError("Tool call arguments must be a JSON object.", param=param)
    return value


def bedrock_tool_id(call_id: str) -> str:
    """The id itself when Bedrock accepts it, else a stable stand-in (same for call and result)."""
    if _TOOL_ID.match(call_id):
        return call_id
    return "call_" + hashlib.sha256(call_id.encode()).hexdigest()[:40]


def tool_name(name: str) -> str:
    """A name Bedrock accepts, for names the gateway did not validate (history, schema names)."""
    return _NOT_NAME_CHARS.sub("_", name)[:64] or "tool"


def reasoning_blocks(message: dict, i: int) -> list[dict]:
    """Signed thinking blocks sent back by a client, as Converse reasoningContent."""
    blocks = []
    for k, block in enumerate(message.get("thinking_blocks") or []):
        if block["type"] == "redacted_thinking":
            data = _decoded(block["data"], f"messages[{i}].thinking_blocks[{k}].data")
            blocks.append({"reasoningContent": {"redactedContent": data}})
        elif block.get("signature"):
            text = {"text": block["thinking"], "signature": block["signature"]}
            blocks.append({"reasoningContent": {"reasoningText": text}})
    return blocks


def has_signed_reasoning(message: dict) -> bool:
    blocks = message.get("thinking_blocks") or []
    return any(b["type"] == "redacted_thinking" or b.get("signature") for b in blocks)


def _decoded(data: str, param: str) -> bytes:
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidRequestError("Redacted thinking data must be base64.", param=param) from None


def thinking_block(reasoning: dict) -> dict | None:
    """A Converse reasoningContent block in the shape clients send back, if it can be."""
    if "redactedContent" in reasoning:
        return redacted_block(reasoning["redactedContent"])
    text = reasoning.get("reasoningText") or {}
    if not text.get("signature"):
        return None
    return {"type": "thinking", "thinking": text.get("text", ""), "signature": text["signature"]}


def redacted_block(data: bytes) -> dict:
    return {"type": "redacted_thinking", "data": base64.b64encode(data).decode("ascii")}
