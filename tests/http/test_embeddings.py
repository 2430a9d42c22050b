"""POST /embeddings through real boto3 to the emulator: every family, input form and failure."""

import base64
import time
from array import array

import pytest

from app.emulator.vectors import token_count, vector_for
from app.tokens import count_tokens, encoding
from tests.conftest import AUTH, error_body

COHERE_V3 = "cohere.embed-multilingual-v3"
TITAN_V2 = "amazon.titan-embed-text-v2:0"
NOVA = "amazon.nova-2-multimodal-embeddings-v1:0"
TEXTS = ["hello world", "The food was delicious and the waiter was friendly"]


def embed(client, path="/v1/embeddings", **body):
    return client.post(path, json=body, headers=AUTH)


def expected_data(model_id, texts, dimensions):
    return [
        {"object": "embedding", "embedding": vector_for(model_id, text, dimensions), "index": index}
        for index, text in enumerate(texts)
    ]


def decoded(item):
    return array("f", base64.b64decode(item["embedding"])).tolist()


def assert_openai_error(response, status, param=None, code=None, type_="invalid_request_error"):
    assert response.status_code == status
    error = error_body(response)["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert (error["type"], error["param"], error["code"]) == (type_, param, code)
    return error["message"]


class TestFamilies:
    @pytest.mark.parametrize(
        ("requested", "foundation", "dimensions"),
        [
            ("cohere.embed-english-v3", "cohere.embed-english-v3", 1024),
            (COHERE_V3, COHERE_V3, 1024),
            ("cohere.embed-v4:0", "cohere.embed-v4:0", 1536),
            ("us.cohere.embed-v4:0", "cohere.embed-v4:0", 1536),
            ("amazon.titan-embed-text-v1", "amazon.titan-embed-text-v1", 1536),
            (TITAN_V2, TITAN_V2, 1024),
            (NOVA, NOVA, 3072),
        ],
    )
    def test_each_family_returns_its_vectors_in_order_with_bedrocks_token_count(
        self, client, requested, foundation, dimensions
    ):
        # cl100k_base counts "tokenization matters" as 3 tokens; the emulator, like Bedrock, its own way.
        texts = [*TEXTS, "tokenization matters"]
        response = embed(client, input=texts, model=requested, encoding_format="float")
        assert response.status_code == 200
        tokens = sum(token_count(t) for t in texts)
        assert tokens != sum(count_tokens(t) for t in texts)
        assert response.get_json() == {
            "object": "list",
            "data": expected_data(foundation, texts, dimensions),
            "model": requested,
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
        }

    def test_the_users_guide_curl_example_works(self, client):
        text = "The food was delicious and the waiter..."
        response = embed(client, input=text, model="text-embedding-ada-002", encoding_format="float")
        assert response.status_code == 200
        body = response.get_json()
        assert body["model"] == "cohere.embed-multilingual-v3"  # as the guide shows
        assert body["data"] == expected_data(COHERE_V3, [text], 1024)

    @pytest.mark.parametrize("path", ["/v1/embeddings", "/api/v1/embeddings"])
    def test_served_under_both_prefixes(self, client, path):
        assert embed(client, path, input="hi", model=TITAN_V2).status_code == 200


class TestInputForms:
    IDS = encoding().encode(TEXTS[1])

    @pytest.mark.parametrize(
        ("given", "texts"),
        [
            (TEXTS[0], TEXTS[:1]),
            (TEXTS, TEXTS),
            (IDS, TEXTS[1:]),
            ([encoding().encode(TEXTS[0]), IDS], TEXTS),
        ],
        ids=["string", "list-of-strings", "token-ids", "list-of-token-lists"],
    )
    def test_every_openai_input_form_embeds_its_text(self, client, given, texts):
        response = embed(client, input=given, model=COHERE_V3, encoding_format="float")
        assert response.get_json()["data"] == expected_data(COHERE_V3, texts, 1024)


class TestBatching:
    def test_200_texts_to_cohere_take_three_calls_in_order(self, client, bedrock_emulator):
        texts = [f"document number {i}" for i in range(200)]
        response = embed(client, input=texts, model=COHERE_V3, encoding_format="float")
        assert response.get_json()["data"] == expected_data(COHERE_V3, texts, 1024)
        assert bedrock_emulator.calls()["InvokeModel"] == 3

    def test_titan_takes_one_call_per_text_and_keeps_order_when_early_calls_are_slow(
        self, client, bedrock_emulator
    ):
        texts = ["slow\n@@latency first=300", "fast one", "fast two", "slow too\n@@latency first=150"]
        response = embed(client, input=texts, model=TITAN_V2, encoding_format="float")
        assert response.get_json()["data"] == expected_data(TITAN_V2, texts, 1024)
        assert bedrock_emulator.calls()["InvokeModel"] == 4

    @pytest.mark.parametrize(("concurrency", "fast"), [(1, False), (4, True)])
    def test_calls_run_concurrently_up_to_the_configured_limit(self, make_app, concurrency, fast):
        client = make_app(embedding_concurrency=concurrency).test_client()
        texts = [f"text {i}\n@@latency first=250" for i in range(4)]
        started = time.monotonic()
        assert embed(client, input=texts, model=TITAN_V2).status_code == 200
        elapsed = time.monotonic() - started
        assert (elapsed < 0.8) is fast

    def test_cohere_v3_texts_over_2048_characters_are_cut_at_the_end_by_default(
        self, client, bedrock_emulator
    ):
        long = "word " * 1000
        response = embed(client, input=[long], model=COHERE_V3, encoding_format="float")
        assert response.get_json()["data"] == expected_data(COHERE_V3, [long[:2048]], 1024)
        assert bedrock_emulator.requests(1)[0]["body"] == {
            "texts": [long[:2048]],
            "input_type": "search_document",
            "truncate": "END",
        }

    def test_truncate_none_refuses_an_over_long_text(self, client, bedrock_emulator):
        response = embed(client, input=["short", "x" * 3000], model=COHERE_V3, truncate="NONE")
        message = assert_openai_error(response, 400, "input[1]")
        assert "3000 characters long; the model accepts at most 2048" in message
        assert bedrock_emulator.calls()["InvokeModel"] == 0


class TestOptions:
    @pytest.mark.parametrize(
        "body",
        [
            {"input_type": "search_query", "truncate": "START"},
            {"extra_body": {"input_type": "search_query", "truncate": "START"}},
        ],
        ids=["top-level", "extra_body"],
    )
    def test_cohere_extras_reach_bedrock(self, client, bedrock_emulator, body):
        assert embed(client, input="hi", model=COHERE_V3, **body).status_code == 200
        assert bedrock_emulator.requests(1)[0]["body"] == {
            "texts": ["hi"],
            "input_type": "search_query",
            "truncate": "START",
        }

    def test_cohere_v4_takes_the_documented_truncate_names(self, client, bedrock_emulator):
        assert embed(client, input="hi", model="cohere.embed-v4:0", truncate="END").status_code == 200
        assert bedrock_emulator.requests(1)[0]["body"]["truncate"] == "RIGHT"

    @pytest.mark.parametrize(
        ("model", "dimensions"),
        [(TITAN_V2, 256), (TITAN_V2, 512), ("cohere.embed-v4:0", 512), (NOVA, 384), (COHERE_V3, 1024)],
    )
    def test_supported_dimensions_are_honoured(self, client, model, dimensions):
        response = embed(client, input=TEXTS, model=model, dimensions=dimensions, encoding_format="float")
        assert response.get_json()["data"] == expected_data(model, TEXTS, dimensions)

    @pytest.mark.parametrize(
        ("model", "dimensions", "supported"),
        [
            (TITAN_V2, 384, "256, 512, 1024"),
            ("amazon.titan-embed-text-v1", 256, "1536"),
            ("cohere.embed-v4:0", 3072, "256, 512, 1024, 1536"),
            (NOVA, 1536, "256, 384, 1024, 3072"),
        ],
    )
    def test_unsupported_dimensions_are_a_400_naming_the_supported_values(
        self, client, bedrock_emulator, model, dimensions, supported
    ):
        message = assert_openai_error(
            embed(client, input="hi", model=model, dimensions=dimensions), 400, "dimensions"
        )
        assert (
            message
            == f"The model `{model}` does not support {dimensions} dimensions; supported values: {supported}."
        )
        assert bedrock_emulator.calls()["InvokeModel"] == 0


class TestEncodings:
    def test_base64_decodes_to_the_float32_vectors(self, client):
        response = embed(client, input=TEXTS, model=TITAN_V2, encoding_format="base64")
        data = response.get_json()["data"]
        assert [decoded(item) for item in data] == [vector_for(TITAN_V2, t, 1024) for t in TEXTS]
        assert [item["index"] for item in data] == [0, 1]

    def test_float_is_the_default(self, client):
        response = embed(client, input="hi", model=TITAN_V2)
        assert response.get_json()["data"] == expected_data(TITAN_V2, ["hi"], 1024)


class TestAliases:
    @pytest.mark.parametrize(
        "alias", ["text-embedding-3-small", "text-embedding-3-large", "text-embedding-ada-002"]
    )
    def test_openai_names_resolve_to_the_default_embedding_model(self, client, alias):
        response = embed(client, input="hi", model=alias, encoding_format="float")
        assert response.get_json()["data"] == expected_data(COHERE_V3, ["hi"], 1024)
        assert response.get_json()["model"] == COHERE_V3

    def test_the_default_embedding_model_is_configurable(self, make_app):
        client = make_app(default_embedding_model=TITAN_V2).test_client()
        response = embed(client, input="hi", model="text-embedding-3-small", encoding_format="float")
        assert response.get_json()["data"] == expected_data(TITAN_V2, ["hi"], 1024)


class TestErrors:
    @pytest.mark.parametrize(
        ("body", "param"),
        [
            ({"model": COHERE_V3, "input": ""}, "input"),
            ({"model": COHERE_V3, "input": []}, "input"),
            ({"model": COHERE_V3, "input": ["a", "b", "c", ""]}, "input[3]"),
            ({"model": COHERE_V3, "input": 42}, "input"),
            ({"model": COHERE_V3, "input": ["a", 1]}, "input[1]"),
            ({"model": COHERE_V3, "input": [[1, 2], [-5]]}, "input[1]"),
            ({"model": COHERE_V3, "input": ["x"] * 2049}, "input"),
            ({"input": "hi"}, "model"),
            ({"model": COHERE_V3, "input": "hi", "encoding_format": "int8"}, "encoding_format"),
            ({"model": COHERE_V3, "input": "hi", "dimensions": -1}, "dimensions"),
        ],
    )
    def test_invalid_requests_are_400_naming_the_param(self, client, bedrock_emulator, body, param):
        assert_openai_error(client.post("/v1/embeddings", json=body, headers=AUTH), 400, param)
        assert bedrock_emulator.calls()["InvokeModel"] == 0

    def test_unknown_model_is_404(self, client):
        message = assert_openai_error(
            embed(client, input="hi", model="no-such-model"), 404, "model", "model_not_found"
        )
        assert message == "The model `no-such-model` does not exist or you do not have access to it."

    def test_a_chat_model_is_400_naming_the_embedding_models(self, client):
        model = "anthropic.claude-3-5-sonnet-20240620-v1:0"
        message = assert_openai_error(embed(client, input="hi", model=model), 400, "model")
        assert message == (
            f"The model `{model}` is not an embedding model. Supported embedding models: "
            "cohere.embed-english-v3, cohere.embed-multilingual-v3, cohere.embed-v4:0, "
            "amazon.titan-embed-text-v1, amazon.titan-embed-text-v2:0, "
            "amazon.nova-2-multimodal-embeddings-v1:0."
        )

    @pytest.mark.parametrize(("model", "count"), [(COHERE_V3, 200), (TITAN_V2, 6)])
    def test_upstream_throttling_in_any_call_fails_the_request_with_429(self, client, model, count):
        texts = [f"text {i}" for i in range(count)]
        texts[-2] += "\n@@fault ThrottlingException"
        response = embed(client, input=texts, model=model)
        message = assert_openai_error(response, 429, code="throttling", type_="rate_limit_error")
        assert message.startswith("Amazon Bedrock: ")
        assert response.headers["Retry-After"] == "1"
