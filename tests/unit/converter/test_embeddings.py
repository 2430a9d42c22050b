"""Each embedding family's request and response, batching, dimensions and the OpenAI response."""

import base64
from array import array

import pytest

from app.catalogue import ModelInfo
from app.converter.embeddings import (
    FAMILIES,
    Embedded,
    Options,
    batches,
    family_of,
    options_for,
    parse,
    to_openai,
)
from app.errors import InvalidRequestError, UpstreamError

COHERE_V3, COHERE_V4 = FAMILIES["cohere-v3"], FAMILIES["cohere-v4"]
TITAN_V1, TITAN_V2, NOVA = FAMILIES["titan-v1"], FAMILIES["titan-v2"], FAMILIES["nova-mm"]
VECTOR = [0.5, -0.25, 0.125]


def embedding_model(model_id: str) -> ModelInfo:
    return ModelInfo(id=model_id, foundation_id=model_id, output_modalities=frozenset({"EMBEDDING"}))


class TestRequests:
    @pytest.mark.parametrize(
        ("family", "texts", "options", "expected"),
        [
            (
                COHERE_V3,
                ["a", "b"],
                Options(),
                {"texts": ["a", "b"], "input_type": "search_document", "truncate": "END"},
            ),
            (
                COHERE_V3,
                ["a"],
                Options(input_type="search_query", truncate="NONE"),
                {"texts": ["a"], "input_type": "search_query", "truncate": "NONE"},
            ),
            (
                COHERE_V4,
                ["a", "b"],
                Options(),
                {"texts": ["a", "b"], "input_type": "search_document", "embedding_types": ["float"]},
            ),
            (
                COHERE_V4,
                ["a"],
                Options(dimensions=256, input_type="classification", truncate="END"),
                {
                    "texts": ["a"],
                    "input_type": "classification",
                    "embedding_types": ["float"],
                    "output_dimension": 256,
                    "truncate": "RIGHT",
                },
            ),
            (
                COHERE_V4,
                ["a"],
                Options(truncate="START"),
                {
                    "texts": ["a"],
                    "input_type": "search_document",
                    "embedding_types": ["float"],
                    "truncate": "LEFT",
                },
            ),
            (TITAN_V1, ["a"], Options(input_type="search_query", truncate="NONE"), {"inputText": "a"}),
            (TITAN_V2, ["a"], Options(), {"inputText": "a", "normalize": True}),
            (
                TITAN_V2,
                ["a"],
                Options(dimensions=512),
                {"inputText": "a", "normalize": True, "dimensions": 512},
            ),
            (
                NOVA,
                ["a"],
                Options(),
                {
                    "taskType": "SINGLE_EMBEDDING",
                    "singleEmbeddingParams": {
                        "embeddingPurpose": "GENERIC_INDEX",
                        "embeddingDimension": 3072,
                        "text": {"truncationMode": "END", "value": "a"},
                    },
                },
            ),
            (
                NOVA,
                ["a"],
                Options(dimensions=384, input_type="search_query", truncate="NONE"),
                {
                    "taskType": "SINGLE_EMBEDDING",
                    "singleEmbeddingParams": {
                        "embeddingPurpose": "GENERIC_RETRIEVAL",
                        "embeddingDimension": 384,
                        "text": {"truncationMode": "NONE", "value": "a"},
                    },
                },
            ),
        ],
        ids=[
            "cohere-v3-defaults",
            "cohere-v3-options",
            "cohere-v4-defaults-leave-truncation-to-bedrock",
            "cohere-v4-dimension-and-truncate-end-is-right",
            "cohere-v4-truncate-start-is-left",
            "titan-v1-takes-only-text",
            "titan-v2-normalized",
            "titan-v2-dimensions",
            "nova-defaults",
            "nova-options",
        ],
    )
    def test_request_body(self, family, texts, options, expected):
        assert family.to_request(texts, options) == expected


