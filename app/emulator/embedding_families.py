"""Request parsing and response shaping for each embedding model family."""

import uuid
from collections.abc import Callable
from dataclasses import dataclass

from app.emulator import body_rules as rules
from app.emulator.errors import validation
from app.emulator.vectors import QUANTIZERS, to_bits, token_count

COHERE_INPUT_TYPES = ("search_document", "search_query", "classification", "clustering")
COHERE_TYPES = tuple(QUANTIZERS)
COHERE_MAX_TEXTS = 96
COHERE_V3_MAX_CHARS = 2048
NOVA_PURPOSES = (
    "GENERIC_INDEX",
    "GENERIC_RETRIEVAL",
    "TEXT_RETRIEVAL",
    "IMAGE_RETRIEVAL",
    "VIDEO_RETRIEVAL",
    "DOCUMENT_RETRIEVAL",
    "AUDIO_RETRIEVAL",
    "CLASSIFICATION",
    "CLUSTERING",
)
NOVA_MAX_TOKENS = 8192
NOVA_PATH = "#/singleEmbeddingParams"
COHERE_V3_KEYS = frozenset({"texts", "images", "input_type", "truncate", "embedding_types"})
COHERE_V4_KEYS = COHERE_V3_KEYS | {"inputs", "output_dimension", "max_tokens"}
NOVA_KEYS = frozenset({"schemaVersion", "taskType", "singleEmbeddingParams"})
NOVA_PARAM_KEYS = frozenset({"embeddingPurpose", "embeddingDimension", "text", "image", "audio", "video"})


@dataclass
class EmbedJob:
    """What to embed (texts as the model sees them) and how to shape the response."""

    inputs: list[str]
    dimensions: int
    render: Callable[[list[list[float]]], dict]
    tokens: int


def _tokens(texts: list[str]) -> int:
    return sum(token_count(t) for t in texts)


def _cohere_types(body: dict) -> list[str] | None:
    kinds = body.get("embedding_types")
    if kinds is None:
        return None
    if not isinstance(kinds, list) or not kinds:
        raise rules.malformed("#/embedding_types: expected minimum item count: 1, found: 0")
    for index, kind in enumerate(kinds):
        if kind not in COHERE_TYPES:
            raise rules.malformed(f"#/embedding_types/{index}: {kind} is not a valid enum value")
    return kinds


def _cohere_by_type(vectors: list[list[float]], kinds: list[str]) -> dict:
    return {kind: [QUANTIZERS[kind](v) for v in vectors] for kind in kinds}


def _cohere_render(texts: list[str], kinds: list[str] | None) -> Callable:
    def render(vectors):
        out = {"id": str(uuid.uuid4()), "texts": texts}
        if kinds is None:
            return {**out, "response_type": "embeddings_floats", "embeddings": vectors}
        by_type = _cohere_by_type(vectors, kinds)
        return {**out, "response_type": "embeddings_by_type", "embeddings": by_type}

    return render


def _cohere_inputs(body: dict) -> tuple[str, list[str]]:
    if "inputs" in body:
        raise validation("The Bedrock emulator does not support Cohere `inputs`; use texts.")
    key = "images" if "images" in body and "texts" not in body else "texts"
    if key not in body:
        raise rules.malformed("#: required key [texts] not found")
    return key, rules.string_list(body, key, COHERE_MAX_TEXTS)


def cohere_v3(body: dict) -> EmbedJob:
    rules.check_keys(body, COHERE_V3_KEYS, ("input_type",))
    rules.enum(body, "input_type", (*COHERE_INPUT_TYPES, "image"))
    truncate = rules.enum(body, "truncate", ("NONE", "START", "END"), "NONE")
    kinds = _cohere_types(body)
    key, texts = _cohere_inputs(body)
    seen = [
        rules.truncate_chars(t, COHERE_V3_MAX_CHARS, truncate, f"#/{key}/{i}") for i, t in enumerate(texts)
    ]
    return EmbedJob(seen, 1024, _cohere_render(texts, kinds), _tokens(seen))


def cohere_v4(body: dict) -> EmbedJob:
    rules.check_keys(body, COHERE_V4_KEYS, ("input_type",))
    rules.enum(body, "input_type", COHERE_INPUT_TYPES)
    truncate = rules.enum(body, "truncate", ("NONE", "LEFT", "RIGHT", "START", "END"), "NONE")
    dimensions = rules.enum(body, "output_dimension", (256, 512, 1024, 1536), 1536)
    max_tokens = rules.positive_int(body, "max_tokens", 128000)
    kinds = _cohere_types(body) or ["float"]
    _, texts = _cohere_inputs(body)
    seen = [rules.truncate_words(t, max_tokens, truncate, "cohere.embed-v4") for t in texts]
    return EmbedJob(seen, dimensions, _cohere_render(texts, kinds), _tokens(seen))


