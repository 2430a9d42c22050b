"""JSON Schemas for what the gateway answers, and OpenAPI forms of its custom request fields.

Component names follow OpenAI's own OpenAPI document (``CreateChatCompletionResponse``,
``ListModelsResponse``...) so generated clients get familiar types. Only the fields the
gateway sends are described; objects stay open to fields added later.
"""

from __future__ import annotations

from marshmallow import fields

from app.schemas.chat import PromptCaching
from app.schemas.embeddings import EmbeddingInput
from app.schemas.fields import StrictBoolean, StringOr, Tagged

STRING = {"type": "string"}
INTEGER = {"type": "integer"}
NULLABLE_STRING = {"type": ["string", "null"]}


def _object(required: list[str], **properties: dict) -> dict:
    return {"type": "object", "required": required, "properties": properties}


def _usage(*names: str) -> dict:
    return _object(list(names), **dict.fromkeys(names, INTEGER))


_ERROR = _object(
    ["message", "type", "param", "code"],
    message={**STRING, "description": "Ends with the request id, as in the X-Request-Id header."},
    type=STRING,
    param=NULLABLE_STRING,
    code=NULLABLE_STRING,
)
_TOOL_CALL = _object(
    ["id", "type", "function"],
    id=STRING,
    type={"const": "function"},
    function=_object(["name", "arguments"], name=STRING, arguments=STRING),
)
_CHOICE = _object(
    ["index", "message", "finish_reason"],
    index=INTEGER,
    message=_object(
        ["role", "content"],
        role={"const": "assistant"},
        content=NULLABLE_STRING,
        reasoning_content=STRING,
        tool_calls={"type": "array", "items": _TOOL_CALL},
    ),
    finish_reason=NULLABLE_STRING,
)
_MODEL = _object(
    ["id", "object", "created", "owned_by"],
    id=STRING,
    object={"const": "model"},
    created=INTEGER,
    owned_by=STRING,
)

RESPONSES: dict[str, dict] = {
    "ErrorResponse": _object(["error"], error=_ERROR),
    "AnthropicErrorResponse": _object(
        ["type", "error"],
        type={"const": "error"},
        error=_object(["type", "message"], type=STRING, message=STRING),
        request_id=STRING,
    ),
    "CreateChatCompletionResponse": _object(
        ["id", "object", "created", "model", "choices"],
        id=STRING,
        object={"const": "chat.completion"},
        created=INTEGER,
        model=STRING,
        choices={"type": "array", "items": _CHOICE},
        usage=_usage("prompt_tokens", "completion_tokens", "total_tokens"),
    ),
    "CreateEmbeddingResponse": _object(
        ["object", "data", "model", "usage"],
        object={"const": "list"},
        data={
            "type": "array",
            "items": _object(
                ["object", "embedding", "index"],
                object={"const": "embedding"},
                embedding={"oneOf": [{"type": "array", "items": {"type": "number"}}, STRING]},
                index=INTEGER,
            ),
        },
        model=STRING,
        usage=_usage("prompt_tokens", "total_tokens"),
    ),
    "Model": _MODEL,
    "ListModelsResponse": _object(
        ["object", "data"], object={"const": "list"}, data={"type": "array", "items": _MODEL}
    ),
    "Message": _object(
        ["id", "type", "role", "content", "model", "stop_reason", "usage"],
        id=STRING,
        type={"const": "message"},
        role={"const": "assistant"},
        content={
            "type": "array",
            "items": {"type": "object", "required": ["type"], "properties": {"type": STRING}},
        },
        model=STRING,
        stop_reason=NULLABLE_STRING,
        usage=_usage("input_tokens", "output_tokens"),
    ),
    "CountTokensResponse": _usage("input_tokens"),
    "Response": _object(
        ["id", "object", "created_at", "status", "model", "output"],
        id=STRING,
        object={"const": "response"},
        created_at=INTEGER,
        status=STRING,
        model=STRING,
        output={
            "type": "array",
            "items": {"type": "object", "required": ["type"], "properties": {"type": STRING}},
        },
        usage=_usage("input_tokens", "output_tokens", "total_tokens"),
    ),
    "List": _object(
        ["object", "data"], object={"const": "list"}, data={"type": "array", "items": {"type": "object"}}
    ),
    "Health": _object(["status"], status={"enum": ["ok", "ready", "draining"]}),
    "Object": {"type": "object"},
    "EventStream": {
        **STRING,
        "description": (
            "Server-sent events. Chat completions: data-only events, each a chat.completion.chunk, "
            "then data: [DONE]. Messages: named events (message_start ... message_stop). Comments "
            "(or Anthropic ping events) keep the connection alive while the model is silent; an "
            "error after the first byte arrives as an error event (code server_shutting_down when "
            "the server is restarting)."
        ),
    },
    "PrometheusText": {**STRING, "description": "Prometheus text exposition format 0.0.4."},
    "Html": STRING,
}

SECURITY_SCHEMES = {
    "bearerAuth": {
        "type": "http",
        "scheme": "bearer",
        "description": "An API key: Authorization: Bearer <key>",
    },
    "apiKeyHeader": {
        "type": "apiKey",
        "in": "header",
        "name": "api-key",
        "description": "Azure OpenAI clients",
    },
    "xApiKey": {"type": "apiKey", "in": "header", "name": "x-api-key", "description": "Anthropic clients"},
    "metricsToken": {"type": "http", "scheme": "bearer", "description": "METRICS_TOKEN, not an API key"},
}


def describe_custom_fields(plugin) -> None:
    """Teach apispec the fields that take one of several shapes (``oneOf``)."""

    def one_of(converter, field: fields.Field, **kwargs) -> dict:
        if isinstance(field, StrictBoolean):
            return {"type": "boolean"}
        if isinstance(field, Tagged):
            schemas = dict.fromkeys(type(schema) for schema in field.schemas.values())  # developer = system
            return {"oneOf": [converter.resolve_nested_schema(schema) for schema in schemas]}
        if isinstance(field, StringOr):
            text = {**STRING, "enum": list(field.choices)} if field.choices else STRING
            return {"oneOf": [text, converter.field2property(field.inner)]}
        if isinstance(field, EmbeddingInput):
            tokens = {"type": "array", "items": INTEGER}
            shapes = [STRING, {"type": "array", "items": STRING}, tokens, {"type": "array", "items": tokens}]
            return {"oneOf": shapes}
        if isinstance(field, PromptCaching):
            targets = _object([], system={"type": "boolean"}, messages={"type": "boolean"})
            return {"oneOf": [{"type": "boolean"}, targets]}
        return {}

    plugin.converter.add_attribute_function(one_of)
