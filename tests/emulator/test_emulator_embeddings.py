"""InvokeModel for every embedding family: shapes, limits, determinism."""

import json
import time

import pytest

from app.emulator.vectors import to_bits, to_int8, vector_for


def invoke(client, model_id: str, body: dict) -> tuple[dict, dict]:
    response = client.invoke_model(modelId=model_id, body=json.dumps(body), contentType="application/json")
    return json.loads(response["body"].read()), response


def token_header(response: dict) -> str:
    return response["ResponseMetadata"]["HTTPHeaders"]["x-amzn-bedrock-input-token-count"]


@pytest.mark.parametrize("model_id", ["cohere.embed-english-v3", "cohere.embed-multilingual-v3"])
def test_cohere_v3_returns_float_embeddings_for_each_text(runtime, model_id):
    texts = ["first text", "second one here"]
    body, response = invoke(runtime, model_id, {"texts": texts, "input_type": "search_document"})
    assert body["response_type"] == "embeddings_floats"
    assert body["texts"] == texts
    assert body["embeddings"] == [vector_for(model_id, t, 1024) for t in texts]
    assert len(body["id"]) == 36
    assert token_header(response) == "5"
    assert response["contentType"] == "application/json"


def test_cohere_v3_embedding_types_switch_to_by_type_shape(runtime):
    request = {"texts": ["hi"], "input_type": "search_query", "embedding_types": ["float", "int8"]}
    body, _ = invoke(runtime, "cohere.embed-english-v3", request)
    expected = vector_for("cohere.embed-english-v3", "hi", 1024)
    assert body["response_type"] == "embeddings_by_type"
    assert body["embeddings"] == {"float": [expected], "int8": [to_int8(expected)]}


def test_cohere_v3_truncate_end_embeds_first_2048_characters(runtime):
    text = "a" * 2000 + "b" * 100
    body, _ = invoke(
        runtime, "cohere.embed-english-v3", {"texts": [text], "input_type": "clustering", "truncate": "END"}
    )
    assert body["embeddings"][0] == vector_for("cohere.embed-english-v3", text[:2048], 1024)


@pytest.mark.parametrize(
    ("request_body", "fragment"),
    [
        (
            {"texts": ["x" * 2049], "input_type": "search_query"},
            "#/texts/0: expected maxLength: 2048, actual: 2049",
        ),
        ({"texts": ["x"] * 97, "input_type": "search_query"}, "expected maximum item count: 96, found: 97"),
        ({"texts": ["x"]}, "required key [input_type] not found"),
        ({"texts": ["x"], "input_type": "search"}, "#/input_type: search is not a valid enum value"),
        ({"texts": [""], "input_type": "search_query"}, "#/texts/0: expected minLength: 1, actual: 0"),
        ({"texts": [], "input_type": "search_query"}, "expected minimum item count: 1"),
        ({"texts": ["x"], "input_type": "search_query", "truncate": "MIDDLE"}, "MIDDLE is not a valid enum"),
        ({"texts": ["x"], "input_type": "search_query", "dimensions": 5}, "extraneous key [dimensions]"),
        (
            {"texts": ["x"], "input_type": "search_query", "embedding_types": ["f16"]},
            "f16 is not a valid enum",
        ),
    ],
)
def test_cohere_v3_rejections(runtime, request_body, fragment):
    with pytest.raises(runtime.exceptions.ValidationException) as info:
        invoke(runtime, "cohere.embed-english-v3", request_body)
    assert fragment in info.value.response["Error"]["Message"]


def test_cohere_v4_defaults_to_1536_dimensions_in_by_type_shape(runtime):
    body, _ = invoke(runtime, "cohere.embed-v4:0", {"texts": ["doc"], "input_type": "search_document"})
    assert body["response_type"] == "embeddings_by_type"
    assert body["embeddings"] == {"float": [vector_for("cohere.embed-v4:0", "doc", 1536)]}


def test_cohere_v4_output_dimension_and_profile_invocation(runtime):
    request = {"texts": ["q"], "input_type": "search_query", "output_dimension": 256}
    body, _ = invoke(runtime, "us.cohere.embed-v4:0", request)
    assert body["embeddings"]["float"] == [vector_for("cohere.embed-v4:0", "q", 256)]


@pytest.mark.parametrize(
    ("request_body", "fragment"),
    [
        ({"texts": ["q"], "input_type": "search_query", "output_dimension": 300}, "300 is not a valid enum"),
        ({"texts": ["q"] * 97, "input_type": "search_query"}, "expected maximum item count: 96"),
        (
            {"texts": ["one two three"], "input_type": "search_query", "max_tokens": 2},
            "Too many input tokens",
        ),
    ],
)
def test_cohere_v4_rejections(runtime, request_body, fragment):
    with pytest.raises(runtime.exceptions.ValidationException, match=fragment):
        invoke(runtime, "cohere.embed-v4:0", request_body)


def test_titan_v1_returns_1536_floats_and_token_count(runtime):
    body, response = invoke(runtime, "amazon.titan-embed-text-v1", {"inputText": "hello titan world"})
    assert body == {
        "embedding": vector_for("amazon.titan-embed-text-v1", "hello titan world", 1536),
        "inputTextTokenCount": 3,
    }
    assert token_header(response) == "3"


