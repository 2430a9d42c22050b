"""Bedrock runtime's rest-json protocol, driven by botocore's service model.

``Operation`` turns boto3-style parameters into a request (path labels, header members,
a JSON or raw body; botocore's ParamValidator first) and knows where an answer's members
are: header members, a raw or event-stream payload, base64 blobs in the JSON. Errors are
built as botocore reports them (``ClientError`` with ``Error.Code``/``Message`` and
``ResponseMetadata``), so one mapper serves both clients.
"""

from __future__ import annotations

import base64
import json
from functools import lru_cache
from typing import NamedTuple

import orjson
from botocore.exceptions import ClientError, ParamValidationError
from botocore.model import OperationModel, Shape
from botocore.utils import percent_encode
from botocore.validate import ParamValidator

USER_AGENT = "bedrock-gateway-lean"
BLOB = "blob"


class Operation:
    """One rest-json POST operation: how its parameters become a request, its answer a dict."""

    def __init__(self, model: OperationModel):
        self.model = model
        self.path = model.http["requestUri"]
        self.validator = ParamValidator()
        shape = model.input_shape
        self.uri: dict[str, str] = {}
        self.headers: dict[str, str] = {}
        for name, member in shape.members.items():
            where = member.serialization.get("location")
            if where == "uri":
                self.uri[name] = member.serialization.get("name", name)
            elif where == "header":
                self.headers[name] = member.serialization.get("name", name)
        self.payload = shape.serialization.get("payload")
        self.body_members = set(shape.members) - set(self.uri) - set(self.headers) - {self.payload}
        output = model.output_shape
        self.output_payload = output.serialization.get("payload") if output else None
        self.output_headers = {
            name: (member.serialization.get("name", name).lower(), member.type_name)
            for name, member in (output.members.items() if output else ())
            if member.serialization.get("location") == "header"
        }
        self.stream = model.has_event_stream_output
        payload_shape = output.members[self.output_payload] if self.output_payload else None
        self.events = event_plans(payload_shape) if self.stream else {}
        self.blobs = blobs_of(output) if output and not self.output_payload else None

    @staticmethod
    def supports(model: OperationModel) -> bool:
        """POST with only path, header and body parameters; no input stream."""
        if model.http.get("method") != "POST" or model.has_event_stream_input:
            return False
        locations = {m.serialization.get("location") for m in model.input_shape.members.values()}
        return locations <= {None, "uri", "header"}

    def serialize(self, params: dict) -> tuple[str, dict[str, str], bytes]:
        report = self.validator.validate(params, self.model.input_shape)
        if report.has_errors():
            raise ParamValidationError(report=report.generate_report())
        path = self.path
        for name, label in self.uri.items():
            path = path.replace("{" + label + "}", path_label(str(params[name])))
        headers = {"User-Agent": USER_AGENT}
        for name, header in self.headers.items():
            if name in params:
                headers[header] = str(params[name])
        if self.payload:
            body = params.get(self.payload, b"")
            body = (
                body.encode() if isinstance(body, str) else body if isinstance(body, bytes) else body.read()
            )
        else:
            headers["Content-Type"] = "application/json"
            members = {name: value for name, value in params.items() if name in self.body_members}
            body = orjson.dumps(members, default=_base64)
        return path, headers, body

    def parse(self, body: bytes, headers: dict[str, str]) -> dict:
        """A JSON answer's members (blobs decoded), plus its header members."""
        parsed = json_loads(body) if body else {}
        if self.blobs:
            parsed = self.blobs.decode(parsed, body)
        return self.with_headers(parsed, headers)

    def with_headers(self, parsed: dict, headers: dict[str, str]) -> dict:
        for name, (header, kind) in self.output_headers.items():
            if header in headers:
                value = headers[header]
                parsed[name] = int(value) if kind in ("integer", "long") else value
        return parsed


@lru_cache(maxsize=1024)
def path_label(value: str) -> str:
    """A path parameter percent-encoded as botocore encodes it (the same model ids recur)."""
    return percent_encode(value, safe="-_.~")


def event_payload(payload: bytes, plan) -> dict:
    """One event's payload: JSON (Bedrock's ``p`` padding dropped), or a raw payload member."""
    if isinstance(plan, EventPayload):
        return {plan.member: payload if plan.kind == BLOB else payload.decode()}
    data = json_loads(payload) if payload else {}
    data.pop("p", None)
    return plan.decode(data, payload) if plan else data


