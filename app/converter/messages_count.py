"""``count_tokens``: Bedrock's CountTokens input for a request, or an estimate where it cannot count.

The estimate counts the prompt's text, tool definitions and tool calls with cl100k_base
and adds Anthropic's documented image cost (about 1,600 tokens for a full-size image);
it is marked as an estimate by the view, never passed off as Bedrock's count.
"""

from __future__ import annotations

import json

import orjson

from app.converse.call import ConverseCall
from app.tokens import count_tokens

IMAGE_TOKENS = 1600
# Claude's tokenizer yields more tokens than cl100k_base for the same text.
CLAUDE_TOKEN_RATIO = 1.15
COUNT_MAX_TOKENS = 1
CONVERSE_COUNT_FIELDS = ("messages", "system", "toolConfig", "additionalModelRequestFields")


def invoke_count_input(bedrock_body: dict) -> dict:
    """CountTokens' ``invokeModel`` input: the InvokeModel body (max_tokens is required there)."""
    body = {**bedrock_body, "max_tokens": bedrock_body.get("max_tokens") or COUNT_MAX_TOKENS}
    return {"invokeModel": {"body": orjson.dumps(body)}}


def converse_count_input(call: ConverseCall) -> dict:
    return {"converse": {key: call.kwargs[key] for key in CONVERSE_COUNT_FIELDS if key in call.kwargs}}


def estimate_input_tokens(body: dict) -> int:
    """A local estimate of a Messages body's input tokens."""
    texts: list[str] = []
    images = 0
    system = body.get("system")
    texts += [system] if isinstance(system, str) else [block.get("text", "") for block in system or []]
    for message in body["messages"]:
        content = message["content"]
        if isinstance(content, str):
            texts.append(content)
            continue
        for block in content:
            images += _collect(block, texts)
    texts += [json.dumps(tool, ensure_ascii=False) for tool in body.get("tools") or []]
    tokens = sum(count_tokens(text) for text in texts if text)
    return int(tokens * CLAUDE_TOKEN_RATIO) + images * IMAGE_TOKENS


def _collect(block: dict, texts: list[str]) -> int:
    """Add a block's texts; return how many images it holds."""
    kind = block.get("type")
    if kind == "image":
        return 1
    if kind == "tool_use":
        texts.append(json.dumps(block.get("input") or {}, ensure_ascii=False))
    elif kind == "tool_result":
        inner = block.get("content")
        if isinstance(inner, str):
            texts.append(inner)
        return (
            sum(_collect(part, texts) for part in inner if isinstance(part, dict))
            if isinstance(inner, list)
            else 0
        )
    else:
        texts.append(str(block.get("text") or block.get("thinking") or ""))
    return 0
