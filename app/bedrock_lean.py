"""The lean Bedrock runtime client: the same calls as boto3's, with only the work they need.

A call is one SigV4 signature (botocore's signer, with the session's credentials, which
refresh themselves), one HTTP exchange on a pooled keep-alive connection, and one orjson
parse; a streamed answer is decoded frame by frame by ``app.eventstream``. What boto3
does around that is kept where it matters and taken from botocore itself: the endpoint
(ruleset resolution, ``AWS_ENDPOINT_URL_BEDROCK_RUNTIME``), parameter validation, the
standard retry conditions, backoff and retry quota (applied only before a response's first
byte), and the exception types, so ``bedrock.translate_errors()`` maps both clients alike.

``LeanRuntimeClient`` offers every rest-json POST operation of ``bedrock-runtime`` under
boto3's method names and answer shapes (``converse(**kwargs)`` → dict; a streaming
operation's payload member → an iterable of events with ``close()``); anything else is
served by the boto3 client it wraps.
"""

from __future__ import annotations

import base64
import io
import json
import ssl
import time
import urllib.request
from collections.abc import Callable, Iterator
from typing import NamedTuple
from urllib.parse import urlsplit

import orjson
from botocore import xform_name
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    EventStreamError,
    NoCredentialsError,
    ParamValidationError,
    ReadTimeoutError,
    ResponseStreamingError,
)
from botocore.httpsession import get_cert_path
from botocore.model import OperationModel, Shape
from botocore.retries import quota, standard
from botocore.utils import percent_encode
from botocore.validate import ParamValidator

from app import eventstream, http_pool

USER_AGENT = "bedrock-gateway-lean"
THROTTLING_SCALE = 1.0
BLOB = "blob"