class Blobs(NamedTuple):
    """Where base64 blobs sit in an answer, and the member names that betray one in the raw JSON."""

    tree: object
    markers: tuple[bytes, ...]

    def decode(self, value, raw: bytes):
        """``value`` with its blobs decoded; skipped when no blob member's name is in ``raw``."""
        for marker in self.markers:
            if marker in raw:
                return decode_blobs(value, self.tree)
        return value


def blobs_of(shape: Shape) -> Blobs | None:
    tree = blob_plan(shape, frozenset())
    return Blobs(tree, tuple(sorted(_blob_names(tree)))) if tree else None


def _blob_names(tree) -> set[bytes]:
    """The names of the members holding blobs, as they appear in JSON (``b'"bytes"'``)."""
    if isinstance(tree, tuple):
        return _blob_names(tree[1])
    names: set[bytes] = set()
    if isinstance(tree, dict):
        for name, inner in tree.items():
            names |= {f'"{name}"'.encode()} if inner == BLOB else _blob_names(inner)
    return names


class EventPayload(NamedTuple):
    """An event whose whole payload is one member (not JSON)."""

    member: str
    kind: str


def event_plans(stream_shape: Shape) -> dict:
    """Per event type: the blob plan of its JSON payload, or its raw payload member."""
    plans = {}
    for event_type, shape in stream_shape.members.items():
        raw = [
            (name, member)
            for name, member in shape.members.items()
            if member.serialization.get("eventpayload") and member.type_name in (BLOB, "string")
        ]
        plans[event_type] = EventPayload(raw[0][0], raw[0][1].type_name) if raw else blobs_of(shape)
    return plans


def blob_plan(shape: Shape, seen: frozenset):
    """Where base64 blobs sit under ``shape``: ``BLOB``, {member: plan}, ("list"|"map", plan), or None."""
    if shape.type_name == BLOB:
        return BLOB
    if shape.name in seen:
        return None
    seen = seen | {shape.name}
    if shape.type_name == "structure":
        members = {name: blob_plan(member, seen) for name, member in shape.members.items()}
        return {name: plan for name, plan in members.items() if plan} or None
    if shape.type_name == "list":
        plan = blob_plan(shape.member, seen)
        return ("list", plan) if plan else None
    if shape.type_name == "map":
        plan = blob_plan(shape.value, seen)
        return ("map", plan) if plan else None
    return None


def decode_blobs(value, plan):
    """``value`` with the blobs ``plan`` points at base64-decoded, as botocore's parser does."""
    if plan == BLOB:
        return base64.b64decode(value) if isinstance(value, str) else value
    if isinstance(plan, dict):
        if isinstance(value, dict):
            for name, inner in plan.items():
                if name in value:
                    value[name] = decode_blobs(value[name], inner)
        return value
    kind, inner = plan
    if kind == "list" and isinstance(value, list):
        return [decode_blobs(item, inner) for item in value]
    if kind == "map" and isinstance(value, dict):
        return {key: decode_blobs(item, inner) for key, item in value.items()}
    return value


def client_error(operation: str, status: int, headers: dict, body: bytes, attempts: int) -> ClientError:
    """A rest-json error response as botocore reports it."""
    data = _error_body(body)
    code = headers.get("x-amzn-errortype") or data.get("code") or data.get("__type") or str(status)
    code = code.split(":", 1)[0].rsplit("#", 1)[-1]
    error = {"Code": code, "Message": data.get("message") or data.get("Message") or ""}
    return ClientError({"Error": error, "ResponseMetadata": metadata(status, headers, attempts)}, operation)


def stream_error_response(code: str | None, payload: bytes) -> dict:
    """An exception event as botocore's EventStreamError carries it."""
    data = _error_body(payload)
    return {"Error": {"Code": code or "", "Message": data.get("message") or data.get("Message") or ""}}


def metadata(status: int, headers: dict, attempts: int) -> dict:
    """An answer's ``ResponseMetadata``, as boto3 adds it."""
    return {
        "RequestId": headers.get("x-amzn-requestid", ""),
        "HTTPStatusCode": status,
        "HTTPHeaders": headers,
        "RetryAttempts": attempts - 1,
    }


def _error_body(raw: bytes) -> dict:
    try:
        data = orjson.loads(raw) if raw else {}
    except orjson.JSONDecodeError:
        return {}
    return data if isinstance(data, dict) else {}


def json_loads(raw: bytes):
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return json.loads(raw)  # lone surrogates (\ud800), which orjson refuses and json accepts


def _base64(value):
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")