@pytest.mark.parametrize(
    ("request_body", "fragment"),
    [
        ({"inputText": "x", "dimensions": 256}, "extraneous key [dimensions] is not permitted"),
        ({"inputText": ""}, "#/inputText: expected minLength: 1, actual: 0"),
        ({}, "required key [inputText] not found"),
    ],
)
def test_titan_v1_rejections(runtime, request_body, fragment):
    with pytest.raises(runtime.exceptions.ValidationException) as info:
        invoke(runtime, "amazon.titan-embed-text-v1", request_body)
    assert fragment in info.value.response["Error"]["Message"]


def test_titan_v2_defaults_to_1024_float_and_always_has_embeddings_by_type(runtime):
    body, _ = invoke(runtime, "amazon.titan-embed-text-v2:0", {"inputText": "v2 text"})
    expected = vector_for("amazon.titan-embed-text-v2:0", "v2 text", 1024)
    assert body == {"embedding": expected, "embeddingsByType": {"float": expected}, "inputTextTokenCount": 2}


def test_titan_v2_dimensions_and_binary_type(runtime):
    request = {
        "inputText": "bits",
        "dimensions": 256,
        "normalize": True,
        "embeddingTypes": ["binary", "float"],
    }
    body, _ = invoke(runtime, "amazon.titan-embed-text-v2:0", request)
    expected = vector_for("amazon.titan-embed-text-v2:0", "bits", 256)
    assert body["embeddingsByType"] == {"binary": to_bits(expected), "float": expected}


@pytest.mark.parametrize(
    ("request_body", "fragment"),
    [
        ({"inputText": "x", "dimensions": 384}, "#/dimensions: 384 is not a valid enum value"),
        ({"inputText": "x" * 50001}, "expected maxLength: 50000, actual: 50001"),
        ({"inputText": "x", "normalize": "yes"}, "#/normalize: expected type: Boolean"),
        ({"inputText": "x", "embeddingTypes": ["int8"]}, "embeddingTypes"),
        ({"inputText": ""}, "expected minLength: 1"),
    ],
)
def test_titan_v2_rejections(runtime, request_body, fragment):
    with pytest.raises(runtime.exceptions.ValidationException) as info:
        invoke(runtime, "amazon.titan-embed-text-v2:0", request_body)
    assert fragment in info.value.response["Error"]["Message"]


NOVA = "amazon.nova-2-multimodal-embeddings-v1:0"


def nova_body(value="nova text", **params) -> dict:
    single = {"embeddingPurpose": "GENERIC_INDEX", "text": {"truncationMode": "END", "value": value}}
    return {"taskType": "SINGLE_EMBEDDING", "singleEmbeddingParams": {**single, **params}}


def test_nova_text_embedding_defaults_to_3072_dimensions(runtime):
    body, response = invoke(runtime, NOVA, nova_body())
    assert body == {
        "embeddings": [{"embeddingType": "TEXT", "embedding": vector_for(NOVA, "nova text", 3072)}]
    }
    assert token_header(response) == "2"


def test_nova_embedding_dimension_and_schema_version(runtime):
    body, _ = invoke(
        runtime, NOVA, {**nova_body(embeddingDimension=384), "schemaVersion": "nova-multimodal-embed-v1"}
    )
    assert body["embeddings"][0]["embedding"] == vector_for(NOVA, "nova text", 384)


@pytest.mark.parametrize(
    ("request_body", "fragment"),
    [
        (nova_body(embeddingDimension=512), "512 is not a valid enum value"),
        (nova_body(embeddingPurpose="SEARCH"), "SEARCH is not a valid enum value"),
        (nova_body(value=""), "value: expected minLength: 1"),
        ({**nova_body(), "taskType": "SEGMENTED_EMBEDDING"}, "SEGMENTED_EMBEDDING is not a valid enum"),
        ({"taskType": "SINGLE_EMBEDDING"}, "required key [singleEmbeddingParams] not found"),
        (nova_body(image={"format": "png", "source": {"bytes": "AAAA"}}), "exactly one of text, image"),
    ],
)
def test_nova_rejections(runtime, request_body, fragment):
    with pytest.raises(runtime.exceptions.ValidationException) as info:
        invoke(runtime, NOVA, request_body)
    assert fragment in info.value.response["Error"]["Message"]


def test_invoke_model_on_non_claude_chat_model_is_validation_exception(runtime):
    with pytest.raises(runtime.exceptions.ValidationException, match="embedding and Claude models"):
        invoke(runtime, "amazon.nova-micro-v1:0", {"messages": []})


def test_invoke_model_on_unknown_model_is_invalid_identifier(runtime):
    with pytest.raises(runtime.exceptions.ValidationException, match="model identifier is invalid"):
        invoke(runtime, "acme.embed-v1", {"inputText": "x"})


def test_fault_and_latency_directives_work_inside_embedding_text(runtime):
    with pytest.raises(runtime.exceptions.ThrottlingException):
        invoke(
            runtime,
            "cohere.embed-english-v3",
            {"texts": ["ok", "@@fault ThrottlingException"], "input_type": "search_query"},
        )
    started = time.monotonic()
    invoke(runtime, "amazon.titan-embed-text-v2:0", {"inputText": "slow\n@@latency first=250"})
    assert time.monotonic() - started >= 0.25
