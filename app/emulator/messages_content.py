"""What Bedrock's InvokeModel refuses in an Anthropic Messages body's `messages`.

Wording is Anthropic's, as Bedrock relays it: empty and whitespace text blocks
(BerriAI/litellm#3286 family), tool_use/tool_result pairing (anthropics/claude-code#28515),
"Requests which include `tool_use` or `tool_result` blocks must define tools.", the
thinking rules shared with Converse (thinking.py), and base64-only media sources:
Bedrock does not fetch `url` image or document sources.
"""

import base64
import binascii

from app.emulator import anthropic, messages_rules, thinking
from app.emulator.catalogue import Model
from app.emulator.errors import validation
from app.emulator.media import sniff
from app.emulator.messages_rules import check_cache_control, tag_error

BLOCK_TYPES = ("text", "image", "document", "tool_use", "tool_result", "thinking", "redacted_thinking")
IMAGE_TYPES = ("image/jpeg", "image/png", "image/gif", "image/webp")
DOCUMENT_SOURCES = ("base64", "text", "content")
NEEDS_TOOLS = "Requests which include `tool_use` or `tool_result` blocks must define tools."


def content_blocks(message: dict) -> list[dict]:
    """A message's content as a list of blocks (a string is one text block)."""
    content = message.get("content")
    return [{"type": "text", "text": content}] if isinstance(content, str) else content


def check_messages(model: Model, body: dict) -> None:
    messages = body["messages"]
    if not isinstance(messages, list):
        raise validation("messages: Input should be a valid list")
    for index, message in enumerate(messages):
        _check_message(model, index, message, final=index == len(messages) - 1)
    _check_tools_defined(body)
    _check_pairing(messages)
    sequences = body.get("stop_sequences") or []
    if not isinstance(sequences, list):
        raise validation("stop_sequences: Input should be a valid list")
    anthropic.check_stop_sequences(sequences)
    if messages:
        anthropic.check_final_assistant(messages[-1]["role"], content_blocks(messages[-1]), _text_of)
    anthropic.check_unique_tool_ids(messages, _tool_use_id)
    messages_rules.check_breakpoints(_breakpoints(model, body))
    if messages_rules.thinking_on(body):
        _check_thinking_turns(messages)


def _text_of(block: dict) -> str | None:
    return block.get("text") if block.get("type") == "text" else None


def _tool_use_id(block: dict) -> str | None:
    return block.get("id") if block.get("type") == "tool_use" else None


def _check_message(model: Model, index: int, message, final: bool) -> None:
    if not isinstance(message, dict):
        raise validation(f"messages.{index}: Input should be a valid dictionary")
    if message.get("role") not in ("user", "assistant"):
        raise validation(f"messages.{index}.role: Input should be 'user' or 'assistant'")
    blocks = content_blocks(message)
    if not isinstance(blocks, list):
        raise validation(f"messages.{index}.content: Input should be a valid list")
    if not blocks and not (final and message["role"] == "assistant"):
        raise validation(
            f"messages.{index}: all messages must have non-empty content except for the optional "
            "final assistant message"
        )
    for position, block in enumerate(blocks):
        _check_block(model, f"messages.{index}.content.{position}", block)


def _check_block(model: Model, where: str, block) -> None:
    kind = block.get("type") if isinstance(block, dict) else None
    if kind not in BLOCK_TYPES:
        raise tag_error(where, kind, BLOCK_TYPES)
    if kind == "text":
        _check_text(block.get("text"))
    elif kind == "image":
        _check_image(model, where, block)
    elif kind == "document":
        _check_document(where, block)
    elif kind == "tool_result":
        _check_tool_result(model, where, block)
    else:
        for key, check in FIELDS[kind].items():
            check(f"{where}.{kind}.{key}", block.get(key))


def _string(path: str, value) -> None:
    if value is None:
        raise validation(f"{path}: Field required")
    if not isinstance(value, str):
        raise validation(f"{path}: Input should be a valid string")


def _dictionary(path: str, value) -> None:
    if not isinstance(value, dict):
        raise validation(f"{path}: Input should be a valid dictionary")


# The required fields of the blocks whose content the emulator does not otherwise read.
FIELDS = {
    "tool_use": {"id": _string, "name": _string, "input": _dictionary},
    "thinking": {"thinking": _string, "signature": _string},
    "redacted_thinking": {"data": _string},
}


def _check_tool_result(model: Model, where: str, block: dict) -> None:
    _string(f"{where}.tool_result.tool_use_id", block.get("tool_use_id"))
    content = block.get("content", "")
    if isinstance(content, str):
        return
    if not isinstance(content, list):
        raise validation(f"{where}.tool_result.content: Input should be a valid string or list")
    for position, item in enumerate(content):
        _check_block(model, f"{where}.content.{position}", item)


