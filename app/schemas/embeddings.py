"""``POST /embeddings`` request: OpenAI's fields plus the gateway's ``input_type`` and ``truncate``.

``input`` loads as a list of strings whatever form it came in: a string, a list of
strings, a list of token ids or a list of token-id lists. Token ids are decoded with
cl100k_base (``app.tokens``), the tokenizer OpenAI clients such as LangChain use to
produce them; that is best effort, since Bedrock models tokenize the text their own way.
"""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, ValidationError, fields, post_load, validate

from app.tokens import decode_tokens

MAX_INPUTS = 2048  # OpenAI's limit on the number of inputs in one request
INPUT_TYPES = ("search_document", "search_query", "classification", "clustering")
TRUNCATE_MODES = ("NONE", "START", "END")
EXTRAS = ("input_type", "truncate")


def _is_token(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _decoded(token_ids: list[int]) -> str:
    try:
        return decode_tokens(token_ids)
    except ValueError as exc:
        raise ValidationError(f"Invalid token ids: {exc}.") from None


class EmbeddingInput(fields.Field):
    """``str | list[str] | list[int] | list[list[int]]``, loaded as a non-empty list of strings."""

    default_error_messages = {
        "invalid": "Expected a string, a list of strings, a list of token ids or a list of token-id lists.",
        "empty": "Must not be empty.",
        "too_many": f"At most {MAX_INPUTS} inputs are allowed in one request.",
    }

    def _deserialize(self, value, attr, data, **kwargs) -> list[str]:
        if isinstance(value, str):
            if not value:
                raise self.make_error("empty")
            return [value]
        if not isinstance(value, list):
            raise self.make_error("invalid")
        if not value:
            raise self.make_error("empty")
        if _is_token(value[0]):
            if not all(_is_token(item) for item in value):
                raise self._item_error(value, "Expected a token id (an integer).", _is_token)
            return [_decoded(value)]
        if len(value) > MAX_INPUTS:
            raise self.make_error("too_many")
        if isinstance(value[0], list):
            return [self._token_list(index, item) for index, item in enumerate(value)]
        return [self._string(index, item) for index, item in enumerate(value)]

    @staticmethod
    def _item_error(value: list, message: str, valid) -> ValidationError:
        index = next(i for i, item in enumerate(value) if not valid(item))
        return ValidationError({index: [message]})

    @staticmethod
    def _string(index: int, item: object) -> str:
        if not isinstance(item, str):
            raise ValidationError({index: ["Expected a string."]})
        if not item:
            raise ValidationError({index: ["Must not be an empty string."]})
        return item

    @staticmethod
    def _token_list(index: int, item: object) -> str:
        if not isinstance(item, list) or not all(_is_token(token) for token in item):
            raise ValidationError({index: ["Expected a list of token ids."]})
        if not item:
            raise ValidationError({index: ["Must not be an empty list of token ids."]})
        try:
            return decode_tokens(item)
        except ValueError as exc:
            raise ValidationError({index: [f"Invalid token ids: {exc}."]}) from None


class GatewayExtras(Schema):
    """The gateway's own options, also accepted inside a literal ``extra_body`` object."""

    class Meta:
        unknown = EXCLUDE

    input_type = fields.String(validate=validate.OneOf(INPUT_TYPES), allow_none=True)
    truncate = fields.String(validate=validate.OneOf(TRUNCATE_MODES), allow_none=True)


class EmbeddingsRequest(GatewayExtras):
    """The OpenAI embeddings request; unknown fields are ignored, as OpenAI clients add new ones."""

    model = fields.String(required=True, validate=validate.Length(min=1))
    input = EmbeddingInput(required=True)
    encoding_format = fields.String(
        validate=validate.OneOf(("float", "base64")), load_default="float", allow_none=True
    )
    dimensions = fields.Integer(strict=True, validate=validate.Range(min=1), allow_none=True)
    user = fields.String(allow_none=True)
    extra_body = fields.Nested(GatewayExtras, allow_none=True)

    @post_load
    def merge_extras(self, data: dict, **kwargs) -> dict:
        """Top-level extras win over the same keys inside ``extra_body``; absent ones become None."""
        extra = data.pop("extra_body", None) or {}
        for key in EXTRAS:
            if data.get(key) is None:
                data[key] = extra.get(key)
        data["encoding_format"] = data.get("encoding_format") or "float"
        data.setdefault("dimensions", None)
        data.pop("user", None)
        return data
