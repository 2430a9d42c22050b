"""The only module that talks to Amazon Bedrock, and the one place its errors are mapped.

Clients are built in ``init_app`` from settings, never at import, and honour the standard
AWS configuration: region, the credential chain, and the service endpoint variables
``AWS_ENDPOINT_URL_BEDROCK`` / ``AWS_ENDPOINT_URL_BEDROCK_RUNTIME``. Every call, and
the iteration of a ConverseStream, runs inside ``translate_errors()``.

The runtime client is ``app.bedrock_lean``'s (``BEDROCK_CLIENT=lean``, the default): boto3's
interface and exceptions at a fraction of its cost. ``BEDROCK_CLIENT=boto3`` uses boto3's
own, as does a proxied endpoint or a retry mode other than ``standard``.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial

import boto3
import orjson
import urllib3
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    ParamValidationError,
    ReadTimeoutError,
)
from flask import Flask, current_app, has_request_context

from app import errors
from app.bedrock_lean import LeanRuntimeClient, proxied
from app.exchange import Exchange
from app.exchange import current as current_exchange
from app.fair_turns import take_turn
from app.settings import Settings
from app.usage_estimate import estimate_converse_usage

log = logging.getLogger(__name__)

EXTENSION = "bedrock"
DEFAULT_REGION = "us-east-1"

# Bedrock error code -> (gateway error class, Retry-After seconds or None).
ERROR_MAP: dict[str, tuple[type[errors.GatewayError], int | None]] = {
    "ValidationException": (errors.InvalidRequestError, None),
    "ConflictException": (errors.ConflictError, None),
    "AccessDeniedException": (errors.PermissionDeniedError, None),
    "ResourceNotFoundException": (errors.NotFoundError, None),
    "ThrottlingException": (errors.RateLimitError, 1),
    "ServiceQuotaExceededException": (errors.RateLimitError, 10),
    "ModelNotReadyException": (errors.RateLimitError, 5),
    "ModelTimeoutException": (errors.UpstreamTimeoutError, None),
    "ServiceUnavailableException": (errors.UpstreamUnavailableError, 1),
    "InternalServerException": (errors.UpstreamError, None),
    "ModelErrorException": (errors.UpstreamError, None),
    "ModelStreamErrorException": (errors.UpstreamError, None),
}

_QUIET_CODES = {"AccessDeniedException", "UnrecognizedClientException", "ExpiredTokenException"}
# Bedrock's wordings for a request longer than the model's context window ("Input is too
# long for requested model.", Anthropic's "prompt is too long: 210000 tokens > 200000
# maximum", "...exceeds the model's maximum context length..."); OpenAI clients and agent
# frameworks act on the code context_length_exceeded (trim history, summarise) instead.
_CONTEXT_OVERFLOW = re.compile(
    r"input is too long|prompt is too long|too many input tokens|"
    r"(exceeds?|longer than)( the)?( model'?s?)? (maximum )?context (length|window)",
    re.IGNORECASE,
)
CONTEXT_LENGTH_EXCEEDED = "context_length_exceeded"


def client_config(settings: Settings) -> Config:
    return Config(
        connect_timeout=settings.bedrock_connect_timeout,
        read_timeout=settings.bedrock_read_timeout,
        # total_max_attempts counts the first try; botocore's max_attempts would not.
        retries={"total_max_attempts": settings.bedrock_max_attempts, "mode": settings.bedrock_retry_mode},
        max_pool_connections=settings.bedrock_max_pool_connections,
        tcp_keepalive=True,
    )


def runtime_client(session: boto3.session.Session, boto_client, settings: Settings):
    """The lean client around ``boto_client``, unless settings or the environment rule it out."""
    if settings.bedrock_client == "boto3":
        return boto_client
    reason = ""
    if settings.bedrock_retry_mode != "standard":
        reason = f"retry mode {settings.bedrock_retry_mode}"
    elif proxied(boto_client.meta.endpoint_url):
        reason = "a proxy for the Bedrock endpoint"
    if reason:
        log.info("using boto3 for Bedrock calls: the lean client does not support %s", reason)
        return boto_client
    return LeanRuntimeClient(
        boto_client,
        session.get_credentials(),
        max_attempts=settings.bedrock_max_attempts,
        pool_size=settings.bedrock_max_pool_connections,
        timeouts=(settings.bedrock_connect_timeout, settings.bedrock_read_timeout),
        on_retry=_note_retry,
    )


class Bedrock:
    """boto3 clients for the runtime and control planes, with mapped errors."""

    def __init__(self, settings: Settings, session: boto3.session.Session | None = None):
        session = session or boto3.session.Session()
        region = self.region = settings.aws_region or session.region_name or DEFAULT_REGION
        config = client_config(settings)
        boto_runtime = session.client("bedrock-runtime", region_name=region, config=config)
        boto_runtime.meta.events.register("needs-retry.bedrock-runtime", _note_failed_attempt)
        self.runtime = runtime_client(session, boto_runtime, settings)
        self.control = session.client("bedrock", region_name=region, config=config)

    def converse(self, kwargs: dict) -> dict:
        exchange = _exchange()
        with translate_errors():
            output = self.runtime.converse(**kwargs)
        if exchange is not None:
            _observe_call(exchange, output)
            _observe_usage(exchange, output.get("usage"))
            exchange.finish_reason = output.get("stopReason")
        return output

    def converse_stream(self, kwargs: dict) -> Events:
        """Start the stream (errors before the first byte raise here), then yield its events."""
        exchange = _exchange()
        with translate_errors():
            response = self.runtime.converse_stream(**kwargs)
        deltas: list[dict] = []
        if exchange is not None:
            _observe_call(exchange, response)
            exchange.estimate_usage = partial(estimate_converse_usage, kwargs, deltas)
        return Events(response["stream"], exchange, deltas)

    def invoke_model(self, model_id: str, body: dict) -> Invocation:
        with translate_errors():
            response = self.runtime.invoke_model(**_invocation(model_id, body))
            answer = orjson.loads(response["body"].read())
        metadata = response.get("ResponseMetadata", {})
        count = metadata.get("HTTPHeaders", {}).get("x-amzn-bedrock-input-token-count", "")
        tokens = int(count) if count.isdigit() else None
        return Invocation(answer, tokens, metadata.get("RetryAttempts", 0) + 1, metadata.get("RequestId"))

    def invoke_model_with_response_stream(self, model_id: str, body: dict) -> Payloads:
        """Start the stream (errors before the first byte raise here), then yield each chunk's payload."""
        exchange = _exchange()
        with translate_errors():
            response = self.runtime.invoke_model_with_response_stream(**_invocation(model_id, body))
        if exchange is not None:
            _observe_call(exchange, response)
        return Payloads(response["body"])

    def count_tokens(self, model_id: str, input: dict) -> int:
        """Bedrock's count for ``input`` (``{"invokeModel": {"body"}}`` or ``{"converse": {...}}``)."""
        with translate_errors():
            return self.runtime.count_tokens(modelId=model_id, input=input)["inputTokens"]

    def list_models(self) -> tuple[list[dict], list[dict]]:
        """Foundation model summaries, and every inference profile of both types."""
        with translate_errors():
            summaries = self.control.list_foundation_models()["modelSummaries"]
        return summaries, [*self._profiles("SYSTEM_DEFINED"), *self._profiles("APPLICATION")]

    def _profiles(self, kind: str) -> list[dict]:
        """One kind of inference profile; a refusal (say, no IAM permission) lists none."""
        paginator = self.control.get_paginator("list_inference_profiles")
        try:
            with translate_errors():
                return [
                    profile
                    for page in paginator.paginate(typeEquals=kind)
                    for profile in page.get("inferenceProfileSummaries", [])
                ]
        except errors.GatewayError as exc:
            log.warning("could not list %s inference profiles: %s", kind, exc.message)
            return []


