"""Bedrock's Converse rejections, raised as ValidationException with Bedrock-like wording."""

import base64

from app.emulator import shapes, thinking
from app.emulator.catalogue import Model
from app.emulator.errors import validation

MAGIC = {
    "png": (b"\x89PNG\r\n\x1a\n",),
    "jpeg": (b"\xff\xd8\xff",),
    "gif": (b"GIF87a", b"GIF89a"),
}
NO_CACHING = (
    "You invoked an unsupported model or your request did not allow prompt caching. "
    "See the documentation for more information."
)
START_WITH_USER = (
    "A conversation must start with a user message. "
    "Try again with a conversation that starts with a user message."
)
ALTERNATE = (
    "A conversation must alternate between user and assistant roles. "
    "Make sure the conversation alternates between user and assistant roles and try again."
)


def check_converse(model: Model, body: dict, operation: str) -> None:
    """Raise the ValidationException Bedrock would return for this request, if any."""
    if operation == "ConverseStream" and not model.streaming:
        raise validation("The model is unsupported for streaming.")
    shapes.check_request(operation, body)
    messages = body.get("messages") or []
    _check_roles(messages)
    _check_blocks(messages, body)
    _check_system(model, body.get("system") or [])
    _check_tools(model, body.get("toolConfig"))
    _check_media(model, messages)
    _check_caching(model, body)
    _check_inference(model, body)
    thinking.check_thinking(model, body)


def _check_roles(messages: list[dict]) -> None:
    if not messages or messages[0].get("role") != "user":
        raise validation(START_WITH_USER)
    for index, message in enumerate(messages):
        if message["role"] not in ("user", "assistant"):
            raise validation(f"The role {message['role']} at messages.{index} isn't supported.")
        if index and message["role"] == messages[index - 1]["role"]:
            raise validation(ALTERNATE)
        if not message["content"]:
            raise validation(
                f"The content field in the Message object at messages.{index} is empty. "
                "Add a ContentBlock object to the content field and try again."
            )


def _check_blocks(messages: list[dict], body: dict) -> None:
    for index, message in enumerate(messages):
        for position, block in enumerate(message["content"]):
            where = f"messages.{index}.content.{position}"
            if "text" in block and not block["text"].strip():
                raise validation(
                    f"The text field in the ContentBlock object at {where} is blank. "
                    "Add text to the text field, and try again."
                )
            if ("toolUse" in block or "toolResult" in block) and not body.get("toolConfig"):
                raise validation(
                    "The toolConfig field must be defined when using toolUse and toolResult content blocks."
                )
            if "toolResult" in block:
                _check_tool_result(messages, index, where, block["toolResult"]["toolUseId"])
        _check_answered(messages, index)


def _check_tool_result(messages: list[dict], index: int, where: str, tool_use_id: str) -> None:
    previous = messages[index - 1] if index else {}
    ids = {b["toolUse"]["toolUseId"] for b in previous.get("content", []) if "toolUse" in b}
    if tool_use_id not in ids:
        raise validation(
            f"The toolUseId {tool_use_id} in the toolResult block at {where} doesn't match "
            "any toolUse block in the previous assistant message."
        )


def _check_answered(messages: list[dict], index: int) -> None:
    """Every toolUse of an assistant turn needs a toolResult in the next (user) turn."""
    if index + 1 >= len(messages) or messages[index]["role"] != "assistant":
        return
    asked = [b["toolUse"]["toolUseId"] for b in messages[index]["content"] if "toolUse" in b]
    given = {b["toolResult"]["toolUseId"] for b in messages[index + 1]["content"] if "toolResult" in b}
    missing = [tool_id for tool_id in asked if tool_id not in given]
    if missing:
        raise validation(
            f"messages.{index + 1}: toolUse ids were found without toolResult blocks "
            f"immediately after: {', '.join(missing)}. Each toolUse block must have a "
            "corresponding toolResult block in the next message."
        )


