"""Bedrock's embedding families behind OpenAI's embeddings API, one ``FAMILIES`` row each.

A row says how many texts one InvokeModel call takes (``max_batch``), the longest text
Bedrock accepts (``max_chars``), the output sizes the model can produce (``dimensions``,
the default first) and how to write the request and read the response. ``batches()`` is
the one place texts are fitted to those limits and split into calls.

``truncate`` (NONE, START or END) defaults to END: Cohere v3 on Bedrock refuses any text
over 2,048 characters, far less than the 8,191 tokens OpenAI accepts, and document
loaders such as LangChain's would otherwise fail. The gateway cuts such texts to the
limit itself and asks Cohere to cut by tokens too; NONE makes an over-long text a 400.
Nova takes the mode as its ``truncationMode``; Embed v4 (about 128k tokens) is sent no
mode unless one is asked for, under the names Bedrock documents for it (LEFT, RIGHT).
``input_type`` is Cohere's; Nova gets the matching ``embeddingPurpose``, Titan has none.
"""

from __future__ import annotations

import base64
import sys
from array import array
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

from app.catalogue import ModelInfo
from app.errors import InvalidRequestError, UpstreamError
from app.tokens import count_tokens

DEFAULT_INPUT_TYPE = "search_document"
DEFAULT_TRUNCATE = "END"


@dataclass(frozen=True)
class Options:
    """What the request asked for; None leaves the choice to the family."""

    dimensions: int | None = None
    input_type: str | None = None
    truncate: str | None = None


class Embedded(NamedTuple):
    vectors: list[list[float]]
    tokens: int | None  # Bedrock's own count, when it gives one


@dataclass(frozen=True)
class EmbeddingFamily:
    name: str
    models: tuple[str, ...]
    max_batch: int
    max_chars: int | None
    dimensions: tuple[int, ...]
    to_request: Callable[[list[str], Options], dict]
    from_response: Callable[[dict], Embedded]


def _cohere_v3_request(texts: list[str], options: Options) -> dict:
    return {
        "texts": texts,
        "input_type": options.input_type or DEFAULT_INPUT_TYPE,
        "truncate": options.truncate or DEFAULT_TRUNCATE,
    }


# Bedrock documents Embed v4's truncate as NONE | LEFT | RIGHT.
_V4_TRUNCATE = {"NONE": "NONE", "START": "LEFT", "END": "RIGHT"}


def _cohere_v4_request(texts: list[str], options: Options) -> dict:
    # v4 reads ~128k tokens, so no default truncation: nothing OpenAI accepts is cut.
    body = {
        "texts": texts,
        "input_type": options.input_type or DEFAULT_INPUT_TYPE,
        "embedding_types": ["float"],
    }
    if options.dimensions is not None:
        body["output_dimension"] = options.dimensions
    if options.truncate is not None:
        body["truncate"] = _V4_TRUNCATE[options.truncate]
    return body


def _cohere_response(body: dict) -> Embedded:
    embeddings = body["embeddings"]
    if isinstance(embeddings, dict):  # response_type "embeddings_by_type"
        embeddings = embeddings["float"]
    return Embedded(embeddings, None)


def _titan_v1_request(texts: list[str], options: Options) -> dict:
    return {"inputText": texts[0]}


def _titan_v2_request(texts: list[str], options: Options) -> dict:
    body = {"inputText": texts[0], "normalize": True}
    if options.dimensions is not None:
        body["dimensions"] = options.dimensions
    return body


def _titan_response(body: dict) -> Embedded:
    return Embedded([body["embedding"]], body.get("inputTextTokenCount"))


NOVA_DIMENSIONS = (3072, 1024, 384, 256)
_NOVA_PURPOSES = {
    "search_document": "GENERIC_INDEX",
    "search_query": "GENERIC_RETRIEVAL",
    "classification": "CLASSIFICATION",
    "clustering": "CLUSTERING",
}


def _nova_request(texts: list[str], options: Options) -> dict:
    return {
        "taskType": "SINGLE_EMBEDDING",
        "singleEmbeddingParams": {
            "embeddingPurpose": _NOVA_PURPOSES[options.input_type or DEFAULT_INPUT_TYPE],
            "embeddingDimension": options.dimensions or NOVA_DIMENSIONS[0],
            "text": {"truncationMode": options.truncate or DEFAULT_TRUNCATE, "value": texts[0]},
        },
    }


def _nova_response(body: dict) -> Embedded:
    return Embedded([item["embedding"] for item in body["embeddings"]], None)


