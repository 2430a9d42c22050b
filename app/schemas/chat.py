"""The Chat Completions request, as openai-python's ``CompletionCreateParams`` describes it.

Unknown top-level keys are kept (``unknown = INCLUDE``): the converter forwards the
ones that are not OpenAI parameters to Bedrock as ``additionalModelRequestFields``.
OpenAI parameters Bedrock cannot honour (``user``, ``seed``, ``logit_bias`` …) load
unchanged and are ignored by the converter; the few whose absence would change the
answer (``logprobs``, ``functions``) are refused here.
"""

from __future__ import annotations

from typing import Any

from marshmallow import (
    EXCLUDE,
    INCLUDE,
    Schema,
    ValidationError,
    fields,
    pre_load,
    validate,
    validates_schema,
)

from app.schemas.fields import RejectTrue, StrictBoolean, StringOr, Tagged, Unsupported

DEFAULT_MAX_MESSAGES = 2000
# openai-python's ReasoningEffort literal.
REASONING_EFFORTS = ("none", "minimal", "low", "medium", "high", "xhigh", "max")


def function_type(error: str, **options) -> fields.String:
    """A ``type`` field that must say "function", OpenAI's only tool kind here."""
    return fields.String(validate=validate.Equal("function", error=error), **options)


class _Part(Schema):
    """Nested objects drop keys we do not use (``prompt_cache_breakpoint`` …)."""

    class Meta:
        unknown = EXCLUDE


def _cache_control() -> fields.Raw:
    """Anthropic's marker; anything but an object is ignored, never refused."""
    return fields.Raw(allow_none=True)


class TextPart(_Part):
    type = fields.String(required=True)
    text = fields.String(required=True)
    cache_control = _cache_control()


class RefusalPart(_Part):
    type = fields.String(required=True)
    refusal = fields.String(required=True)


class ImageURL(_Part):
    url = fields.String(required=True)
    detail = fields.String(allow_none=True)


class ImagePart(_Part):
    type = fields.String(required=True)
    image_url = fields.Nested(ImageURL, required=True)
    cache_control = _cache_control()


class FileData(_Part):
    file_data = fields.String()
    file_id = fields.String()
    filename = fields.String(allow_none=True)

    @validates_schema
    def _data_given(self, data: dict, **kwargs: Any) -> None:
        if "file_id" in data and "file_data" not in data:
            raise ValidationError(
                "file_id is not supported (there is no Files API here): send the file as file_data.",
                field_name="file_id",
            )
        if "file_data" not in data:
            raise ValidationError("Required: the file as a base64 data URL.", field_name="file_data")


class FilePart(_Part):
    type = fields.String(required=True)
    file = fields.Nested(FileData, required=True)
    cache_control = _cache_control()


_UNSUPPORTED_PARTS = {
    "input_audio": "input_audio content parts are not supported: send text, or images as image_url parts.",
}


def _content(schemas: dict[str, type[Schema]], **kwargs: Any) -> StringOr:
    kinds = " or ".join(schemas)
    parts = fields.List(Tagged("type", schemas, rejected=_UNSUPPORTED_PARTS, what="content part"))
    return StringOr(parts, expected=f"an array of content parts ({kinds})", **kwargs)


class FunctionCall(_Part):
    name = fields.String(required=True)
    arguments = fields.String(required=True)


class ToolCall(_Part):
    id = fields.String(required=True)
    type = function_type("Only function tool calls are supported.", load_default="function")
    function = fields.Nested(FunctionCall, required=True)


class ThinkingBlock(_Part):
    """A reasoning block a client got from us and sends back (Anthropic's shape)."""

    type = fields.String(required=True, validate=validate.OneOf(["thinking", "redacted_thinking"]))
    thinking = fields.String()
    signature = fields.String(allow_none=True)
    data = fields.String()

    @validates_schema
    def _needs_body(self, data: dict, **kwargs: Any) -> None:
        needed = "thinking" if data["type"] == "thinking" else "data"
        if needed not in data:
            raise ValidationError(f"Required for a {data['type']} block.", field_name=needed)


class _Message(_Part):
    role = fields.String(required=True)
    name = fields.String(allow_none=True)
    cache_control = _cache_control()


class SystemMessage(_Message):
    content = _content({"text": TextPart}, required=True)


class UserMessage(_Message):
    content = _content({"text": TextPart, "image_url": ImagePart, "file": FilePart}, required=True)


class AssistantMessage(_Message):
    content = _content({"text": TextPart, "refusal": RefusalPart}, allow_none=True)
    refusal = fields.String(allow_none=True)
    audio = fields.Dict(allow_none=True)
    tool_calls = fields.List(fields.Nested(ToolCall), allow_none=True)
    function_call = fields.Raw(
        allow_none=True, validate=Unsupported("function_call is not supported: use tool_calls.")
    )
    reasoning_content = fields.String(allow_none=True)
    thinking_blocks = fields.List(fields.Nested(ThinkingBlock), allow_none=True)


class ToolMessage(_Message):
    content = _content({"text": TextPart}, required=True)
    tool_call_id = fields.String(required=True)


MESSAGE = Tagged(
    "role",
    {
        "system": SystemMessage,
        "developer": SystemMessage,
        "user": UserMessage,
        "assistant": AssistantMessage,
        "tool": ToolMessage,
    },
    rejected={
        "function": "The function role is not supported: use tools, and send results "
        "as role tool messages with a tool_call_id."
    },
    what="message",
)


class FunctionDefinition(_Part):
    name = fields.String(required=True)
    description = fields.String(allow_none=True)
    parameters = fields.Dict(allow_none=True)
    strict = fields.Boolean(allow_none=True)


class Tool(_Part):
    type = function_type("Only function tools are supported.", required=True)
    function = fields.Nested(FunctionDefinition, required=True)
    cache_control = _cache_control()


