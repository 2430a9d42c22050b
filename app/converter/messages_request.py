"""A validated Anthropic Messages body → the Converse call, for models other than Claude.

The Anthropic-specific part: which fields and content blocks mean what. The rules Bedrock
enforces whatever the dialect (turn order, tool pairing, signed thinking, cache points)
live in ``app.converse``. Features a model lacks are ignored (tools, thinking,
cache_control, betas, a ``max_tokens`` above its own) or a clear 400 (a tool_choice that
insists on tools, typed tools, images for a text-only model).
"""

from __future__ import annotations

import re

from app.catalogue import ModelInfo
from app.converse.blocks import signed_reasoning_blocks, text_blocks, tool_result_block, tool_use_block
from app.converse.caching import CachePlan
from app.converse.call import ConverseCall, Draft, assemble
from app.converse.inference import inference_config, place_top_k
from app.converse.tools import ToolPlan, choose, require_tool_support, tool_spec
from app.converter.messages_sources import Loader, document_bytes, image_bytes
from app.errors import InvalidRequestError

_NOT_DOCUMENT_NAME = re.compile(r"[^a-zA-Z0-9\-()\[\] ]+|\s{2,}")


def messages_to_converse(body: dict, model: ModelInfo, loader: Loader) -> ConverseCall:
    """Translate a validated Messages (or count_tokens) body for ``model``."""
    inference = inference_config(
        model,
        max_tokens=_max_tokens(body.get("max_tokens"), model),
        temperature=body.get("temperature"),
        top_p=body.get("top_p"),
        stop=body.get("stop_sequences"),
    )
    extra = place_top_k({"top_k": body["top_k"]} if body.get("top_k") is not None else {}, model)
    thinking = _thinking(body.get("thinking"), model, extra)
    turns = [
        {"role": message["role"], "content": _blocks(message["content"], f"messages[{i}]", model, loader)}
        for i, message in enumerate(body["messages"])
    ]
    draft = Draft(
        model,
        system_blocks(body.get("system")),
        turns,
        inference,
        plan_tools(body, model),
        thinking,
        extra,
        cache=_cache_plan(body),
    )
    return assemble(draft)


def _max_tokens(requested: int | None, model: ModelInfo) -> int | None:
    """Clients written for Claude ask for more than other models write (Claude Code: 32k-128k):
    ``max_tokens`` is a cap, so it is lowered to the model's own."""
    limit = model.family.max_output_tokens
    return min(requested, limit) if requested is not None and limit is not None else requested


def system_blocks(system: str | list[dict] | None) -> list[dict]:
    if isinstance(system, str):
        return text_blocks([system])
    return text_blocks([block["text"] for block in system or []])


def _thinking(config: dict | None, model: ModelInfo, extra: dict) -> dict | None:
    """Claude's thinking object where the model thinks on request; elsewhere it is ignored."""
    if not config or config.get("type") == "disabled" or not model.family.anthropic_thinking:
        return None
    extra["thinking"] = config
    return config


def plan_tools(body: dict, model: ModelInfo) -> ToolPlan:
    """The ToolPlan for ``tools`` and ``tool_choice``.

    A model without tools is not offered them (Claude Code offers tools on every request)
    unless ``tool_choice`` insists, which is a 400; past calls then reach it as text.
    """
    choice = body.get("tool_choice") or {}
    tools = body.get("tools") or []
    if not model.family.tools:
        if choice.get("type") in ("any", "tool"):
            require_tool_support(model, "tool_choice")
        tools = []
    specs: list[dict] = []
    for k, tool in enumerate(tools):
        kind = tool.get("type", "custom")
        if kind != "custom":
            raise InvalidRequestError(
                f"Tool type `{kind}` is available on Claude models only, not on `{model.id}`.",
                param=f"tools[{k}].type",
            )
        specs.append(
            tool_spec(tool["name"], tool.get("description"), tool.get("input_schema"), f"tools[{k}]", specs)
        )
    return choose(specs, choice.get("type"), name=choice.get("name"), param="tool_choice.name")


def _cache_plan(body: dict) -> CachePlan:
    """A cache point wherever the client marked a part of the prompt (the models that take them)."""
    system = body.get("system")
    messages = [block for message in body["messages"] for block in _as_list(message["content"])]
    return CachePlan(
        system=isinstance(system, list) and any("cache_control" in block for block in system),
        messages="cache_control" in body or any("cache_control" in block for block in messages),
        tools=any("cache_control" in tool for tool in body.get("tools") or []),
    )


def _as_list(content: str | list[dict]) -> list[dict]:
    return [] if isinstance(content, str) else content


def _blocks(content: str | list[dict], param: str, model: ModelInfo, loader: Loader) -> list[dict]:
    if isinstance(content, str):
        return text_blocks([content])
    blocks: list[dict] = []
    for j, block in enumerate(content):
        blocks.extend(_block(block, f"{param}.content[{j}]", model, loader))
    return blocks


def _block(block: dict, param: str, model: ModelInfo, loader: Loader) -> list[dict]:
    kind = block["type"]
    if kind == "text":
        return text_blocks([str(block.get("text", ""))])
    if kind in ("image", "document"):
        return [_media_block(block, param, model, loader)]
    if kind == "tool_use":
        return [
            tool_use_block(str(block.get("id", "")), str(block.get("name", "")), block.get("input") or {})
        ]
    if kind == "tool_result":
        content = _tool_result_content(block.get("content"), param, model, loader)
        return [
            tool_result_block(str(block.get("tool_use_id", "")), content, error=bool(block.get("is_error")))
        ]
    if kind in ("thinking", "redacted_thinking"):
        return signed_reasoning_blocks([block], param)
    raise InvalidRequestError(
        f"Content blocks of type `{kind}` are not supported with `{model.id}`.", param=f"{param}.type"
    )


def _media_block(block: dict, param: str, model: ModelInfo, loader: Loader) -> dict:
    source = block.get("source") or {}
    if block["type"] == "image":
        if not model.supports_images:
            raise InvalidRequestError(f"The model `{model.id}` does not accept image input.", param=param)
        raw, fmt = image_bytes(source, loader, f"{param}.source")
        return {"image": {"format": fmt, "source": {"bytes": raw}}}
    raw, fmt = document_bytes(source, loader, f"{param}.source")
    name = _NOT_DOCUMENT_NAME.sub(" ", str(block.get("title") or "")).strip() or "document"
    return {"document": {"format": fmt, "name": name[:200], "source": {"bytes": raw}}}


def _tool_result_content(content: object, param: str, model: ModelInfo, loader: Loader) -> list[dict]:
    if isinstance(content, str):
        return text_blocks([content])
    blocks: list[dict] = []
    for k, part in enumerate(content if isinstance(content, list) else []):
        if part.get("type") == "text":
            blocks.extend(text_blocks([str(part.get("text", ""))]))
        elif part.get("type") in ("image", "document"):
            blocks.append(_media_block(part, f"{param}.content[{k}]", model, loader))
    return blocks
