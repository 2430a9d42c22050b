"""Custom fields for request values that may take one of several shapes.

Errors keep marshmallow's nested layout (``{index: {key: [message]}}``) so that
``errors.first_message`` can name the exact path, e.g. ``messages[1].content[0].type``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from marshmallow import Schema, ValidationError, fields


class StrictBoolean(fields.Field):
    """Only JSON ``true`` or ``false``: marshmallow's Boolean also takes 1, "yes" and "on"."""

    default_error_messages = {"invalid": "Must be a boolean (true or false)."}

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if value is True or value is False:
            return value
        raise self.make_error("invalid")


class StringOr(fields.Field):
    """A string (optionally one of ``choices``), or whatever ``inner`` accepts."""

    def __init__(
        self,
        inner: fields.Field,
        *,
        expected: str,
        inner_type: type = list,
        choices: Sequence[str] | None = None,
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        self.inner = inner
        self.expected = expected
        self.inner_type = inner_type
        self.choices = choices

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, str):
            if self.choices is not None and value not in self.choices:
                raise ValidationError(f"Must be one of: {', '.join(self.choices)}; or {self.expected}.")
            return value
        if not isinstance(value, self.inner_type):
            raise ValidationError(f"Must be {self._described()}.")
        return self.inner.deserialize(value, **kwargs)

    def _described(self) -> str:
        if self.choices is None:
            return f"a string or {self.expected}"
        return f"one of {', '.join(self.choices)}; or {self.expected}"


class Tagged(fields.Field):
    """An object whose ``tag`` key (``role``, ``type``) picks the schema that loads it."""

    def __init__(
        self,
        tag: str,
        schemas: Mapping[str, type[Schema]],
        *,
        rejected: Mapping[str, str] | None = None,
        what: str = "object",
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        self.tag = tag
        self.schemas = {name: schema() for name, schema in schemas.items()}
        self.rejected = rejected or {}
        self.what = what

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> dict:
        if not isinstance(value, dict):
            raise ValidationError(f"Each {self.what} must be an object.")
        kind = value.get(self.tag)
        if isinstance(kind, str) and kind in self.rejected:
            raise ValidationError({self.tag: [self.rejected[kind]]})
        schema = self.schemas.get(kind) if isinstance(kind, str) else None
        if schema is None:
            raise ValidationError({self.tag: [f"Must be one of: {', '.join(self.schemas)}."]})
        return schema.load(value)


class Unsupported:
    """A validator that refuses any non-null value with ``message``."""

    def __init__(self, message: str):
        self.message = message

    def __call__(self, value: Any) -> None:
        raise ValidationError(self.message)


class RejectTrue:
    """A validator for flags the gateway cannot honour when switched on."""

    def __init__(self, message: str):
        self.message = message

    def __call__(self, value: Any) -> None:
        if value:
            raise ValidationError(self.message)