def titan_v1(body: dict) -> EmbedJob:
    rules.check_keys(body, {"inputText"}, ("inputText",))
    text = rules.text(body["inputText"], "#/inputText")
    rules.truncate_words(text, 8192, "NONE", "amazon.titan-embed-text-v1")
    count = token_count(text)

    def render(vectors):
        return {"embedding": vectors[0], "inputTextTokenCount": count}

    return EmbedJob([text], 1536, render, count)


def titan_v2(body: dict) -> EmbedJob:
    allowed = {"inputText", "dimensions", "normalize", "embeddingTypes"}
    rules.check_keys(body, allowed, ("inputText",))
    text = rules.text(body["inputText"], "#/inputText", max_length=50000)
    dimensions = rules.enum(body, "dimensions", (256, 512, 1024), 1024)
    rules.boolean(body, "normalize", True)
    kinds = body.get("embeddingTypes", ["float"])
    if not isinstance(kinds, list) or not kinds or not set(kinds) <= {"float", "binary"}:
        raise rules.malformed("#/embeddingTypes: expected a non-empty subset of [float, binary]")
    count = token_count(text)

    def render(vectors):
        by_type = {k: vectors[0] if k == "float" else to_bits(vectors[0]) for k in kinds}
        return {"embedding": vectors[0], "embeddingsByType": by_type, "inputTextTokenCount": count}

    return EmbedJob([text], dimensions, render, count)


def nova(body: dict) -> EmbedJob:
    rules.check_keys(body, NOVA_KEYS, ("taskType", "singleEmbeddingParams"))
    rules.enum(body, "schemaVersion", ("nova-multimodal-embed-v1",), "nova-multimodal-embed-v1")
    rules.enum(body, "taskType", ("SINGLE_EMBEDDING",))
    params = _nova_params(body["singleEmbeddingParams"])
    dimensions = rules.enum(params, "embeddingDimension", (256, 384, 1024, 3072), 3072, NOVA_PATH)
    kind, seen = _nova_input(params)

    def render(vectors):
        return {"embeddings": [{"embeddingType": kind, "embedding": vectors[0]}]}

    return EmbedJob([seen], dimensions, render, token_count(seen))


def _nova_params(params) -> dict:
    if not isinstance(params, dict):
        raise rules.malformed(f"{NOVA_PATH}: expected type: JSONObject")
    rules.check_keys(params, NOVA_PARAM_KEYS, ("embeddingPurpose",))
    rules.enum(params, "embeddingPurpose", NOVA_PURPOSES, path=NOVA_PATH)
    return params


def _nova_input(params: dict) -> tuple[str, str]:
    given = [k for k in ("text", "image", "audio", "video") if k in params]
    if len(given) != 1:
        raise validation("singleEmbeddingParams must contain exactly one of text, image, audio, video.")
    if given[0] == "text":
        return "TEXT", _nova_text(params["text"])
    if given[0] == "image":
        source = (params["image"] or {}).get("source") or {}
        return "IMAGE", rules.text(source.get("bytes"), f"{NOVA_PATH}/image/source/bytes")
    raise validation(f"The Bedrock emulator does not support {given[0]} embeddings.")


def _nova_text(spec) -> str:
    path = f"{NOVA_PATH}/text"
    if not isinstance(spec, dict):
        raise rules.malformed(f"{path}: expected type: JSONObject")
    rules.check_keys(spec, {"truncationMode", "value", "source"}, ("truncationMode", "value"))
    mode = rules.enum(spec, "truncationMode", ("START", "END", "NONE"), path=path)
    value = rules.text(spec["value"], f"{path}/value")
    return rules.truncate_words(value, NOVA_MAX_TOKENS, mode, "amazon.nova-2-multimodal-embeddings")


FAMILIES: dict[str, Callable[[dict], EmbedJob]] = {
    "cohere.embed-english-v3": cohere_v3,
    "cohere.embed-multilingual-v3": cohere_v3,
    "cohere.embed-v4:0": cohere_v4,
    "amazon.titan-embed-text-v1": titan_v1,
    "amazon.titan-embed-text-v2:0": titan_v2,
    "amazon.nova-2-multimodal-embeddings-v1:0": nova,
}
