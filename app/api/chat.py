"""``POST /chat/completions``: validate, resolve, translate, call Bedrock, respond."""

from __future__ import annotations

import secrets
import time
from functools import lru_cache

from flask import Blueprint, Response, jsonify

from app.api.chat_choices import several_completions, several_streams
from app.api.request_body import json_body
from app.api.services import bedrock, catalogue, settings
from app.api.upstream import converse_events
from app.converse.controls import Deployment
from app.converter.chat_request import openai_to_converse
from app.converter.chat_response import converse_to_openai
from app.converter.chat_stream import converse_stream_to_chunk_batches
from app.errors import InvalidRequestError
from app.exchange import current as current_exchange
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
        if choices > 1:
            return jsonify(several_completions(call, choices, ids))
        return jsonify(converse_to_openai(bedrock().converse(call.kwargs), **ids))
    include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
    if choices > 1:
        chunks, upstream = several_streams(model, call, choices, ids, include_usage)
        return stream_response(start_stream(chunks, upstream))
    events = converse_events(model, call)
    batches = converse_stream_to_chunk_batches(events.batches(), include_usage=include_usage, **ids)
    return stream_response(start_stream(batches, events))


def _choices(body: dict) -> int:
    choices = body.get("n") or 1
    if choices > settings().max_choices:
        raise InvalidRequestError(
            f"n is {choices}; this gateway answers at most {settings().max_choices} choices a request.",
            param="n",
        )
    return choices


@lru_cache(maxsize=8)
def _schema(max_messages: int) -> ChatCompletionRequest:
    """Built once: constructing the nested schema costs three times a load."""
    return ChatCompletionRequest(max_messages=max_messages)


def _completion_id() -> str:
    return f"chatcmpl-{secrets.token_hex(16)}"