@dataclass(frozen=True)
class Invocation:
    """An InvokeModel answer, and the input token count Bedrock reports in a header."""

    body: dict
    input_tokens: int | None
    attempts: int = 1
    request_id: str | None = None


class Events:
    """A Bedrock event stream, iterated inside the mapper; closing it releases the connection.

    Iterate it for one event at a time, or take ``batches()``: the events that arrived
    together, so a relay can answer them with one write. Each content delta is kept (a
    reference, no copy) in ``deltas``, so a stream that ends before Bedrock's usage event
    can still be counted offline.
    """

    def __init__(self, stream, exchange: Exchange | None = None, deltas: list[dict] | None = None):
        self._stream, self._exchange = stream, exchange
        self._deltas = deltas if deltas is not None else []
        self._flat: Iterator[dict] | None = None

    def __iter__(self) -> Events:
        return self

    def __next__(self) -> dict:
        if self._flat is None:
            self._flat = (event for batch in self.batches() for event in batch or _TICK)
        return next(self._flat)

    def tick_every(self, seconds: float) -> bool:
        """Have Bedrock's silences show as idle ticks, every ``seconds``; False if this stream cannot.

        A tick is an empty batch from ``batches()`` and an empty event (``{}``) one at a time.
        """
        return _tick_every(self._stream, seconds)

    def batches(self) -> Iterator[list[dict]]:
        source = getattr(self._stream, "batches", None)
        exchange = self._exchange
        try:
            with translate_errors():
                for batch in source() if source else ([event] for event in self._stream):
                    if exchange is not None:
                        for event in batch:
                            if "contentBlockDelta" in event:
                                self._deltas.append(event["contentBlockDelta"]["delta"])
                            elif "metadata" in event:
                                _observe_usage(exchange, event["metadata"].get("usage"))
                            elif "messageStop" in event:
                                exchange.finish_reason = event["messageStop"].get("stopReason")
                    take_turn(starting=not self._deltas)  # until the first text is out, a start
                    yield batch
        finally:
            self._stream.close()

    def close(self) -> None:
        self._stream.close()

    @classmethod
    def complete(cls, events: list[dict]) -> Events:
        """Events already in hand (a synthesized stream): one batch."""
        return cls(_Complete(events))


