"""The Anthropic Messages request, as anthropic-sdk-python's ``MessageCreateParams`` describes it.

Only the shape is checked here: unknown keys at every level are kept (``unknown =
INCLUDE``), because the body goes on to Bedrock and the sanitizer, not this schema,
decides what Bedrock gets of it. ``count_tokens`` takes the same body without
``max_tokens``.
"""

from __future__ import annotations

from marshmallow import INCLUDE, Schema, fields, validate

from app.schemas.fields import StrictBoolean, StringOr

# Claude Code also sends "system" messages mid-conversation (app.converter.messages_system).
ROLES = ("user", "assistant", "system")
TOOL_CHOICES = ("auto", "any", "tool", "none")
THINKING_TYPES = ("enabled", "disabled", "adaptive")


class _Open(Schema):
    class Meta:
        unknown = INCLUDE


def _cache_control() -> fields.Dict:
    return fields.Dict(allow_none=True)


class Block(_Open):
    type = fields.String(required=True)
    source = fields.Dict()
    # A tool_result's content (and a search result's): a string, or blocks.
    content = StringOr(fields.List(fields.Dict()), expected="an array of content blocks")
    cache_control = _cache_control()


class TextBlock(_Open):
    type = fields.String(required=True, validate=validate.Equal("text", error="Must be text."))
    text = fields.String(required=True)
    cache_control = _cache_control()


class Message(_Open):
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    content = StringOr(
        fields.List(fields.Nested(Block)), expected="an array of content blocks", required=True
    )


class Tool(_Open):
    name = fields.String(required=True, validate=validate.Length(min=1))
    type = fields.String()
    input_schema = fields.Dict()
    cache_control = _cache_control()


class ToolChoice(_Open):
    type = fields.String(required=True, validate=validate.OneOf(TOOL_CHOICES))
    name = fields.String()


class Thinking(_Open):
    type = fields.String(required=True, validate=validate.OneOf(THINKING_TYPES))
    budget_tokens = fields.Integer(strict=True, validate=validate.Range(min=1))


def _number(low: float, high: float) -> fields.Float:
    return fields.Float(
        allow_none=True,
        validate=validate.Range(low, high, error=f"Must be between {low:g} and {high:g}."),
    )


class CountTokensRequest(_Open):
    """``POST /messages/count_tokens``."""

    model = fields.String(required=True, validate=validate.Length(min=1))
    messages = fields.List(
        fields.Nested(Message),
        required=True,
        validate=validate.Length(min=1, error="Must contain at least one message."),
    )
    system = StringOr(
        fields.List(fields.Nested(TextBlock)), expected="an array of text blocks", allow_none=True
    )
    tools = fields.List(fields.Nested(Tool), allow_none=True)
    tool_choice = fields.Nested(ToolChoice, allow_none=True)
    thinking = fields.Nested(Thinking, allow_none=True)
    cache_control = _cache_control()
    temperature = _number(0, 1)
    top_p = _number(0, 1)
    top_k = fields.Integer(strict=True, allow_none=True, validate=validate.Range(min=0))
    stop_sequences = fields.List(fields.String(), allow_none=True)


class MessagesRequest(CountTokensRequest):
    """``POST /messages``."""

    max_tokens = fields.Integer(
        strict=True, required=True, validate=validate.Range(min=1, error="Must be at least 1.")
    )
    stream = StrictBoolean(allow_none=True)
    metadata = fields.Dict(allow_none=True)


MESSAGES = MessagesRequest()
COUNT_TOKENS = CountTokensRequest()
