"""Converse content blocks, and the tool names and ids Bedrock accepts.

Bedrock refuses blank text blocks and tool ids outside ``[a-zA-Z0-9_-]{1,64}``; a dialect
builds its blocks with these helpers so that it only ever sends what Bedrock accepts.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Callable

from app.catalogue import ModelInfo
from app.errors import InvalidRequestError

ImageLoad = Callable[[str], tuple[bytes, str]]

_TOOL_ID = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
_NOT_NAME_CHARS = re.compile(r"[^a-zA-Z0-9_-]")
EMPTY_TOOL_RESULT = "(no output)"


def text_blocks(texts: list[str]) -> list[dict]:
    """Text blocks for the texts that are not blank (Bedrock refuses blank ones)."""
    return [{"text": text} for text in texts if text.strip()]


def image_block(url: str, model: ModelInfo, load_image: ImageLoad, param: str, url_param: str) -> dict:
    """An image block from a ``data:`` or http(s) URL; the params name the part and its URL."""
    if not model.supports_images:
        raise InvalidRequestError(f"The model `{model.id}` does not accept image input.", param=param)
    try:
        raw, fmt = load_image(url)
    except InvalidRequestError as exc:
        raise InvalidRequestError(exc.message, param=url_param) from exc
    return {"image": {"format": fmt, "source": {"bytes": raw}}}


def tool_use_block(call_id: str, name: str, tool_input: dict) -> dict:
    return {"toolUse": {"toolUseId": bedrock_tool_id(call_id), "name": tool_name(name), "input": tool_input}}


def tool_result_block(call_id: str, content: list[dict], *, error: bool = False) -> dict:
    """A toolResult; empty output becomes a placeholder (Bedrock refuses an empty result)."""
    result = {"toolUseId": bedrock_tool_id(call_id), "content": content or [{"text": EMPTY_TOOL_RESULT}]}
    if error:
        result["status"] = "error"
    return {"toolResult": result}


def tool_arguments(arguments: str, param: str) -> dict:
    """A tool call's JSON arguments string as the object Converse wants."""
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


def tool_call_text(name: str, arguments: str) -> str:
    """A past tool call as plain text, for requests that send Bedrock no toolConfig."""
    return f"[called tool {name} with {arguments or '{}'}]"


def tool_result_text(call_id: str, texts: list[str]) -> str:
    output = "\n".join(text for text in texts if text.strip()) or EMPTY_TOOL_RESULT
    return f"[tool result for {call_id}: {output}]"


def signed_reasoning_blocks(blocks: list[dict], param: str) -> list[dict]:
    """Anthropic-shaped signed thinking blocks sent back by a client, as reasoningContent.

    ``{"type": "thinking", "thinking", "signature"}`` and ``{"type": "redacted_thinking",
    "data"}``; unsigned thinking cannot be replayed and is left out.
    """
    reasoning = []
    for k, block in enumerate(blocks):
        if block.get("type") == "redacted_thinking":
            data = _decoded(block.get("data") or "", f"{param}[{k}].data")
            reasoning.append({"reasoningContent": {"redactedContent": data}})
        elif block.get("signature"):
            text = {"text": block.get("thinking") or "", "signature": block["signature"]}
            reasoning.append({"reasoningContent": {"reasoningText": text}})
    return reasoning


def _decoded(data: str, param: str) -> bytes:
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidRequestError("Redacted thinking data must be base64.", param=param) from None


def thinking_block(reasoning: dict) -> dict | None:
    """A Converse reasoningContent block in Anthropic's signed shape, if it is signed."""
    if "redactedContent" in reasoning:
        return redacted_block(reasoning["redactedContent"])
    text = reasoning.get("reasoningText") or {}
    if not text.get("signature"):
        return None
    return {"type": "thinking", "thinking": text.get("text", ""), "signature": text["signature"]}


def redacted_block(data: bytes) -> dict:
    return {"type": "redacted_thinking", "data": base64.b64encode(data).decode("ascii")}