class TestResponses:
    @pytest.mark.parametrize(
        ("family", "response", "expected"),
        [
            (
                COHERE_V3,
                {
                    "id": "x",
                    "texts": ["a", "b"],
                    "response_type": "embeddings_floats",
                    "embeddings": [VECTOR, VECTOR],
                },
                Embedded([VECTOR, VECTOR], None),
            ),
            (
                COHERE_V4,
                {
                    "id": "x",
                    "texts": ["a"],
                    "response_type": "embeddings_by_type",
                    "embeddings": {"float": [VECTOR]},
                },
                Embedded([VECTOR], None),
            ),
            (TITAN_V1, {"embedding": VECTOR, "inputTextTokenCount": 7}, Embedded([VECTOR], 7)),
            (
                TITAN_V2,
                {"embedding": VECTOR, "inputTextTokenCount": 3, "embeddingsByType": {"float": VECTOR}},
                Embedded([VECTOR], 3),
            ),
            (
                NOVA,
                {"embeddings": [{"embeddingType": "TEXT", "embedding": VECTOR}]},
                Embedded([VECTOR], None),
            ),
        ],
        ids=["cohere-floats", "cohere-by-type", "titan-v1", "titan-v2", "nova"],
    )
    def test_vectors_and_bedrock_token_count(self, family, response, expected):
        assert family.from_response(response) == expected


class TestBatches:
    def test_cohere_past_96_texts_is_split_in_order(self):
        texts = [f"text {i}" for i in range(200)]
        calls = batches(COHERE_V3, texts, Options())
        assert [len(call) for call in calls] == [96, 96, 8]
        assert [text for call in calls for text in call] == texts

    @pytest.mark.parametrize("family", [TITAN_V1, TITAN_V2, NOVA], ids=lambda f: f.name)
    def test_single_text_families_get_one_call_per_text(self, family):
        assert batches(family, ["a", "b", "c"], Options()) == [["a"], ["b"], ["c"]]

    @pytest.mark.parametrize(
        ("truncate", "expected"),
        [(None, "a" * 2048), ("END", "a" * 2048), ("START", "b" * 2048)],
    )
    def test_cohere_v3_texts_over_2048_characters_are_cut(self, truncate, expected):
        long = "a" * 2048 + "b" * 2048
        assert batches(COHERE_V3, ["short", long], Options(truncate=truncate)) == [["short", expected]]

    def test_cohere_v4_has_no_character_limit(self):
        assert batches(COHERE_V4, ["a" * 5000], Options()) == [["a" * 5000]]

    @pytest.mark.parametrize(("texts", "param"), [(["x" * 2049], "input"), (["ok", "x" * 2049], "input[1]")])
    def test_over_long_text_with_truncate_none_is_a_400_naming_it(self, texts, param):
        with pytest.raises(InvalidRequestError) as raised:
            batches(COHERE_V3, texts, Options(truncate="NONE"))
        assert (raised.value.status, raised.value.param) == (400, param)
        assert raised.value.message == (
            "This input is 2049 characters long; the model accepts at most 2048. "
            "Send shorter text, or set `truncate` to END or START to have it cut."
        )


class TestDimensions:
    @pytest.mark.parametrize(
        ("family", "dimensions"),
        [
            (TITAN_V2, 256),
            (TITAN_V2, 1024),
            (COHERE_V4, 512),
            (NOVA, 384),
            (COHERE_V3, 1024),
            (TITAN_V1, 1536),
        ],
    )
    def test_supported_sizes_are_passed_on(self, family, dimensions):
        body = {"dimensions": dimensions, "input_type": "clustering", "truncate": "START"}
        assert options_for(family, "m", body) == Options(dimensions, "clustering", "START")

    @pytest.mark.parametrize(
        ("family", "dimensions", "supported"),
        [
            (TITAN_V2, 384, "256, 512, 1024"),
            (COHERE_V4, 3072, "256, 512, 1024, 1536"),
            (NOVA, 512, "256, 384, 1024, 3072"),
            (COHERE_V3, 256, "1024"),
            (TITAN_V1, 1024, "1536"),
        ],
    )
    def test_other_sizes_are_a_400_naming_the_supported_ones(self, family, dimensions, supported):
        with pytest.raises(InvalidRequestError) as raised:
            options_for(family, "my-model", {"dimensions": dimensions})
        assert (raised.value.status, raised.value.param) == (400, "dimensions")
        assert raised.value.message == (
            f"The model `my-model` does not support {dimensions} dimensions; supported values: {supported}."
        )


