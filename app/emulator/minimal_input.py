"""The smallest valid-looking instance of a tool's JSON schema: what the emulated model
sends as toolUse input when the request forces a tool call and no directive scripts one.

Deterministic, so tests can assert it: only required properties; strings are the
property's name (or a value fitting a well-known ``format``), numbers 0 (moved into
``minimum``/``maximum``), booleans false, arrays hold ``minItems`` minimal items. ``enum``
and ``const`` give their (first) value, ``anyOf``/``oneOf`` and a list of types their
first branch, ``allOf`` the merge of its branches, and ``$ref`` is resolved against the
root schema (``#/$defs/...``, ``#/definitions/...``).
"""

from typing import Any

_FORMATS = {
    "date-time": "1970-01-01T00:00:00Z",
    "date": "1970-01-01",
    "time": "00:00:00Z",
    "email": "user@example.com",
    "uri": "https://example.com/",
    "uuid": "00000000-0000-0000-0000-000000000000",
}
_MAX_DEPTH = 32  # a recursive schema whose recursion is required has no finite instance


def minimal_input(schema: dict) -> dict:
    """The toolUse input for a tool whose ``inputSchema.json`` is ``schema``."""
    value = _instance(schema, schema, "value", 0)
    return value if isinstance(value, dict) else {}


def _instance(schema: Any, root: dict, name: str, depth: int) -> Any:
    if not isinstance(schema, dict) or depth > _MAX_DEPTH:
        return None
    if "$ref" in schema:
        return _instance(_resolve(schema["$ref"], root), root, name, depth + 1)
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return schema["enum"][0]
    for key in ("anyOf", "oneOf"):
        if schema.get(key):
            return _instance(schema[key][0], root, name, depth + 1)
    if schema.get("allOf"):
        return _merged([_instance(branch, root, name, depth + 1) for branch in schema["allOf"]])
    kind = schema.get("type", "object" if "properties" in schema else None)
    if isinstance(kind, list):
        kind = kind[0] if kind else None
    return _typed(kind, schema, root, name, depth)


def _typed(kind: str | None, schema: dict, root: dict, name: str, depth: int) -> Any:
    if kind == "object":
        properties = schema.get("properties") or {}
        return {
            key: _instance(properties.get(key, {}), root, key, depth + 1)
            for key in schema.get("required") or []
        }
    if kind == "array":
        item = _instance(schema.get("items", {}), root, name, depth + 1)
        return [item] * schema.get("minItems", 0)
    if kind == "string":
        return _string(schema, name)
    if kind in ("integer", "number"):
        return _number(schema)
    if kind == "boolean":
        return False
    return None


def _string(schema: dict, name: str) -> str:
    text = _FORMATS.get(schema.get("format", ""), name)
    text = text.ljust(schema.get("minLength", 0), "x")
    return text[: schema["maxLength"]] if "maxLength" in schema else text


def _number(schema: dict) -> int | float:
    value: int | float = 0
    if "minimum" in schema:
        value = max(value, schema["minimum"])
    if "exclusiveMinimum" in schema:
        value = max(value, schema["exclusiveMinimum"] + 1)
    if "maximum" in schema:
        value = min(value, schema["maximum"])
    if "exclusiveMaximum" in schema:
        value = min(value, schema["exclusiveMaximum"] - 1)
    return value


def _merged(values: list[Any]) -> Any:
    if values and all(isinstance(value, dict) for value in values):
        return {key: item for value in values for key, item in value.items()}
    return values[0] if values else None


def _resolve(ref: str, root: dict) -> Any:
    """A local JSON pointer (``#/$defs/Name``); anything else resolves to nothing."""
    if not ref.startswith("#"):
        return None
    node: Any = root
    for part in ref[1:].split("/")[1:]:
        part = part.replace("~1", "/").replace("~0", "~")
        node = node.get(part) if isinstance(node, dict) else None
    return node
