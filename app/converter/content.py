"""OpenAI chat messages → Converse system blocks and turns.

Every block is rendered as the client sent it (past reasoning, tool calls and results
included); ``app.converse.call.assemble`` then decides what Bedrock gets of them.
"""

from __future__ import annotations

from app.catalogue import ModelInfo
from app.converse.blocks import (
    ImageLoad,
    image_block,
    signed_reasoning_blocks,
    text_blocks,
    tool_arguments,
    tool_result_block,
    tool_use_block,
)


def conversation(
    messages: list[dict], model: ModelInfo, load_image: ImageLoad
) -> tuple[list[dict], list[dict]]:
    """System blocks, and one turn per message (merged later)."""
    system: list[dict] = []
    turns: list[dict] = []
    for i, message in enumerate(messages):
        role = message["role"]
        if role in ("system", "developer"):
            system.extend(text_blocks(part_texts(message["content"])))
            continue
        if role == "assistant":
            blocks = _assistant_blocks(message, i)
        elif role == "tool":
            blocks = _tool_blocks(message)
        else:
            blocks = _user_blocks(message, i, model, load_image)
        turns.append({"role": "assistant" if role == "assistant" else "user", "content": blocks})
    return system, turns


def part_texts(content: str | list[dict] | None) -> list[str]:
    """The texts of a string or of text/refusal parts, in order."""
    if content is None:
        return []
    if isinstance(content, str):
        return [content]
    return [part.get("text", part.get("refusal", "")) for part in content]


def _user_blocks(message: dict, i: int, model: ModelInfo, load_image: ImageLoad) -> list[dict]:
    content = message["content"]
    if isinstance(content, str):
        return text_blocks([content])
    blocks: list[dict] = []
    for j, part in enumerate(content):
        if part["type"] == "image_url":
            param = f"messages[{i}].content[{j}]"
            url = part["image_url"]["url"]
            blocks.append(image_block(url, model, load_image, param, f"{param}.image_url.url"))
        elif part["text"].strip():
            blocks.append({"text": part["text"]})
    return blocks


def _assistant_blocks(message: dict, i: int) -> list[dict]:
    param = f"messages[{i}].thinking_blocks"
    blocks = signed_reasoning_blocks(message.get("thinking_blocks") or [], param)
    # A refusal we returned (content null) comes back as the assistant's words.
    blocks.extend(
        text_blocks(part_texts(message.get("content"))) or text_blocks(part_texts(message.get("refusal")))
    )
    for j, call in enumerate(message.get("tool_calls") or []):
        function = call["function"]
        arguments = tool_arguments(function["arguments"], f"messages[{i}].tool_calls[{j}].function.arguments")
        blocks.append(tool_use_block(call["id"], function["name"], arguments))
    return blocks


def _tool_blocks(message: dict) -> list[dict]:
    """Tool messages carry text only, as in OpenAI's API."""
    return [tool_result_block(message["tool_call_id"], text_blocks(part_texts(message["content"])))]
