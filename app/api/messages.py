"""``POST /messages`` and ``POST /messages/count_tokens``: Anthropic's Messages API.

Claude answers through InvokeModel with the Anthropic body (sanitized for Bedrock), so
thinking signatures, cache ttls and tool types survive; every other model through
Converse. Every error on these routes is in Anthropic's envelope (``app.errors``).
The ``anthropic-version`` header is never checked: SDKs send newer dates than Bedrock's.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from flask import Blueprint, Response, jsonify, request

from app.api.request_body import json_body
from app.api.services import bedrock, catalogue, settings
from app.catalogue import ModelInfo
from app.converse.events import events_from_converse_response
from app.converter.messages_count import (
    converse_count_input,
    estimate_input_tokens,
    invoke_count_input,
)
from app.converter.messages_invoke import CONTEXT_1M_BETA, Sanitizer, split_betas
from app.converter.messages_invoke_stream import invoke_stream_frames
from app.converter.messages_request import messages_to_converse
from app.converter.messages_response import Usage, converse_to_message, message_id
from app.converter.messages_sources import inline_url_sources
from app.converter.messages_stream import converse_stream_to_events
from app.converter.messages_system import hoist_system_messages
from app.errors import InvalidRequestError, PermissionDeniedError, request_id
from app.exchange import Exchange
from app.exchange import current as current_exchange
from app.images import ImageLoader
from app.schemas.messages import COUNT_TOKENS, MESSAGES
from app.sse import MESSAGES as MESSAGES_FRAMING
from app.sse import start_stream, stream_response

log = logging.getLogger(__name__)

bp = Blueprint("messages", __name__)
# Anthropic's own request size limit; larger bodies are a 413 request_too_large.
MAX_REQUEST_BYTES = 32 * 1024 * 1024
ESTIMATE_HEADER = "x-gateway-token-count"


@bp.before_request
def allow_anthropic_request_size() -> None:
    request.max_content_length = MAX_REQUEST_BYTES


@bp.after_request
def expose_request_id(response: Response) -> Response:
    """Anthropic's SDKs read the request id from ``request-id``."""
    response.headers.setdefault("request-id", request_id())
    return response


@bp.post("/messages", strict_slashes=False)
def create_message() -> Response:
    body = hoist_system_messages(MESSAGES.load(json_body(max_bytes=MAX_REQUEST_BYTES)))
    model, one_million = _resolve(body["model"], "messages")
    if model.family.anthropic_body:
        return _invoke(body, model, _bedrock_body(body, model, one_million))
    return _converse(body, model)


@bp.post("/messages/count_tokens", strict_slashes=False)
def count_tokens() -> Response:
    body = hoist_system_messages(COUNT_TOKENS.load(json_body(max_bytes=MAX_REQUEST_BYTES)))
    model, one_million = _resolve(body["model"], "count_tokens")
    if model.family.anthropic_body:
        count_input = invoke_count_input(_bedrock_body(body, model, one_million))
    else:
        count_input = converse_count_input(messages_to_converse(body, model, ImageLoader(settings())))
    try:
        return jsonify({"input_tokens": bedrock().count_tokens(model.foundation_id, count_input)})
    except (InvalidRequestError, PermissionDeniedError) as exc:
        # Bedrock cannot count for every model (nor with every IAM policy): estimate, and say so.
        log.info("CountTokens refused for %s (%s): estimating", model.id, exc.message)
    response = jsonify({"input_tokens": estimate_input_tokens(body)})
    response.headers[ESTIMATE_HEADER] = "estimate"
    return response


def _resolve(requested: str, operation: str) -> tuple[ModelInfo, bool]:
    model, one_million = catalogue().resolve_anthropic(requested)
    current_exchange().describe(operation, requested, model.id)
    if not model.is_chat:
        raise InvalidRequestError(f"The model `{requested}` is not a chat model.", param="model")
    return model, one_million


def _bedrock_body(body: dict, model: ModelInfo, one_million: bool) -> dict:
    """The sanitized InvokeModel body, with url sources fetched."""
    betas = split_betas(request.headers.get("anthropic-beta"), body.get("anthropic_beta"))
    if one_million:
        betas.append(CONTEXT_1M_BETA)
    bedrock_body = Sanitizer(model, betas).body(body)
    inline_url_sources(bedrock_body["messages"], ImageLoader(settings()))
    return bedrock_body


def _invoke(body: dict, model: ModelInfo, bedrock_body: dict) -> Response:
    exchange = current_exchange()
    if not body.get("stream"):
        answer = bedrock().invoke_model(model.id, bedrock_body).body
        answer["model"] = body["model"]
        usage = Usage()
        usage.update(answer.get("usage") or {})
        _record(exchange, usage)
        return jsonify(answer)
    chunks = bedrock().invoke_model_with_response_stream(model.id, bedrock_body)
    frames = invoke_stream_frames(
        chunks.batches(),
        body["model"],
        on_usage=lambda usage: _record(exchange, usage),
        on_first_token=exchange.mark_first_token,
    )
    return stream_response(start_stream(frames, chunks), MESSAGES_FRAMING)


def _converse(body: dict, model: ModelInfo) -> Response:
    call = messages_to_converse(body, model, ImageLoader(settings()))
    sent = call.kwargs.get("inferenceConfig", {}).get("stopSequences", [])
    if not body.get("stream"):
        answer = bedrock().converse(call.kwargs)
        message = converse_to_message(
            answer, model=body["model"], message_id=message_id(), stop_sequences=sent
        )
        return jsonify(message)
    upstream = _converse_events(model, call.kwargs)
    events = converse_stream_to_events(
        upstream,
        model=body["model"],
        message_id=message_id(),
        on_first_token=current_exchange().mark_first_token,
        stop_sequences=sent,
    )
    return stream_response(start_stream(events, upstream), MESSAGES_FRAMING)


def _converse_events(model: ModelInfo, kwargs: dict) -> Iterator[dict]:
    """A model without streaming support answers through the same stream translator."""
    if model.streaming:
        return bedrock().converse_stream(kwargs)
    return events_from_converse_response(bedrock().converse(kwargs))


def _record(exchange: Exchange, usage: Usage) -> None:
    exchange.record_usage(
        input=usage.input_tokens,
        output=usage.output_tokens,
        cache_read=usage.cache_read_input_tokens,
        cache_write=usage.cache_creation_input_tokens,
    )