FAMILIES: dict[str, EmbeddingFamily] = {
    family.name: family
    for family in (
        EmbeddingFamily(
            "cohere-v3",
            ("cohere.embed-english-v3", "cohere.embed-multilingual-v3"),
            max_batch=96,
            max_chars=2048,
            dimensions=(1024,),
            to_request=_cohere_v3_request,
            from_response=_cohere_response,
        ),
        EmbeddingFamily(
            "cohere-v4",
            ("cohere.embed-v4:0",),
            max_batch=96,
            max_chars=None,
            dimensions=(1536, 1024, 512, 256),
            to_request=_cohere_v4_request,
            from_response=_cohere_response,
        ),
        EmbeddingFamily(
            "titan-v1",
            ("amazon.titan-embed-text-v1",),
            max_batch=1,
            max_chars=None,
            dimensions=(1536,),
            to_request=_titan_v1_request,
            from_response=_titan_response,
        ),
        EmbeddingFamily(
            "titan-v2",
            ("amazon.titan-embed-text-v2:0",),
            max_batch=1,
            max_chars=None,
            dimensions=(1024, 512, 256),
            to_request=_titan_v2_request,
            from_response=_titan_response,
        ),
        EmbeddingFamily(
            "nova-mm",
            ("amazon.nova-2-multimodal-embeddings-v1:0",),
            max_batch=1,
            max_chars=None,
            dimensions=NOVA_DIMENSIONS,
            to_request=_nova_request,
            from_response=_nova_response,
        ),
    )
}

KNOWN_MODELS = tuple(model for family in FAMILIES.values() for model in family.models)


def family_of(model: ModelInfo) -> EmbeddingFamily | None:
    """The row serving this model, or None when it is not an embedding model the gateway knows."""
    if not model.is_embedding:
        return None
    return FAMILIES.get(model.family.embedding or "")


def options_for(family: EmbeddingFamily, requested_model: str, body: dict) -> Options:
    """The request's options, with ``dimensions`` checked against what the family can produce."""
    dimensions = body.get("dimensions")
    if dimensions is not None and dimensions not in family.dimensions:
        sizes = ", ".join(str(size) for size in sorted(family.dimensions))
        raise InvalidRequestError(
            f"The model `{requested_model}` does not support {dimensions} dimensions; "
            f"supported values: {sizes}.",
            param="dimensions",
        )
    return Options(dimensions, body.get("input_type"), body.get("truncate"))


def batches(family: EmbeddingFamily, texts: list[str], options: Options) -> list[list[str]]:
    """Texts fitted to ``max_chars`` and split, in order, into calls of at most ``max_batch``."""
    if family.max_chars is not None:
        mode = options.truncate or DEFAULT_TRUNCATE
        texts = [_fit(text, family.max_chars, mode, index, len(texts)) for index, text in enumerate(texts)]
    size = family.max_batch
    return [texts[start : start + size] for start in range(0, len(texts), size)]


def _fit(text: str, limit: int, mode: str, index: int, count: int) -> str:
    if len(text) <= limit:
        return text
    if mode == "END":
        return text[:limit]
    if mode == "START":
        return text[-limit:]
    raise InvalidRequestError(
        f"This input is {len(text)} characters long; the model accepts at most {limit}. "
        "Send shorter text, or set `truncate` to END or START to have it cut.",
        param="input" if count == 1 else f"input[{index}]",
    )


def parse(
    family: EmbeddingFamily, texts: list[str], response: dict, reported_tokens: int | None = None
) -> Embedded:
    """One call's vectors, checked against the texts sent; tokens counted here when Bedrock gives none.

    ``reported_tokens`` is the count from Bedrock's X-Amzn-Bedrock-Input-Token-Count header.
    """
    try:
        vectors, tokens = family.from_response(response)
    except (KeyError, TypeError, IndexError) as exc:
        raise UpstreamError(
            "Amazon Bedrock returned an embeddings response the gateway cannot read."
        ) from exc
    count = len(vectors) if isinstance(vectors, list) else 0
    if count != len(texts):
        raise UpstreamError(f"Amazon Bedrock returned {count} embeddings for {len(texts)} texts.")
    if tokens is None:
        tokens = reported_tokens
    if tokens is None:
        tokens = sum(count_tokens(text) for text in texts)
    return Embedded(vectors, tokens)


def to_openai(parts: list[Embedded], *, model: str, encoding_format: str) -> dict:
    """The OpenAI ``list`` response; ``parts`` are in input order."""
    encode = _base64 if encoding_format == "base64" else _identity
    vectors = (vector for part in parts for vector in part.vectors)
    tokens = sum(part.tokens or 0 for part in parts)
    return {
        "object": "list",
        "data": [
            {"object": "embedding", "embedding": encode(vector), "index": index}
            for index, vector in enumerate(vectors)
        ],
        "model": model,
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    }


def _identity(vector: list[float]) -> list[float]:
    return vector


def _base64(vector: list[float]) -> str:
    """Little-endian float32 bytes, as openai-python decodes them with ``array('f')`` or numpy."""
    packed = array("f", vector)
    if sys.byteorder == "big":
        packed.byteswap()
    return base64.b64encode(packed.tobytes()).decode("ascii")
