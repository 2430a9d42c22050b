"""``POST /chat/completions``: validate, resolve, translate, call Bedrock, respond."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from functools import lru_cache

from flask import Blueprint, Response, jsonify

from app.api.request_body import json_body
from app.api.services import bedrock, catalogue, settings
from app.api.upstream import converse_events
from app.catalogue import ModelInfo
from app.converse.call import ConverseCall
from app.converse.controls import Deployment
from app.converter.chat_request import openai_to_converse
from app.converter.chat_response import converse_to_openai, merged_choices
from app.converter.chat_stream import (
    converse_stream_to_chunk_batches,
    converse_stream_to_chunks,
    interleaved_choices,
)
from app.errors import InvalidRequestError
from app.exchange import current as current_exchange
from app.fanout import fan_in, fan_out
from app.images import ImageLoader
from app.schemas.chat import ChatCompletionRequest
from app.sse import start_stream, stream_response

bp = Blueprint("chat", __name__)


@bp.post("/chat/completions", strict_slashes=False)
@bp.post("/deployments/<path:deployment>/chat/completions", strict_slashes=False)
def create_chat_completion(deployment: str | None = None) -> Response:
    body = _schema(settings().max_messages).load(json_body(deployment))
    model = catalogue().resolve(body["model"])
    current_exchange().describe("chat", body["model"], model.id)
    if not model.is_chat:
        raise InvalidRequestError(f"The model `{body['model']}` is not a chat model.", param="model")
    deployment = Deployment.from_settings(settings())
    call = openai_to_converse(body, model, ImageLoader(settings()), deployment=deployment)
    ids = {
        # An alias is answered with the Bedrock model behind it; an id sent as is comes back as is.
        "model": catalogue().alias_target(body["model"], "chat"),
        "call": call,
        "completion_id": _completion_id(),
        "created": int(time.time()),
    }
    choices = _choices(body)
    if not body.get("stream"):
        return jsonify(_completion(call, choices, ids))
    include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
    if choices == 1:
        events = converse_events(model, call)
        batches = converse_stream_to_chunk_batches(events.batches(), include_usage=include_usage, **ids)
        return stream_response(start_stream(batches, events))
    merged = fan_in(_choice_streams(model, call, choices, ids))
    return stream_response(start_stream(interleaved_choices(merged, include_usage), merged))


def _choice_streams(model: ModelInfo, call: ConverseCall, choices: int, ids: dict) -> list[Iterator[dict]]:
    """One chunk stream per choice; if one cannot start, the ones started are released."""
    streams: list[Iterator[dict]] = []
    try:
        for i in range(choices):
            events = converse_events(model, call)
            chunks = converse_stream_to_chunks(events, include_usage=True, choice_index=i, **ids)
            streams.append(_releasing(chunks, events))
    except BaseException:
        for stream in streams:
            stream.close()
        raise
    return streams


def _releasing(chunks: Iterator[dict], events: Iterator[dict]) -> Iterator[dict]:
    """``chunks``, then the Bedrock stream they read released, however the reading ends."""
    try:
        yield from chunks
    finally:
        events.close()


def _choices(body: dict) -> int:
    """``n``: each choice is its own Converse call, made concurrently."""
    choices = body.get("n") or 1
    if choices > settings().max_choices:
        raise InvalidRequestError(
            f"n is {choices}; this gateway answers at most {settings().max_choices} choices a request.",
            param="n",
        )
    return choices


def _completion(call: ConverseCall, choices: int, ids: dict) -> dict:
    if choices == 1:
        return converse_to_openai(bedrock().converse(call.kwargs), **ids)
    client = bedrock()  # the app context does not reach the workers
    answers = fan_out(
        lambda _: client.converse(call.kwargs), range(choices), settings().embedding_concurrency
    )
    completion = merged_choices([converse_to_openai(answer, **ids) for answer in answers])
    usage = [answer.get("usage") or {} for answer in answers]
    current_exchange().record_usage(
        *(
            sum(u.get(key, 0) for u in usage)
            for key in ("inputTokens", "outputTokens", "cacheReadInputTokens", "cacheWriteInputTokens")
        )
    )
    return completion


@lru_cache(maxsize=8)
def _schema(max_messages: int) -> ChatCompletionRequest:
    """Built once: constructing the nested schema costs three times a load."""
    return ChatCompletionRequest(max_messages=max_messages)


def _completion_id() -> str:
    return f"chatcmpl-{uuid.uuid4().hex}"
