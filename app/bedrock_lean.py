"""The lean Bedrock runtime client: the same calls as boto3's, with only the work they need.

A call is one SigV4 signature (``app.sigv4``: botocore's arithmetic, with the session's
credentials, which refresh themselves), one HTTP exchange on a pooled keep-alive
connection, and one orjson parse; a streamed answer is decoded frame by frame by
``app.eventstream``; requests and answers follow the service model through
``app.restjson``. What boto3 does around that is kept where it matters and taken from
botocore itself: the endpoint (ruleset resolution, ``AWS_ENDPOINT_URL_BEDROCK_RUNTIME``),
parameter validation, the standard retry conditions, backoff and retry quota (applied only
before a response's first byte), and the exception types, so ``bedrock.translate_errors()``
maps both clients alike.

``LeanRuntimeClient`` offers every rest-json POST operation of ``bedrock-runtime`` under
boto3's method names and answer shapes (``converse(**kwargs)`` → dict; a streaming
operation's payload member → an iterable of events with ``close()``); anything else is
served by the boto3 client it wraps.
"""

from __future__ import annotations

import io
import ssl
import time
import urllib.request
from collections.abc import Callable, Iterator
from typing import NamedTuple
from urllib.parse import urlsplit

from botocore import xform_name
from botocore.exceptions import (
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    EventStreamError,
    NoCredentialsError,
    ReadTimeoutError,
    ResponseStreamingError,
)
from botocore.httpsession import get_cert_path
from botocore.retries import quota, standard

from app import eventstream, http_pool
from app.restjson import Operation, client_error, event_payload, metadata, stream_error_response
from app.sigv4 import Signer


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
        self._names = {xform_name(name): name for name in service.operation_names}
        self._operations: dict[str, Operation | None] = {}  # built on first use: startup stays short
        context: dict = {}
        converse = service.operation_model("Converse")
        endpoint, self._extra_headers, _ = boto_client._resolve_endpoint_ruleset(converse, {}, context)
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
        self._signer = Signer(self._origin, self._signing_name, self._region)
        self._retry = Retries(max_attempts)

    def __getattr__(self, name: str):
        operation = self._operation(name)
        if operation is None:
            return getattr(self._boto, name)
        return lambda **params: self._call(operation, params)

    def _operation(self, name: str) -> Operation | None:
        """The operation boto3 calls ``name``, if this client serves it."""
        if name not in self._operations:
            model = (
                self.meta.service_model.operation_model(self._names[name]) if name in self._names else None
            )
            self._operations[name] = Operation(model) if model and Operation.supports(model) else None
        return self._operations[name]

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
                return self._answer(operation, response, attempt)
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
        if self._extra_headers:  # they replace a request header of the same name, in any case
            replaced = {name.lower() for name in self._extra_headers}
            headers = {k: v for k, v in headers.items() if k.lower() not in replaced} | self._extra_headers
        return self._signer.sign(self._credentials.get_frozen_credentials(), path, headers, body)

    def _connection_error(self, exc: OSError) -> Exception:
        if isinstance(exc, http_pool.ConnectTimeout):
            return ConnectTimeoutError(endpoint_url=self._endpoint, error=exc)
        if isinstance(exc, http_pool.ConnectError):
            return EndpointConnectionError(endpoint_url=self._endpoint, error=exc)
        if isinstance(exc, http_pool.ReadTimeout):
            return ReadTimeoutError(endpoint_url=self._endpoint, error=exc)
        return ConnectionClosedError(endpoint_url=self._endpoint, error=exc)

    def _answer(self, operation: Operation, response: http_pool.Response, attempts: int) -> dict:
        if operation.stream:
            parsed = operation.with_headers(
                {operation.output_payload: EventStream(response, operation, self)}, response.headers
            )
        elif operation.output_payload:
            parsed = operation.with_headers(
                {operation.output_payload: io.BytesIO(response.read())}, response.headers
            )
        else:
            parsed = operation.parse(response.read(), response.headers)
        parsed["ResponseMetadata"] = metadata(response.status, response.headers, attempts)
        return parsed

    def stream_error(self, exc: Exception) -> Exception:
        """What a broken stream raises: botocore's own type for the same failure."""
        if isinstance(exc, http_pool.ReadTimeout):
            return ReadTimeoutError(endpoint_url=self._endpoint, error=exc)
        return ResponseStreamingError(error=exc)


class EventStream:
    """A streamed answer's events as boto3 yields them: ``{event_type: payload}``."""

    def __init__(self, response: http_pool.Response, operation: Operation, client: LeanRuntimeClient):
        self._response, self._operation, self._client = response, operation, client

    def __iter__(self) -> Iterator[dict]:
        for batch in self.batches():
            yield from batch or _TICK

    def batches(self) -> Iterator[list[dict]]:
        """The events each network read completed, together (with ticks on, [] for a silence)."""
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
                        raise EventStreamError(
                            stream_error_response(headers.get(":exception-type"), payload), name
                        )
                    elif kind == "error":
                        yield from _nonempty(batch)
                        error = {"Code": headers.get(":error-code"), "Message": headers.get(":error-message")}
                        raise EventStreamError({"Error": error}, name)
                if batch or not messages:  # no messages at all: an idle tick, passed on empty
                    yield batch
        except (eventstream.FramingError, OSError) as exc:
            raise self._client.stream_error(exc) from exc

    def tick_every(self, seconds: float) -> bool:
        """Yield an empty batch whenever Bedrock stays silent ``seconds``; False if it cannot."""
        return self._response.tick_every(seconds)

    def close(self) -> None:
        self._response.close()


_TICK = ({},)  # an idle tick, one event at a time


def _nonempty(batch: list) -> list[list]:
    return [batch] if batch else []


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