class LeanRuntimeClient:
    """boto3's ``bedrock-runtime`` client interface over a pooled HTTP client."""

    def __init__(
        self,
        boto_client,
        credentials,
        max_attempts: int,
        pool_size: int,
        timeouts: tuple[float, float],
        on_retry: Callable[[Exception], None] | None = None,
    ):
        self._boto = boto_client
        self._on_retry = on_retry  # told the error of each attempt that is retried
        self.meta = boto_client.meta
        self._credentials = credentials
        service = boto_client.meta.service_model
        self._operations: dict[str, Operation] = {}
        for name in service.operation_names:
            model = service.operation_model(name)
            if Operation.supports(model):
                self._operations[xform_name(name)] = Operation(model)
        any_operation = next(iter(self._operations.values())).model
        context: dict = {}
        endpoint, self._extra_headers, _ = boto_client._resolve_endpoint_ruleset(any_operation, {}, context)
        signing = context.get("signing", {})
        self._signing_name = signing.get("signing_name") or service.signing_name
        self._region = signing.get("region") or boto_client.meta.region_name
        self._endpoint = endpoint
        parts = urlsplit(endpoint)
        self._origin = f"{parts.scheme}://{parts.netloc}"
        self._base_path = parts.path.rstrip("/")
        tls = None
        if parts.scheme == "https":
            verify = boto_client._endpoint.http_session._verify
            tls = ssl.create_default_context(
                cafile=verify if isinstance(verify, str) else get_cert_path(True)
            )
        self._pool = http_pool.Pool(endpoint, pool_size, *timeouts, tls=tls)
        self._retry = Retries(max_attempts)

    def __getattr__(self, name: str):
        operation = self._operations.get(name)
        if operation is None:
            return getattr(self._boto, name)
        return lambda **params: self._call(operation, params)

    def close(self) -> None:
        self._pool.close()

    def _call(self, operation: Operation, params: dict):
        path, headers, body = operation.serialize(params)
        path = self._base_path + path
        attempt, context = 0, {}
        while True:
            attempt += 1
            try:
                response = self._pool.post(path, self._signed(path, headers, body), body)
            except OSError as exc:
                error = self._connection_error(exc)
                if not self._retry.again(attempt, operation.model, context, caught=error):
                    raise error from exc
                self._retried(error)
                continue
            if 200 <= response.status < 300:
                self._retry.succeeded(context)
                return operation.answer(response, attempt, self)
            error = client_error(
                operation.model.name, response.status, response.headers, response.read(), attempt
            )
            if not self._retry.again(attempt, operation.model, context, error=error, status=response):
                raise error
            self._retried(error)

    def _retried(self, error: Exception) -> None:
        if self._on_retry is not None:
            self._on_retry(error)

    def _signed(self, path: str, headers: dict[str, str], body: bytes) -> dict[str, str]:
        if self._credentials is None:
            raise NoCredentialsError()
        request = AWSRequest("POST", self._origin + path, headers, body)
        if self._extra_headers:
            request.headers.update(self._extra_headers)
        SigV4Auth(self._credentials.get_frozen_credentials(), self._signing_name, self._region).add_auth(
            request
        )
        return dict(request.headers.items())

    def _connection_error(self, exc: OSError) -> Exception:
        if isinstance(exc, http_pool.ConnectTimeout):
            return ConnectTimeoutError(endpoint_url=self._endpoint, error=exc)
        if isinstance(exc, http_pool.ConnectError):
            return EndpointConnectionError(endpoint_url=self._endpoint, error=exc)
        if isinstance(exc, http_pool.ReadTimeout):
            return ReadTimeoutError(endpoint_url=self._endpoint, error=exc)
        return ConnectionClosedError(endpoint_url=self._endpoint, error=exc)

    def stream_error(self, exc: Exception) -> Exception:
        """What a broken stream raises: botocore's own type for the same failure."""
        if isinstance(exc, http_pool.ReadTimeout):
            return ReadTimeoutError(endpoint_url=self._endpoint, error=exc)
        return ResponseStreamingError(error=exc)


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
        self.blobs = blob_plan(output, frozenset()) if output and not self.output_payload else None

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
            path = path.replace("{" + label + "}", percent_encode(str(params[name]), safe="-_.~"))
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

    def answer(self, response: http_pool.Response, attempts: int, client: LeanRuntimeClient) -> dict:
        metadata = {
            "RequestId": response.headers.get("x-amzn-requestid", ""),
            "HTTPStatusCode": response.status,
            "HTTPHeaders": response.headers,
            "RetryAttempts": attempts - 1,
        }
        if self.stream:
            parsed = {self.output_payload: EventStream(response, self, client)}
        elif self.output_payload:
            parsed = {self.output_payload: io.BytesIO(response.read())}
        else:
            body = response.read()
            parsed = _json(body) if body else {}
            if self.blobs:
                parsed = decode_blobs(parsed, self.blobs)
        for name, (header, kind) in self.output_headers.items():
            if header in response.headers:
                value = response.headers[header]
                parsed[name] = int(value) if kind in ("integer", "long") else value
        parsed["ResponseMetadata"] = metadata
        return parsed


class EventStream:
    """A streamed answer's events as boto3 yields them: ``{event_type: payload}``."""

    def __init__(self, response: http_pool.Response, operation: Operation, client: LeanRuntimeClient):
        self._response, self._operation, self._client = response, operation, client

    def __iter__(self) -> Iterator[dict]:
        for batch in self.batches():
            yield from batch

    def batches(self) -> Iterator[list[dict]]:
        """The events each network read completed, together."""
        plans, name = self._operation.events, self._operation.model.name
        try:
            for messages in eventstream.decode_batches(self._response.chunks()):
                batch = []
                for headers, payload in messages:
                    kind = headers.get(":message-type")
                    if kind == "event":
                        event_type = headers.get(":event-type", "")
                        batch.append({event_type: event_payload(payload, plans.get(event_type))})
                    elif kind == "exception":
                        yield from _nonempty(batch)
                        raise EventStreamError(_stream_error(headers.get(":exception-type"), payload), name)
                    elif kind == "error":
                        yield from _nonempty(batch)
                        error = {"Code": headers.get(":error-code"), "Message": headers.get(":error-message")}
                        raise EventStreamError({"Error": error}, name)
                yield from _nonempty(batch)
        except (eventstream.FramingError, OSError) as exc:
            raise self._client.stream_error(exc) from exc

    def close(self) -> None:
        self._response.close()


