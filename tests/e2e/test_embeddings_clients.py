"""The openai SDK and LangChain's OpenAIEmbeddings, unchanged, against gunicorn+gevent."""

import time

import openai
import pytest
from langchain_openai import OpenAIEmbeddings

from app.emulator.vectors import vector_for
from tests.conftest import API_KEY

pytestmark = pytest.mark.e2e

COHERE_V3 = "cohere.embed-multilingual-v3"  # what text-embedding-* resolves to by default
TITAN_V2 = "amazon.titan-embed-text-v2:0"
TEXTS = ["hello", "The food was delicious and the waiter was friendly."]


def expected(model_id, texts, dimensions):
    return [pytest.approx(vector_for(model_id, text, dimensions), abs=1e-7) for text in texts]


class TestOpenAISDK:
    def test_default_encoding_is_base64_on_the_wire_and_decodes_to_the_vectors(self, openai_client):
        response = openai_client.embeddings.create(input=TEXTS, model="text-embedding-3-small")
        assert [item.embedding for item in response.data] == expected(COHERE_V3, TEXTS, 1024)
        assert [item.index for item in response.data] == [0, 1]
        assert response.model == COHERE_V3
        assert response.usage.prompt_tokens == response.usage.total_tokens > 0

    def test_float_encoding(self, openai_client):
        response = openai_client.embeddings.create(
            input=["hello"], model="text-embedding-3-small", encoding_format="float"
        )
        assert [item.embedding for item in response.data] == expected(COHERE_V3, ["hello"], 1024)

    def test_dimensions_and_many_concurrent_calls_in_order(self, openai_client, bedrock_emulator):
        texts = [f"sentence number {i}" for i in range(20)]
        response = openai_client.embeddings.create(input=texts, model=TITAN_V2, dimensions=256)
        assert [item.embedding for item in response.data] == expected(TITAN_V2, texts, 256)
        assert bedrock_emulator.calls()["InvokeModel"] == 20

    def test_calls_overlap_under_gevent(self, openai_client):
        texts = [f"slow {i}\n@@latency first=500" for i in range(4)]
        started = time.monotonic()
        response = openai_client.embeddings.create(input=texts, model=TITAN_V2)
        assert time.monotonic() - started < 1.5  # one after another would take 2 s
        assert [item.embedding for item in response.data] == expected(TITAN_V2, texts, 1024)

    def test_past_the_cohere_batch_limit(self, openai_client, bedrock_emulator):
        texts = [f"document {i}" for i in range(200)]
        response = openai_client.embeddings.create(input=texts, model="text-embedding-3-small")
        assert [item.embedding for item in response.data] == expected(COHERE_V3, texts, 1024)
        assert bedrock_emulator.calls()["InvokeModel"] == 3

    def test_errors_raise_the_sdk_exceptions(self, openai_client):
        with pytest.raises(openai.NotFoundError) as not_found:
            openai_client.embeddings.create(input="hi", model="no-such-model")
        assert not_found.value.code == "model_not_found"
        with pytest.raises(openai.BadRequestError) as bad:
            openai_client.embeddings.create(input="hi", model="anthropic.claude-3-5-sonnet-20240620-v1:0")
        assert bad.value.param == "model"
        with pytest.raises(openai.BadRequestError) as empty:
            openai_client.embeddings.create(input=["ok", ""], model=TITAN_V2)
        assert empty.value.param == "input[1]"

    def test_upstream_throttling_is_a_rate_limit_error(self, openai_client):
        with pytest.raises(openai.RateLimitError) as raised:
            openai_client.embeddings.create(input=["ok", "busy\n@@fault ThrottlingException"], model=TITAN_V2)
        assert raised.value.response.headers["retry-after"] == "1"


class TestLangChain:
    @pytest.fixture
    def embeddings(self, gateway_url):
        return OpenAIEmbeddings(
            model="text-embedding-3-large", base_url=gateway_url, api_key=API_KEY, max_retries=0
        )

    def test_embed_documents_sends_token_arrays_that_embed_the_original_text(
        self, embeddings, bedrock_emulator
    ):
        documents = [*TEXTS, "Ünïcödé and emoji 🎉 survive the token round trip."]
        assert embeddings.embed_documents(documents) == expected(COHERE_V3, documents, 1024)
        assert bedrock_emulator.requests(1)[0]["body"]["texts"] == documents

    def test_embed_query(self, embeddings):
        assert embeddings.embed_query("what did the waiter say?") == pytest.approx(
            vector_for(COHERE_V3, "what did the waiter say?", 1024), abs=1e-7
        )

    def test_long_documents_do_not_fail(self, embeddings):
        document = "A long paragraph of a loaded document. " * 100
        assert embeddings.embed_documents([document]) == expected(COHERE_V3, [document[:2048]], 1024)

    def test_dimensions_on_titan_v2(self, gateway_url):
        titan = OpenAIEmbeddings(model=TITAN_V2, dimensions=512, base_url=gateway_url, api_key=API_KEY)
        assert titan.embed_documents(TEXTS) == expected(TITAN_V2, TEXTS, 512)