def _check_text(text) -> None:
    if not isinstance(text, str) or not text:
        raise validation("messages: text content blocks must be non-empty")
    if not text.strip():
        raise validation("messages: text content blocks must contain non-whitespace text")


def _source(where: str, block: dict, expected: tuple[str, ...]) -> dict:
    source = block.get("source")
    kind = source.get("type") if isinstance(source, dict) else None
    if kind not in expected:
        raise tag_error(f"{where}.{block['type']}.source", kind, expected)
    return source


def _decoded(path: str, data) -> bytes:
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError, TypeError):
        raise validation(f"{path}: Invalid base64 data") from None


def _check_image(model: Model, where: str, block: dict) -> None:
    if "IMAGE" not in model.inputs:
        raise tag_error(where, "image", ("text",))
    source = _source(where, block, ("base64",))
    declared = source.get("media_type")
    if declared not in IMAGE_TYPES:
        raise validation(
            f"{where}.image.source.base64.media_type: Input should be 'image/jpeg', 'image/png', "
            "'image/gif' or 'image/webp'"
        )
    path = f"{where}.image.source.base64.data"
    actual = sniff(_decoded(path, source.get("data")))
    if f"image/{actual}" != declared:
        found = f"a image/{actual} image" if actual else "not a valid image"
        raise validation(
            f"{path}: The image was specified using the {declared} media type, "
            f"but the image appears to be {found}"
        )


def _check_document(where: str, block: dict) -> None:
    source = _source(where, block, DOCUMENT_SOURCES)
    if source["type"] == "base64":
        if source.get("media_type") != "application/pdf":
            raise validation(f"{where}.document.source.base64.media_type: Input should be 'application/pdf'")
        raw = _decoded(f"{where}.document.source.base64.data", source.get("data"))
        if not raw.startswith(b"%PDF"):
            raise validation(f"{where}.document.source.base64.data: The PDF specified was not valid.")


def _all_blocks(messages: list[dict]):
    for message in messages:
        yield from content_blocks(message)


def _check_tools_defined(body: dict) -> None:
    kinds = {block.get("type") for block in _all_blocks(body["messages"])}
    if kinds & {"tool_use", "tool_result"} and not body.get("tools"):
        raise validation(NEEDS_TOOLS)


def _ids(blocks: list[dict], kind: str, key: str) -> list[str]:
    return [block.get(key) for block in blocks if block.get("type") == kind]


def _check_pairing(messages: list[dict]) -> None:
    """Every tool_use is answered in the next turn; every tool_result answers the turn before."""
    for index, message in enumerate(messages):
        blocks = content_blocks(message)
        results = _ids(blocks, "tool_result", "tool_use_id")
        if results:
            previous = messages[index - 1] if index else {"role": "user", "content": []}
            asked = set(_ids(content_blocks(previous), "tool_use", "id"))
            if previous["role"] != "assistant":
                asked = set()
            unexpected = [tool_id for tool_id in results if tool_id not in asked]
            if unexpected:
                raise validation(
                    f"messages.{index}.content.0: unexpected `tool_use_id` found in `tool_result` blocks: "
                    f"{', '.join(map(str, unexpected))}. Each `tool_result` block must have a "
                    "corresponding `tool_use` block in the previous message."
                )
        if message["role"] == "assistant" and index + 1 < len(messages):
            answered = set(_ids(content_blocks(messages[index + 1]), "tool_result", "tool_use_id"))
            missing = [tool_id for tool_id in _ids(blocks, "tool_use", "id") if tool_id not in answered]
            if missing:
                raise validation(
                    f"messages.{index + 1}: `tool_use` ids were found without `tool_result` blocks "
                    f"immediately after: {', '.join(map(str, missing))}. Each `tool_use` block must "
                    "have a corresponding `tool_result` block in the next message."
                )


def _breakpoints(model: Model, body: dict) -> int:
    system = body.get("system")
    count = 0
    for index, block in enumerate(system if isinstance(system, list) else []):
        count += check_cache_control(model, f"system.{index}", block)
    for index, tool in enumerate(body.get("tools") or []):
        count += check_cache_control(model, f"tools.{index}.custom", tool)
    for index, message in enumerate(body["messages"]):
        for position, block in enumerate(content_blocks(message)):
            count += check_cache_control(model, f"messages.{index}.content.{position}", block)
    return count


def _check_thinking_turns(messages: list[dict]) -> None:
    for index in thinking.opening_turns(messages, lambda block: block.get("type") == "tool_use"):
        blocks = content_blocks(messages[index])
        first = blocks[0] if blocks else {"type": "unknown"}
        if first.get("type") == "redacted_thinking":
            continue
        if first.get("type") != "thinking":
            raise thinking.missing_thinking(index, first.get("type"))
        where = f"messages.{index}.content.0"
        thinking.check_signature(where, first.get("thinking", ""), first.get("signature"))
