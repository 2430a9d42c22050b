"""``POST /embeddings``: validate, resolve, batch, call Bedrock concurrently, assemble."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from app.api.request_body import json_body
from app.api.services import bedrock, catalogue, settings
from app.catalogue import ModelInfo
from app.converter.embeddings import KNOWN_MODELS, batches, family_of, options_for, parse, to_openai
from app.errors import InvalidRequestError, ModelNotFoundError
from app.exchange import current as current_exchange
from app.fanout import fan_out
from app.schemas.embeddings import EmbeddingsRequest

bp = Blueprint("embeddings", __name__)
_SCHEMA = EmbeddingsRequest()  # built once: building it costs more than a load


@bp.post("/embeddings", strict_slashes=False)
@bp.post("/deployments/<path:deployment>/embeddings", strict_slashes=False)
def create_embeddings(deployment: str | None = None) -> Response:
    body = _SCHEMA.load(json_body(deployment))
    model = catalogue().resolve(body["model"], purpose="embedding")
    exchange = current_exchange()
    exchange.describe("embeddings", body["model"], model.id)
    family = family_of(model)
    if family is None:
        raise InvalidRequestError(_unsupported_message(body["model"], model), param="model")
    options = options_for(family, body["model"], body)
    client = bedrock()  # the app context does not reach the workers

    def embed(texts: list[str]):
        answer = client.invoke_model(model.id, family.to_request(texts, options))
        exchange.record_call(answer.attempts, answer.request_id)
        return parse(family, texts, answer.body, answer.input_tokens)

    parts = fan_out(embed, batches(family, body["input"], options), settings().embedding_concurrency)
    answered = catalogue().alias_target(body["model"], "embedding")
    answer = to_openai(parts, model=answered, encoding_format=body["encoding_format"])
    exchange.record_usage(input=answer["usage"]["prompt_tokens"])
    return jsonify(answer)


def _unsupported_message(requested: str, model: ModelInfo) -> str:
    kind = (
        "an embedding model the gateway cannot translate for"
        if model.is_embedding
        else "not an embedding model"
    )
    return f"The model `{requested}` is {kind}. Supported embedding models: {', '.join(_available_models())}."


def _available_models() -> list[str]:
    """The embedding models the gateway can serve that this account's catalogue offers."""
    available = []
    for model_id in KNOWN_MODELS:
        try:
            catalogue().resolve(model_id, purpose="embedding")
        except ModelNotFoundError:
            continue
        available.append(model_id)
    return available or list(KNOWN_MODELS)
