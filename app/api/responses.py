"""``/responses``: create (streaming or not) through Converse; stored responses by id.

A response is stored (``store``, true unless the client says false) when a store is
configured and the caller presented a key; only that key reads it back.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable, Iterator
from functools import lru_cache, partial

from flask import Blueprint, Response, current_app, jsonify, request

from app.api.request_body import json_body
from app.api.services import bedrock, catalogue, settings
from app.api.upstream import converse_events
from app.auth import EXTENSION as API_KEYS
from app.auth import presented_key
from app.converter.openai_errors import as_openai_errors
from app.converter.reasoning_codec import ReasoningCodec, derived_key
from app.converter.responses_request import input_items, responses_to_converse
from app.converter.responses_response import ResponseContext, converse_to_response
from app.converter.responses_stream import ResponsesStream
from app.errors import GatewayError, InvalidRequestError, PreviousResponseNotFoundError
from app.exchange import current as current_exchange
from app.images import ImageLoader
from app.response_store import ResponseStore, current_store, new_record, owner_of_key
from app.schemas.responses import ResponseCreateRequest
from app.sse import Framing, named_event, start_stream, stream_response

log = logging.getLogger(__name__)
bp = Blueprint("responses", __name__)


@bp.post("/responses", strict_slashes=False)
def create_response() -> Response:
    body = _schema().load(json_body())
    model = catalogue().resolve(body["model"])
    current_exchange().describe("responses", body["model"], model.id)
    if not model.is_chat:
        raise InvalidRequestError(f"The model `{body['model']}` is not a chat model.", param="model")
    store, owner = current_store(), _owner()
    items = [*_history(body.get("previous_response_id"), store, owner), *input_items(body.get("input") or [])]
    translation = responses_to_converse(
        body, model, ImageLoader(settings()), _codec(), items=items,
        prompt_caching=settings().enable_prompt_caching,
    )  # fmt: skip
    keep = body.get("store", True) is not False and store.enabled and owner is not None
    context = ResponseContext(
        response_id=f"resp_{secrets.token_hex(16)}",
        created_at=int(time.time()),
        model=body["model"],
        body=body,
        call=translation.call,
        toolbox=translation.toolbox,
        codec=_codec(),
        family=model.family.name,
        store=keep,
        previous_response_id=body.get("previous_response_id"),
    )
    save = partial(_save, store, items, owner) if keep else None
    with as_openai_errors():
        if not body.get("stream"):
            response = converse_to_response(bedrock().converse(translation.call.kwargs), context)
            if save is not None:
                save(response)
            return jsonify(response)
        upstream = converse_events(model, translation.call)
        stream = ResponsesStream(context, current_exchange())
        batches = _saving(stream.batches(upstream.batches()), save)
        return stream_response(start_stream(batches, upstream), _framing(stream))


@bp.get("/responses/<response_id>", strict_slashes=False)
def get_response(response_id: str) -> Response:
    return jsonify(current_store().require(response_id, _owner() or "").response)


@bp.get("/responses/<response_id>/input_items", strict_slashes=False)
def list_input_items(response_id: str) -> Response:
    args = request.args
    page = current_store().input_items(
        response_id, _owner() or "", after=args.get("after"), limit=_limit(args.get("limit")),
        order=args.get("order", "desc"),
    )  # fmt: skip
    return jsonify(page)


@bp.delete("/responses/<response_id>", strict_slashes=False)
def delete_response(response_id: str) -> Response:
    return jsonify(current_store().remove(response_id, _owner() or ""))


@bp.post("/responses/<response_id>/cancel", strict_slashes=False)
def cancel_response(response_id: str) -> Response:
    raise InvalidRequestError(
        "Only background responses can be cancelled, and background mode is not supported."
    )


def _framing(stream: ResponsesStream) -> Framing:
    """Named events; a keep-alive and a late error are events of this stream, numbered in turn.

    Codex's idle timer counts events, not SSE comments, so the keep-alive is
    ``response.in_progress``; an error the translator did not see (the drain deadline, a
    bug) still ends the stream in ``response.failed``.
    """
    return Framing(
        frame=named_event,
        error=lambda exc: named_event(stream.failed(exc)),
        heartbeat=lambda: named_event(stream.keep_alive()),
    )


def _owner() -> str | None:
    """Who a stored response belongs to: the caller's key (a request without one has none)."""
    key = presented_key()
    return owner_of_key(key) if key else None


def _history(previous_id: str | None, store: ResponseStore, owner: str | None) -> list[dict]:
    """The stored input and output of ``previous_id``'s chain, to put before the new input."""
    if not previous_id:
        return []
    if owner is None:
        raise PreviousResponseNotFoundError(previous_id)
    return store.previous(previous_id, owner).history()


def _save(store: ResponseStore, items: list[dict], owner: str, response: dict) -> None:
    """Keep ``response``; a store failure costs the client its chain, never the answer."""
    try:
        store.put(new_record(response, items, owner))
    except GatewayError as exc:
        log.warning("response %s not stored: %s", response["id"], exc.message)


def _saving(batches: Iterator[list[dict]], save: Callable[[dict], None] | None) -> Iterator[list[dict]]:
    """Store the finished response before its terminal event goes out (a failed one is not kept)."""
    for batch in batches:
        if save is not None and batch and batch[-1]["type"] in ("response.completed", "response.incomplete"):
            save(batch[-1]["response"])
        yield batch


def _limit(raw: str | None) -> int:
    if raw is None:
        return 20
    try:
        return int(raw)
    except ValueError:
        raise InvalidRequestError("limit must be an integer.", param="limit") from None


@lru_cache(maxsize=1)
def _schema() -> ResponseCreateRequest:
    return ResponseCreateRequest()


def _codec() -> ReasoningCodec:
    codec = current_app.extensions.get("reasoning_codec")
    if codec is None:
        registry = current_app.extensions.get(API_KEYS)
        digests = tuple(key.digest for key in registry.keys) if registry is not None else ()
        key = derived_key(settings().reasoning_codec_key, digests)
        codec = current_app.extensions["reasoning_codec"] = ReasoningCodec(key)
    return codec