_TICK = ({},)  # an idle tick, one event at a time


def _tick_every(stream, seconds: float) -> bool:
    tick_every = getattr(stream, "tick_every", None)
    return tick_every is not None and tick_every(seconds)


class _Complete:
    def __init__(self, events: list[dict]):
        self.events = events

    def batches(self) -> Iterator[list[dict]]:
        yield self.events

    def close(self) -> None:
        pass


def _invocation(model_id: str, body: dict) -> dict:
    return {
        "modelId": model_id,
        "body": orjson.dumps(body),
        "contentType": "application/json",
        "accept": "application/json",
    }


class Payloads:
    """An InvokeModel stream's chunk payloads (the model's own JSON events), as raw bytes.

    ``batches()`` hands out the payloads one network read completed, so a relay can answer
    them with one write ([] for an idle tick, with ``tick_every`` on).
    """

    def __init__(self, stream):
        self._stream = stream

    def batches(self) -> Iterator[list[bytes]]:
        source = getattr(self._stream, "batches", None)
        starting = True
        try:
            with translate_errors():
                for events in source() if source else ([event] if event else [] for event in self._stream):
                    take_turn(starting)  # a start until the first text is out
                    batch = [event["chunk"]["bytes"] for event in events if "chunk" in event]
                    if starting:
                        starting = not any(b'"content_block_delta"' in payload for payload in batch)
                    if batch or not events:
                        yield batch
        finally:
            self._stream.close()

    def tick_every(self, seconds: float) -> bool:
        return _tick_every(self._stream, seconds)

    def close(self) -> None:
        self._stream.close()


def _exchange() -> Exchange | None:
    """The request being served, if any (the catalogue also calls Bedrock outside requests)."""
    return current_exchange() if has_request_context() else None


def _observe_call(exchange: Exchange, response: dict) -> None:
    metadata = response.get("ResponseMetadata") or {}
    exchange.upstream_request_id = metadata.get("RequestId")
    exchange.attempts = metadata.get("RetryAttempts", 0) + 1


def _note_failed_attempt(response=None, caught_exception=None, **_) -> None:
    """botocore asks after every attempt whether to retry; remember what the last failure was."""
    if caught_exception is not None:
        _note_retry(caught_exception)
    elif response is not None and response[0].status_code >= 400:
        code = (response[1].get("Error") or {}).get("Code") or str(response[0].status_code)
        _note_retry(code)


def _note_retry(error: Exception | str) -> None:
    """A failed attempt (its error, or its code): the retries metric counts retries by it."""
    exchange = _exchange()
    if exchange is None:
        return
    if isinstance(error, ClientError):
        error = error.response.get("Error", {}).get("Code") or type(error).__name__
    exchange.retry_error = error if isinstance(error, str) else type(error).__name__


