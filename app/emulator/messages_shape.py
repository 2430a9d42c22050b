"""Anthropic Messages bodies to and from the scripted model's Converse-shaped view.

The scripted model (reply.py) and its usage counts (usage.py) read Converse shapes, so a
validated Messages body is viewed as one: text, toolUse, toolResult and reasoning blocks,
a cachePoint after every block marked with cache_control, and consecutive same-role
turns merged as Anthropic merges them. The reply then goes back as a Messages object.
"""

import uuid

from app.emulator.catalogue import Model
from app.emulator.messages_content import content_blocks
from app.emulator.messages_rules import model_name, thinking_on
from app.emulator.reply import Reply
from app.emulator.thinking import sign

CACHE_POINT = {"cachePoint": {"type": "default"}}
# Converse stop reasons that Claude's own API names differently.
STOP_REASONS = {"content_filtered": "refusal", "guardrail_intervened": "refusal"}


def _marked(block: dict, converted: dict) -> list[dict]:
    return [converted, CACHE_POINT] if block.get("cache_control") else [converted]


def _result_content(content) -> list[dict]:
    if isinstance(content, str):
        return [{"text": content}] if content else []
    return [{"text": item["text"]} if item.get("type") == "text" else {"image": {}} for item in content or []]


def _block(block: dict) -> dict:
    kind = block["type"]
    if kind == "text":
        return {"text": block["text"]}
    if kind == "tool_use":
        tool = {"toolUseId": block.get("id"), "name": block.get("name"), "input": block.get("input")}
        return {"toolUse": tool}
    if kind == "tool_result":
        content = _result_content(block.get("content"))
        return {"toolResult": {"toolUseId": block.get("tool_use_id"), "content": content}}
    if kind == "thinking":
        text = {"text": block.get("thinking", ""), "signature": block.get("signature")}
        return {"reasoningContent": {"reasoningText": text}}
    if kind == "redacted_thinking":
        return {"reasoningContent": {"redactedContent": block.get("data")}}
    return {kind: {}}  # image, document: no words of their own


def _messages(messages: list[dict]) -> list[dict]:
    merged: list[dict] = []
    for message in messages:
        blocks = [part for block in content_blocks(message) for part in _marked(block, _block(block))]
        if merged and merged[-1]["role"] == message["role"]:
            merged[-1]["content"].extend(blocks)
        else:
            merged.append({"role": message["role"], "content": blocks})
    return merged


def _tool_choice(choice: dict | None) -> dict:
    kind = (choice or {}).get("type")
    if kind == "tool":
        return {"toolChoice": {"tool": {"name": choice["name"]}}}
    return {"toolChoice": {kind: {}}} if kind in ("any", "auto") else {}


def _tool_config(body: dict) -> dict:
    tools = []
    for tool in body.get("tools") or []:
        name = tool.get("name", tool.get("type"))
        spec = {"name": name, "inputSchema": {"json": tool.get("input_schema", {})}}
        if tool.get("description"):
            spec["description"] = tool["description"]
        tools.extend(_marked(tool, {"toolSpec": spec}))
    if not tools or (body.get("tool_choice") or {}).get("type") == "none":
        return {}
    return {"toolConfig": {"tools": tools, **_tool_choice(body.get("tool_choice"))}}


def to_converse(body: dict) -> dict:
    """The Converse-shaped view of a validated Messages body."""
    system = body.get("system") or []
    system_blocks = [{"type": "text", "text": system}] if isinstance(system, str) else system
    view = {
        "messages": _messages(body["messages"]),
        "system": [part for block in system_blocks for part in _marked(block, {"text": block["text"]})],
        "inferenceConfig": {
            "maxTokens": body["max_tokens"],
            "stopSequences": body.get("stop_sequences") or [],
        },
        **_tool_config(body),
    }
    if thinking_on(body):
        view["additionalModelRequestFields"] = {"thinking": {"type": "enabled"}}
    return view


def _content(block: dict, omit_thinking: bool) -> dict:
    if "toolUse" in block:
        tool = block["toolUse"]
        tool_id = tool["toolUseId"].replace("tooluse_", "toolu_bdrk_", 1)
        return {"type": "tool_use", "id": tool_id, "name": tool["name"], "input": tool["input"]}
    if "reasoningContent" in block:
        reasoning = block["reasoningContent"]
        if "redactedContent" in reasoning:
            return {"type": "redacted_thinking", "data": reasoning["redactedContent"]}
        text = reasoning["reasoningText"]
        if omit_thinking:  # the text stays hidden, so the signature covers what comes back
            return {"type": "thinking", "thinking": "", "signature": sign("")}
        return {"type": "thinking", "thinking": text["text"], "signature": text["signature"]}
    return {"type": "text", "text": block["text"]}


def anthropic_usage(usage: dict) -> dict:
    return {
        "input_tokens": usage["inputTokens"],
        "cache_creation_input_tokens": usage.get("cacheWriteInputTokens", 0),
        "cache_read_input_tokens": usage.get("cacheReadInputTokens", 0),
        "output_tokens": usage["outputTokens"],
    }


def to_message(model: Model, body: dict, reply: Reply) -> dict:
    """The Messages object Bedrock returns for this reply."""
    omit = (body.get("thinking") or {}).get("display") == "omitted"
    return {
        "id": f"msg_bdrk_01{uuid.uuid4().hex[:22]}",
        "type": "message",
        "role": "assistant",
        "model": model_name(model),
        "content": [_content(block, omit) for block in reply.blocks],
        "stop_reason": STOP_REASONS.get(reply.stop_reason, reply.stop_reason),
        "stop_sequence": reply.stop_sequence,
        "usage": anthropic_usage(reply.usage),
    }