class ToolName(_Part):
    name = fields.String(required=True)


class NamedToolChoice(_Part):
    type = fields.String(required=True)
    function = fields.Nested(ToolName, required=True)


class AllowedToolRef(_Part):
    type = function_type("Only function tools are supported.", load_default="function")
    function = fields.Nested(ToolName, required=True)


class AllowedTools(_Part):
    mode = fields.String(required=True, validate=validate.OneOf(["auto", "required"]))
    tools = fields.List(fields.Nested(AllowedToolRef), required=True)


class AllowedToolsChoice(_Part):
    type = fields.String(required=True)
    allowed_tools = fields.Nested(AllowedTools, required=True)


TOOL_CHOICE = StringOr(
    Tagged(
        "type",
        {"function": NamedToolChoice, "allowed_tools": AllowedToolsChoice},
        rejected={"custom": "Custom tools are not supported."},
        what="tool_choice",
    ),
    expected='{"type": "function", "function": {"name": ...}}',
    inner_type=dict,
    choices=("none", "auto", "required"),
    allow_none=True,
)


class JSONSchemaFormat(_Part):
    name = fields.String(required=True, validate=validate.Length(min=1))
    description = fields.String(allow_none=True)
    schema = fields.Dict(required=True)
    strict = fields.Boolean(allow_none=True)


class ResponseFormat(_Part):
    type = fields.String(required=True, validate=validate.OneOf(["text", "json_object", "json_schema"]))
    json_schema = fields.Nested(JSONSchemaFormat)

    @validates_schema
    def _schema_given(self, data: dict, **kwargs: Any) -> None:
        if data["type"] == "json_schema" and "json_schema" not in data:
            raise ValidationError("Required when type is json_schema.", field_name="json_schema")


class StreamOptions(_Part):
    include_usage = StrictBoolean(allow_none=True)
    include_obfuscation = fields.Raw(allow_none=True)


class PromptCachingTargets(_Part):
    system = StrictBoolean()
    messages = StrictBoolean()


class PromptCaching(fields.Field):
    """The gateway's own switch: ``true``/``false`` for both, or ``{"system", "messages"}``."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> dict:
        if value is True or value is False:
            return {"system": value, "messages": value}
        if not isinstance(value, dict):
            raise ValidationError('Must be a boolean or {"system": bool, "messages": bool}.')
        return PromptCachingTargets().load(value)


def _number(low: float, high: float) -> fields.Float:
    return fields.Float(
        allow_none=True,
        validate=validate.Range(low, high, error=f"Must be between {low:g} and {high:g}."),
    )


def _token_limit() -> fields.Integer:
    return fields.Integer(
        strict=True, allow_none=True, validate=validate.Range(min=1, error="Must be at least 1.")
    )


_USE_TOOLS = "Deprecated and not supported: use tools and tool_choice."
_NO_LOGPROBS = "Log probabilities are not supported: Bedrock does not return them."


class ChatCompletionRequest(Schema):
    """Validate a POST /chat/completions body; ``load()`` returns OpenAI field names."""

    class Meta:
        unknown = INCLUDE

    model = fields.String(required=True, validate=validate.Length(min=1))
    messages = fields.List(MESSAGE, required=True)
    max_tokens = _token_limit()
    max_completion_tokens = _token_limit()
    temperature = _number(0, 2)
    top_p = _number(0, 1)
    n = fields.Integer(
        strict=True, allow_none=True, validate=validate.Range(min=1, error="Must be at least 1.")
    )
    stop = StringOr(fields.List(fields.String()), expected="an array of strings", allow_none=True)
    stream = StrictBoolean(allow_none=True)
    stream_options = fields.Nested(StreamOptions, allow_none=True)
    tools = fields.List(fields.Nested(Tool), allow_none=True)
    tool_choice = TOOL_CHOICE
    response_format = fields.Nested(ResponseFormat, allow_none=True)
    reasoning_effort = fields.String(allow_none=True, validate=validate.OneOf(REASONING_EFFORTS))
    logprobs = StrictBoolean(allow_none=True, validate=RejectTrue(_NO_LOGPROBS))
    top_logprobs = fields.Raw(allow_none=True, validate=Unsupported(_NO_LOGPROBS))
    functions = fields.Raw(allow_none=True, validate=Unsupported(_USE_TOOLS))
    function_call = fields.Raw(allow_none=True, validate=Unsupported(_USE_TOOLS))
    prompt_caching = PromptCaching(allow_none=True)

    def __init__(self, *, max_messages: int = DEFAULT_MAX_MESSAGES, **kwargs: Any):
        super().__init__(**kwargs)
        self.max_messages = max_messages

    @pre_load
    def _prepare(self, data: Any, **kwargs: Any) -> Any:
        if not isinstance(data, dict):
            return data
        data = self._merge_extra_body(data)
        self._check_message_count(data.get("messages"))
        return data

    @staticmethod
    def _merge_extra_body(data: dict) -> dict:
        """Take a literal ``extra_body`` object as top-level keys; explicit top-level keys win."""
        if "extra_body" not in data:
            return data
        extra = data["extra_body"]
        if not isinstance(extra, dict):
            raise ValidationError({"extra_body": ["Must be an object."]})
        rest = {key: value for key, value in data.items() if key != "extra_body"}
        return {**extra, **rest}

    def _check_message_count(self, messages: Any) -> None:
        """Refuse empty and oversized conversations before loading every message."""
        if not isinstance(messages, list):
            return
        if not messages:
            raise ValidationError({"messages": ["Must contain at least one message."]})
        if len(messages) > self.max_messages:
            raise ValidationError(
                {"messages": [f"Too many messages: at most {self.max_messages} are allowed."]}
            )
