"""Structural request validation driven by botocore's bedrock-runtime service model.

Mirrors what Bedrock's deserializer rejects before any model sees the request: unknown
members, unions without exactly one member, missing required members, wrong JSON types,
enum, length, range and pattern constraints. Messages follow the Coral format:
"1 validation error detected: Value ... at 'path' failed to satisfy constraint: ...".
"""

import base64
import binascii
import re
from functools import cache

from botocore.loaders import Loader
from botocore.model import ServiceModel, Shape

from app.emulator.errors import validation


@cache
def input_shape(operation: str) -> Shape:
    model = Loader().load_service_model("bedrock-runtime", "service-2")
    return ServiceModel(model, "bedrock-runtime").operation_model(operation).input_shape


def check_request(operation: str, body: dict) -> None:
    """Raise ValidationException for the first structural problem in `body`."""
    shape = input_shape(operation)
    members = {k: v for k, v in shape.members.items() if "location" not in v.serialization}
    _check_members(members, shape, body, "")


def check_location(operation: str, values: dict) -> None:
    """Check the URI and header members (modelId, InvokeModel's headers) like body members."""
    shape = input_shape(operation)
    for name, member in shape.members.items():
        if "location" not in member.serialization:
            continue
        if name in shape.required_members and values.get(name) is None:
            _fail(None, name, "Member must not be null")
        _check(member, values.get(name), name)


def check_payload(operation: str, payload: bytes) -> None:
    """The length limits of a blob payload member (InvokeModel's body, at most 25,000,000 bytes)."""
    shape = input_shape(operation)
    name = shape.serialization.get("payload")
    if name is not None:
        _check_length(shape.members[name], len(payload), "", name)


def _fail(value, path: str, constraint: str):
    if value is None:
        shown = " null"
    else:
        shown = "" if isinstance(value, (dict, list)) else f" '{value}'"
    detail = f"Value{shown} at '{path}' failed to satisfy constraint: {constraint}"
    raise validation(f"1 validation error detected: {detail}")


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _check(shape: Shape, value, path: str) -> None:
    if value is None or getattr(shape, "is_document_type", False):
        return
    checker = _CHECKERS.get(shape.type_name, _check_scalar)
    checker(shape, value, path)


def _check_structure(shape: Shape, value, path: str) -> None:
    if not isinstance(value, dict):
        _fail(value, path, "Member must be a structure")
    _check_members(shape.members, shape, value, path)


def _check_members(members: dict, shape: Shape, value: dict, path: str) -> None:
    for key in value:
        if key not in members:
            raise validation(f"Malformed input request: extraneous key [{_join(path, key)}]")
    set_members = [k for k, v in value.items() if v is not None]
    if shape.metadata.get("union") and len(set_members) != 1:
        _fail(value, path, "Member must have exactly one member set (union)")
    for name in shape.required_members:
        if name in members and value.get(name) is None:
            _fail(None, _join(path, name), "Member must not be null")
    for name in set_members:
        _check(members[name], value[name], _join(path, name))


def _check_list(shape: Shape, value, path: str) -> None:
    if not isinstance(value, list):
        _fail(value, path, "Member must be a list")
    _check_length(shape, len(value), value, path)
    for index, item in enumerate(value):
        _check(shape.member, item, f"{path}.{index + 1}.member")


def _check_map(shape: Shape, value, path: str) -> None:
    if not isinstance(value, dict):
        _fail(value, path, "Member must be a map")
    for key, item in value.items():
        _check(shape.value, item, f"{path}.{key}")


def _check_string(shape: Shape, value, path: str) -> None:
    if not isinstance(value, str):
        _fail(value, path, "Member must be a string")
    if shape.enum and value not in shape.enum:
        _fail(value, path, f"Member must satisfy enum value set: [{', '.join(shape.enum)}]")
    _check_length(shape, len(value), value, path)
    pattern = shape.metadata.get("pattern")
    if pattern and not re.fullmatch(pattern, value):
        _fail(value, path, f"Member must satisfy regular expression pattern: {pattern}")


def _check_blob(shape: Shape, value, path: str) -> None:
    try:
        raw = base64.b64decode(value, validate=True) if isinstance(value, str) else None
    except (binascii.Error, ValueError):
        raw = None
    if raw is None:
        _fail("", path, "Member must be base64-encoded binary data")
    _check_length(shape, len(raw), "", path)


def _check_scalar(shape: Shape, value, path: str) -> None:
    if shape.type_name == "boolean":
        if not isinstance(value, bool):
            _fail(value, path, "Member must be a boolean")
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        _fail(value, path, f"Member must be a {shape.type_name}")
    if shape.type_name in ("integer", "long") and not float(value).is_integer():
        _fail(value, path, f"Member must be an {shape.type_name}")
    _check_range(shape, value, path)


def _check_range(shape: Shape, value, path: str) -> None:
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    if low is not None and value < low:
        _fail(value, path, f"Member must have value greater than or equal to {low}")
    if high is not None and value > high:
        _fail(value, path, f"Member must have value less than or equal to {high}")


def _check_length(shape: Shape, length: int, value, path: str) -> None:
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    if low is not None and length < low:
        _fail(value, path, f"Member must have length greater than or equal to {low}")
    if high is not None and length > high:
        _fail(value, path, f"Member must have length less than or equal to {high}")


_CHECKERS = {
    "structure": _check_structure,
    "list": _check_list,
    "map": _check_map,
    "string": _check_string,
    "blob": _check_blob,
}