def _check_system(model: Model, system: list[dict]) -> None:
    if system and not model.can("system"):
        raise validation("This model doesn't support system messages.")
    for index, block in enumerate(system):
        if "text" in block and not block["text"].strip():
            raise validation(
                f"The text field in the SystemContentBlock object at system.{index} is blank. "
                "Add text to the text field, and try again."
            )


def _check_tools(model: Model, config: dict | None) -> None:
    if not config:
        return
    if not model.can("tools"):
        raise validation("This model doesn't support tool use.")
    specs = [t["toolSpec"] for t in config["tools"] if "toolSpec" in t]
    names = [spec["name"] for spec in specs]
    if len(names) != len(set(names)):
        raise validation("Tool names must be unique within toolConfig.tools.")
    for index, spec in enumerate(specs):
        schema = spec["inputSchema"].get("json")
        if not isinstance(schema, dict) or schema.get("type") != "object":
            raise validation(
                f"toolConfig.tools.{index}.toolSpec.inputSchema.json.type: Input should be 'object'"
            )
    chosen = (config.get("toolChoice") or {}).get("tool", {}).get("name")
    if chosen is not None and chosen not in names:
        raise validation(f"The tool {chosen} in toolChoice isn't defined in toolConfig.tools.")


def _media_blocks(messages: list[dict]):
    for index, message in enumerate(messages):
        for position, block in enumerate(message["content"]):
            nested = block.get("toolResult", {}).get("content", [])
            for item in (block, *nested):
                yield f"messages.{index}.content.{position}", item


def _check_media(model: Model, messages: list[dict]) -> None:
    for where, block in _media_blocks(messages):
        if "image" in block:
            if "IMAGE" not in model.inputs:
                raise validation(
                    "This model doesn't support the image content block that you provided. "
                    "Try again with a supported model."
                )
            _check_image_bytes(where, block["image"])
        if "video" in block and "VIDEO" not in model.inputs:
            raise validation("This model doesn't support the video content block.")


def _sniff(raw: bytes) -> str | None:
    if raw[:4] == b"RIFF" and raw[8:12] == b"WEBP":
        return "webp"
    return next((f for f, sigs in MAGIC.items() if raw.startswith(sigs)), None)


def _check_image_bytes(where: str, image: dict) -> None:
    encoded = image["source"].get("bytes")
    if encoded is None:
        return
    actual = _sniff(base64.b64decode(encoded))
    declared = image["format"]
    if actual != declared:
        found = f"a image/{actual} image" if actual else "not a valid image"
        raise validation(
            f"{where}.image.source.bytes: The image was specified using the image/{declared} "
            f"media type, but the image appears to be {found}"
        )


def _has_cache_point(body: dict) -> bool:
    blocks = [*(body.get("system") or []), *(body.get("toolConfig") or {}).get("tools", [])]
    for message in body.get("messages") or []:
        blocks.extend(message["content"])
    return any("cachePoint" in block for block in blocks)


def _check_caching(model: Model, body: dict) -> None:
    if not model.can("caching") and _has_cache_point(body):
        raise validation(NO_CACHING)


def _check_inference(model: Model, body: dict) -> None:
    config = body.get("inferenceConfig") or {}
    max_tokens = config.get("maxTokens")
    if max_tokens is not None and max_tokens > model.max_output:
        limit = model.max_output
        raise validation(
            f"The maximum tokens you requested exceeds the model limit of {limit}. "
            f"Try again with a maximum tokens value that is lower than {limit}."
        )
    both = config.get("temperature") is not None and config.get("topP") is not None
    if model.can("exclusive_sampling") and both:
        raise validation(
            "temperature and top_p cannot both be specified for this model. Please use only one."
        )
    extra = body.get("additionalModelRequestFields") or {}
    if model.can("strict_extra_fields") and extra:
        raise validation(
            f"Malformed input request: extraneous key [{next(iter(extra))}] is not permitted, "
            "please reformat your input and try again."
        )
