"""``/responses``: create (streaming or not) through Converse; stored responses by id."""

from __future__ import annotations

import time
import uuid
from functools import lru_cache

from flask import Blueprint, Response, current_app, jsonify

from app.api.request_body import json_body
from app.api.services import bedrock, catalogue, settings
from app.api.upstream import converse_events
from app.auth import EXTENSION as API_KEYS
from app.converter.openai_errors import as_openai_errors
from app.converter.reasoning_codec import ReasoningCodec, derived_key
from app.converter.responses_request import input_items, responses_to_converse
from app.converter.responses_response import ResponseContext, converse_to_response
from app.converter.responses_stream import ResponsesStream
from app.errors import InvalidRequestError, NotFoundError
from app.exchange import current as current_exchange
from app.images import ImageLoader
from app.schemas.responses import ResponseCreateRequest
from app.sse import Framing, named_event, start_stream, stream_response

bp = Blueprint("responses", __name__)


def _error_frame(error) -> bytes:
    """An error the stream translator did not see (it turns Bedrock's into response.failed)."""
    body = {"type": "error", "code": error.code or "server_error", "message": error.message, "param": None}
    return named_event({**body, "sequence_number": 0})


RESPONSES = Framing(frame=named_event, error=_error_frame)


@bp.post("/responses", strict_slashes=False)
def create_response() -> Response:
    body = _schema().load(json_body())
    model = catalogue().resolve(body["model"])
    current_exchange().describe("responses", body["model"], model.id)
    if not model.is_chat:
        raise InvalidRequestError(f"The model `{body['model']}` is not a chat model.", param="model")
    if body.get("previous_response_id"):
        raise InvalidRequestError(
            f"Previous response with id '{body['previous_response_id']}' not found.",
            param="previous_response_id",
            code="previous_response_not_found",
        )
    items = input_items(body.get("input") or [])
    translation = responses_to_converse(
        body, model, ImageLoader(settings()), _codec(), items=items,
        prompt_caching=settings().enable_prompt_caching,
    )  # fmt: skip
    context = ResponseContext(
        response_id=f"resp_{uuid.uuid4().hex}",
        created_at=int(time.time()),
        model=body["model"],
        body=body,
        call=translation.call,
        toolbox=translation.toolbox,
        codec=_codec(),
        family=model.family.name,
        store=False,
    )
    with as_openai_errors():
        if not body.get("stream"):
            return jsonify(converse_to_response(bedrock().converse(translation.call.kwargs), context))
        upstream = converse_events(model, translation.call)
        events = ResponsesStream(context, current_exchange()).events(upstream)
        return stream_response(start_stream(events, upstream), RESPONSES)


@bp.get("/responses/<response_id>", strict_slashes=False)
@bp.get("/responses/<response_id>/input_items", strict_slashes=False)
@bp.delete("/responses/<response_id>", strict_slashes=False)
def stored_response(response_id: str) -> Response:
    raise NotFoundError(f"Response with id '{response_id}' not found.")


@bp.post("/responses/<response_id>/cancel", strict_slashes=False)
def cancel_response(response_id: str) -> Response:
    raise InvalidRequestError(
        "Only background responses can be cancelled, and background mode is not supported."
    )


@lru_cache(maxsize=1)
def _schema() -> ResponseCreateRequest:
    return ResponseCreateRequest()


def _codec() -> ReasoningCodec:
    codec = current_app.extensions.get("reasoning_codec")
    if codec is None:
        key = derived_key(settings().reasoning_codec_key, current_app.extensions.get(API_KEYS) or ())
        codec = current_app.extensions["reasoning_codec"] = ReasoningCodec(key)
    return codec
