"""Bedrock's Converse rejections, raised as ValidationException with Bedrock-like wording."""

from app.emulator import anthropic, features, shapes, thinking
from app.emulator.body_rules import malformed
from app.emulator.catalogue import Model
from app.emulator.errors import validation
from app.emulator.media import check_media

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
    check_media(model, messages)
    _check_caching(model, body)
    _check_inference(model, body)
    _check_extra_fields(model, body.get("additionalModelRequestFields"))
    anthropic.check_anthropic(model, body)
    thinking.check_thinking(model, body)
    features.check_features(model, body, operation)


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
                _check_error_result(where, block["toolResult"])
        _check_answered(messages, index)


def _check_tool_result(messages: list[dict], index: int, where: str, tool_use_id: str) -> None:
    previous = messages[index - 1] if index else {}
    ids = {b["toolUse"]["toolUseId"] for b in previous.get("content", []) if "toolUse" in b}
    if tool_use_id not in ids:
        raise validation(
            f"The toolUseId {tool_use_id} in the toolResult block at {where} doesn't match "
            "any toolUse block in the previous assistant message."
        )


def _check_error_result(where: str, result: dict) -> None:
    # Wording from aws-samples/sample-multi-agent-orchestration-chat-on-agentcore#15.
    if result.get("status") == "error" and not result["content"]:
        raise validation(
            f"The content field at {where}.toolResult cannot be empty when status value is error."
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
        # Wording from Mintplex-Labs/anything-llm#2486 (Titan Text on Converse).
        raise validation(
            "This model doesn't support system messages. Try again without a system message "
            "or use a model that supports system messages."
        )
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
        raise validation(anthropic.EXCLUSIVE_SAMPLING)


# The fields each strict family takes in additionalModelRequestFields (nested: its keys).
# Nova: only {"inferenceConfig": {"topK": n}}; a top-level top_k is refused with
# "Malformed input request: #: extraneous key [top_k] is not permitted"
# (UKGovernmentBEIS/inspect_ai#3939, Arize-ai/phoenix#6943). DeepSeek R1 takes none.
# Nova 2 also takes its reasoning switch there (Nova 2 user guide, "Extended thinking").
NOVA_REASONING = {"type": str, "maxReasoningEffort": str}
EXTRA_FIELDS = {
    "nova_reasoning": {"inferenceConfig": {"topK": int}, "reasoningConfig": NOVA_REASONING},
    "nova_fields": {"inferenceConfig": {"topK": int}},
    "strict_extra_fields": {},
}
_JSON_TYPES = {int: "Integer", str: "String"}


def _check_extra_fields(model: Model, extra) -> None:
    allowed = next((fields for cap, fields in EXTRA_FIELDS.items() if model.can(cap)), None)
    if allowed is None or not extra:
        return
    if not isinstance(extra, dict):
        raise malformed(f"#: expected type: JSONObject, found: {type(extra).__name__}")
    for key, value in extra.items():
        if key not in allowed:
            raise malformed(f"#: extraneous key [{key}] is not permitted")
        if not isinstance(value, dict):
            raise malformed(f"#/{key}: expected type: JSONObject, found: {type(value).__name__}")
        for inner, inner_value in value.items():
            kind = allowed[key].get(inner)
            if kind is None:
                raise malformed(f"#/{key}: extraneous key [{inner}] is not permitted")
            if isinstance(inner_value, bool) or not isinstance(inner_value, kind):
                found = type(inner_value).__name__
                raise malformed(f"#/{key}/{inner}: expected type: {_JSON_TYPES[kind]}, found: {found}")
