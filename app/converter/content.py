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
from app.converse.caching import cache_marker
from app.converse.documents import decode_file_data, document_block


def conversation(
    messages: list[dict], model: ModelInfo, load_image: ImageLoad
) -> tuple[list[dict], list[dict]]:
    """System blocks, and one turn per message (merged later)."""
    system: list[dict] = []
    turns: list[dict] = []
    for i, message in enumerate(messages):
        role = message["role"]
        if role in ("system", "developer"):
            system.extend(_marked(_text_part_blocks(message["content"]), message))
            continue
        if role == "assistant":
            blocks = _assistant_blocks(message, i)
        elif role == "tool":
            blocks = _tool_blocks(message)
        else:
            blocks = _user_blocks(message, i, model, load_image)
        blocks = _marked(blocks, message)
        turns.append({"role": "assistant" if role == "assistant" else "user", "content": blocks})
    return system, turns


def _marked(blocks: list[dict], item: dict) -> list[dict]:
    """``blocks``, then the cache point ``item`` (a part or message) is marked with, if any."""
    marker = cache_marker(item.get("cache_control"))
    return [*blocks, marker] if marker and blocks else blocks


def _text_part_blocks(content: str | list[dict]) -> list[dict]:
    if isinstance(content, str):
        return text_blocks([content])
    return [block for part in content for block in _marked(text_blocks(part_texts([part])), part)]


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
        blocks.extend(
            _marked(_user_part_blocks(part, f"messages[{i}].content[{j}]", model, load_image), part)
        )
    return blocks


def _user_part_blocks(part: dict, param: str, model: ModelInfo, load_image: ImageLoad) -> list[dict]:
    if part["type"] == "image_url":
        url = part["image_url"]["url"]
        return [image_block(url, model, load_image, param, f"{param}.image_url.url")]
    if part["type"] == "file":
        raw = decode_file_data(part["file"]["file_data"], f"{param}.file.file_data")
        return [document_block(raw, part["file"].get("filename"), model, param)]
    return text_blocks([part["text"]])


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
    """Tool messages carry text only, as in OpenAI's API; a marked part marks the result."""
    content = message["content"]
    result = tool_result_block(message["tool_call_id"], text_blocks(part_texts(content)))
    marked = [part for part in content if isinstance(part, dict) and part.get("cache_control")]
    return _marked([result], marked[-1]) if marked and not isinstance(content, str) else [result]
