"""The Responses request, as openai-python's ``ResponseCreateParams`` describes it.

Unknown top-level keys load unchanged and are ignored (``unknown = INCLUDE``): Codex and
the SDKs add fields release by release (``client_metadata``, ``prompt_cache_retention``,
``context_management`` …), and an unknown one must never be a 400. Input items and tools
take many shapes; their fields are checked where they are translated, with the same
``param`` paths. What the gateway cannot honour is refused here: background mode,
conversations and stored prompts.
"""

from __future__ import annotations

from typing import Any

from marshmallow import EXCLUDE, INCLUDE, Schema, ValidationError, fields, validate, validates_schema

from app.schemas.chat import REASONING_EFFORTS
from app.schemas.fields import RejectTrue, StrictBoolean, StringOr, Unsupported

_NO_BACKGROUND = "Background responses are not supported: send the request with stream or wait for it."


class _Part(Schema):
    class Meta:
        unknown = EXCLUDE


class Reasoning(_Part):
    effort = fields.String(allow_none=True, validate=validate.OneOf(REASONING_EFFORTS))
    summary = fields.String(allow_none=True)
    generate_summary = fields.String(allow_none=True)


class TextFormat(_Part):
    type = fields.String(required=True, validate=validate.OneOf(["text", "json_object", "json_schema"]))
    name = fields.String(validate=validate.Length(min=1))
    description = fields.String(allow_none=True)
    schema = fields.Dict()
    strict = fields.Boolean(allow_none=True)

    @validates_schema
    def _schema_given(self, data: dict, **kwargs: Any) -> None:
        if data["type"] == "json_schema" and "schema" not in data:
            raise ValidationError("Required when type is json_schema.", field_name="schema")


class Text(_Part):
    format = fields.Nested(TextFormat, allow_none=True)
    verbosity = fields.String(allow_none=True)


class ObjectList(fields.List):
    """A list of JSON objects, each checked where it is used."""

    def __init__(self, **kwargs: Any):
        super().__init__(fields.Dict(), **kwargs)


def _number(low: float, high: float) -> fields.Float:
    return fields.Float(
        allow_none=True, validate=validate.Range(low, high, error=f"Must be between {low:g} and {high:g}.")
    )


class ResponseCreateRequest(Schema):
    """Validate a POST /responses body; ``load()`` returns OpenAI field names."""

    class Meta:
        unknown = INCLUDE

    model = fields.String(required=True, validate=validate.Length(min=1))
    input = StringOr(ObjectList(), expected="an array of input items", allow_none=True)
    instructions = fields.String(allow_none=True)
    tools = ObjectList(allow_none=True)
    tool_choice = StringOr(
        fields.Dict(), expected="a tool choice object", inner_type=dict, choices=("none", "auto", "required"),
        allow_none=True,
    )  # fmt: skip
    parallel_tool_calls = StrictBoolean(allow_none=True)
    max_output_tokens = fields.Integer(
        strict=True, allow_none=True, validate=validate.Range(min=1, error="Must be at least 1.")
    )
    temperature = _number(0, 2)
    top_p = _number(0, 1)
    stream = StrictBoolean(allow_none=True)
    store = StrictBoolean(allow_none=True)
    previous_response_id = fields.String(allow_none=True)
    reasoning = fields.Nested(Reasoning, allow_none=True)
    text = fields.Nested(Text, allow_none=True)
    include = fields.List(fields.String(), allow_none=True)
    metadata = fields.Dict(allow_none=True)
    prompt_cache_key = fields.String(allow_none=True)
    background = StrictBoolean(allow_none=True, validate=RejectTrue(_NO_BACKGROUND))
    conversation = fields.Raw(
        allow_none=True,
        validate=Unsupported(
            "Conversations are not supported: use previous_response_id or send the history."
        ),
    )
    prompt = fields.Raw(
        allow_none=True,
        validate=Unsupported("Stored prompts are not supported: send instructions and input."),
    )