def _observe_usage(exchange: Exchange, usage: dict | None) -> None:
    """Converse's counts; its inputTokens already exclude cache reads and writes."""
    if usage:
        exchange.record_usage(
            input=usage.get("inputTokens", 0),
            output=usage.get("outputTokens", 0),
            cache_read=usage.get("cacheReadInputTokens", 0),
            cache_write=usage.get("cacheWriteInputTokens", 0),
        )


@contextlib.contextmanager
def translate_errors() -> Iterator[None]:
    """Around every Bedrock call: take a fair turn first, then map botocore's exceptions to
    GatewayError, the most specific match winning."""
    take_turn(starting=True)
    try:
        yield
    except ClientError as exc:
        exchange = _exchange()
        if exchange is not None and exchange.attempts is None:
            _observe_call(exchange, exc.response)  # Bedrock answered: an error is a timed request too
        raise from_client_error(exc) from exc
    except ParamValidationError as exc:
        raise errors.InvalidRequestError(_param_message(exc)) from exc
    except (ConnectTimeoutError, ReadTimeoutError) as exc:
        exchange = _exchange()
        if exchange is not None and exchange.attempts is None:
            exchange.attempts = 1
        raise errors.UpstreamTimeoutError("Amazon Bedrock did not answer in time.") from exc
    except EndpointConnectionError as exc:
        raise errors.UpstreamError("Amazon Bedrock could not be reached.") from exc
    except NoCredentialsError as exc:
        log.error("no AWS credentials available to call Bedrock")
        raise errors.UpstreamError("The gateway has no AWS credentials for Amazon Bedrock.") from exc
    except BotoCoreError as exc:
        log.warning("Bedrock client error: %s", type(exc).__name__)
        raise errors.UpstreamError("The call to Amazon Bedrock failed.") from exc
    # boto3's event stream reads its socket through urllib3, whose errors botocore lets through.
    except urllib3.exceptions.ReadTimeoutError as exc:
        raise errors.UpstreamTimeoutError("Amazon Bedrock did not answer in time.") from exc
    except urllib3.exceptions.HTTPError as exc:
        log.warning("Bedrock stream error: %s", type(exc).__name__)
        raise errors.UpstreamError("The call to Amazon Bedrock failed.") from exc


def from_client_error(exc: ClientError) -> errors.GatewayError:
    code = exc.response.get("Error", {}).get("Code", "")
    # Exception events inside a ConverseStream carry lowerCamel names (throttlingException).
    code = code[:1].upper() + code[1:]
    upstream_message = exc.response.get("Error", {}).get("Message") or code
    cls, retry_after = ERROR_MAP.get(code, (_fallback_class(exc), None))
    if code in _QUIET_CODES or cls is errors.PermissionDeniedError:
        log.warning("Bedrock refused access: %s: %s", code, upstream_message)
        return errors.PermissionDeniedError(
            "Amazon Bedrock denied access to this model. "
            "Check model access and the gateway's IAM permissions.",
            code="bedrock_access_denied",
        )
    header = exc.response.get("ResponseMetadata", {}).get("HTTPHeaders", {}).get("retry-after")
    if header and header.isdigit():
        retry_after = int(header)
    message = f"Amazon Bedrock: {upstream_message}" if cls.status >= 429 else upstream_message
    error = cls(message, retry_after=retry_after, code=_error_code(code, upstream_message))
    error.upstream_code = code or None
    return error


def _error_code(code: str, message: str) -> str | None:
    if code == "ValidationException" and _CONTEXT_OVERFLOW.search(message):
        return CONTEXT_LENGTH_EXCEEDED
    return _snake(code) if code else None


def _fallback_class(exc: ClientError) -> type[errors.GatewayError]:
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 500)
    return errors.InvalidRequestError if 400 <= status < 500 else errors.UpstreamError


def _param_message(exc: ParamValidationError) -> str:
    report = str(exc.kwargs.get("report", "")).strip().splitlines()
    return "Invalid request for Amazon Bedrock: " + (report[0] if report else "invalid parameter")


def _snake(code: str) -> str:
    name = code.removesuffix("Exception")
    return "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_")


def init_app(app: Flask, settings: Settings) -> Bedrock:
    bedrock = Bedrock(settings)
    app.extensions[EXTENSION] = bedrock
    return bedrock


def get_bedrock() -> Bedrock:
    return current_app.extensions[EXTENSION]