class TestFamilyOf:
    @pytest.mark.parametrize(
        ("model_id", "family"),
        [
            ("cohere.embed-multilingual-v3", "cohere-v3"),
            ("cohere.embed-v4:0", "cohere-v4"),
            ("amazon.titan-embed-text-v1", "titan-v1"),
            ("amazon.titan-embed-text-v2:0", "titan-v2"),
            ("amazon.nova-2-multimodal-embeddings-v1:0", "nova-mm"),
        ],
    )
    def test_embedding_models_find_their_row(self, model_id, family):
        assert family_of(embedding_model(model_id)).name == family

    def test_chat_and_unknown_embedding_models_have_none(self):
        chat = ModelInfo(
            id="anthropic.claude-3-haiku-20240307-v1:0",
            foundation_id="anthropic.claude-3-haiku-20240307-v1:0",
        )
        assert family_of(chat) is None
        assert family_of(embedding_model("amazon.titan-embed-image-v1")) is None


class TestParse:
    def test_token_count_falls_back_to_counting_the_texts(self):
        response = {"embeddings": [VECTOR, VECTOR]}
        assert parse(COHERE_V3, ["hello world", "hi"], response) == Embedded([VECTOR, VECTOR], 3)

    def test_the_count_from_bedrocks_header_wins_over_counting(self):
        response = {"embeddings": [VECTOR, VECTOR]}
        assert parse(COHERE_V3, ["hello world", "hi"], response, 11) == Embedded([VECTOR, VECTOR], 11)

    def test_bedrock_token_count_is_kept(self):
        assert parse(TITAN_V1, ["hello world"], {"embedding": VECTOR, "inputTextTokenCount": 9}) == Embedded(
            [VECTOR], 9
        )

    def test_a_missing_vector_fails_the_call(self):
        with pytest.raises(UpstreamError) as raised:
            parse(COHERE_V3, ["a", "b"], {"embeddings": [VECTOR]})
        assert raised.value.message == "Amazon Bedrock returned 1 embeddings for 2 texts."

    def test_an_unreadable_response_fails_the_call(self):
        with pytest.raises(UpstreamError) as raised:
            parse(TITAN_V2, ["a"], {"unexpected": True})
        assert (
            raised.value.message == "Amazon Bedrock returned an embeddings response the gateway cannot read."
        )


class TestToOpenai:
    PARTS = [Embedded([VECTOR, [1.0, 0.0, 0.0]], 4), Embedded([[0.0, 1.0, 0.0]], 2)]

    def test_float_vectors_in_input_order_with_usage(self):
        assert to_openai(self.PARTS, model="text-embedding-3-small", encoding_format="float") == {
            "object": "list",
            "data": [
                {"object": "embedding", "embedding": VECTOR, "index": 0},
                {"object": "embedding", "embedding": [1.0, 0.0, 0.0], "index": 1},
                {"object": "embedding", "embedding": [0.0, 1.0, 0.0], "index": 2},
            ],
            "model": "text-embedding-3-small",
            "usage": {"prompt_tokens": 6, "total_tokens": 6},
        }

    def test_base64_is_little_endian_float32(self):
        response = to_openai([Embedded([VECTOR], 1)], model="m", encoding_format="base64")
        encoded = response["data"][0]["embedding"]
        assert encoded == base64.b64encode(bytes.fromhex("0000003f000080be0000003e")).decode()
        assert array("f", base64.b64decode(encoded)).tolist() == VECTOR