def _nonempty(batch: list) -> list[list]:
    return [batch] if batch else []


def event_payload(payload: bytes, plan) -> dict:
    """One event's payload: JSON (Bedrock's ``p`` padding dropped), or a raw payload member."""
    if isinstance(plan, EventPayload):
        return {plan.member: payload if plan.kind == BLOB else payload.decode()}
    data = _json(payload) if payload else {}
    data.pop("p", None)
    return decode_blobs(data, plan) if plan else data


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
        plans[event_type] = (
            EventPayload(raw[0][0], raw[0][1].type_name) if raw else blob_plan(shape, frozenset())
        )
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
    try:
        data = orjson.loads(body) if body else {}
    except orjson.JSONDecodeError:
        data = {}
    if not isinstance(data, dict):
        data = {}
    code = headers.get("x-amzn-errortype") or data.get("code") or data.get("__type") or str(status)
    code = code.split(":", 1)[0].rsplit("#", 1)[-1]
    error = {"Code": code, "Message": data.get("message") or data.get("Message") or ""}
    metadata = {
        "RequestId": headers.get("x-amzn-requestid", ""),
        "HTTPStatusCode": status,
        "HTTPHeaders": headers,
        "RetryAttempts": attempts - 1,
    }
    return ClientError({"Error": error, "ResponseMetadata": metadata}, operation)


def _stream_error(code: str | None, payload: bytes) -> dict:
    try:
        data = orjson.loads(payload) if payload else {}
    except orjson.JSONDecodeError:
        data = {}
    if not isinstance(data, dict):
        data = {}
    message = data.get("message") or data.get("Message") or ""
    return {"Error": {"Code": code or "", "Message": message}}


def _json(raw: bytes):
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return json.loads(raw)  # lone surrogates (\ud800), which orjson refuses and json accepts


def _base64(value):
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


class _Status(NamedTuple):
    status_code: int
    headers: dict


class Retries:
    """botocore's standard retry mode (conditions, jittered backoff, quota), run by hand."""

    def __init__(self, max_attempts: int):
        detector = standard.ThrottlingErrorDetector(standard.RetryEventAdapter())
        self.checker = standard.StandardRetryConditions(max_attempts=max_attempts)
        self.backoff = standard.ExponentialBackoff(throttling_detector=detector)
        self.quota = standard.RetryQuotaChecker(quota.RetryQuota(), detector)

    def again(self, attempt: int, model, context: dict, error=None, status=None, caught=None) -> bool:
        """Whether to try again, after sleeping the backoff; False once attempts or quota run out."""
        retry = standard.RetryContext(
            attempt_number=attempt,
            operation_model=model,
            parsed_response=error.response if error is not None else None,
            http_response=_Status(status.status, status.headers) if status is not None else None,
            caught_exception=caught,
            request_context=context,
        )
        if not self.checker.is_retryable(retry) or not self.quota.acquire_retry_quota(retry):
            return False
        time.sleep(self.backoff.delay_amount(retry))
        return True

    def succeeded(self, context: dict) -> None:
        self.quota.release_retry_quota(context, _Status(200, {}))


def proxied(endpoint: str) -> bool:
    """Whether the environment routes ``endpoint`` through a proxy (the lean client does not)."""
    proxies = urllib.request.getproxies()
    host = urlsplit(endpoint).hostname or ""
    return urlsplit(endpoint).scheme in proxies and not urllib.request.proxy_bypass(host)
