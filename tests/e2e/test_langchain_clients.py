"""LangChain's async paths, forced tools, structured output modes and embeddings, against gunicorn+gevent."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from langchain_openai import ChatOpenAI, OpenAIEmbeddings
from pydantic import BaseModel, Field

from app.emulator.vectors import vector_for
from tests.conftest import API_KEY
from tests.http.helpers_chat import CLAUDE

pytestmark = pytest.mark.e2e

COHERE_V3 = "cohere.embed-multilingual-v3"  # what text-embedding-* resolves to by default


class GetWeather(BaseModel):
    """Current weather in a city."""

    city: str = Field(description="The city")


class Person(BaseModel):
    name: str
    age: int


ASK_PERSON = '@@tool Person {"name": "Ada", "age": 36}'


def run_async(gateway_url: str, work, **options):
    """Run ``work(llm)`` on one event loop, with an async HTTP client closed on that loop."""

    async def main():
        async with httpx.AsyncClient(timeout=60) as http:
            llm = ChatOpenAI(
                model=CLAUDE,
                base_url=gateway_url,
                api_key=API_KEY,
                max_retries=0,
                http_async_client=http,
                **options,
            )
            return await work(llm)

    return asyncio.run(main())


class TestAsync:
    def test_ainvoke(self, gateway_url):
        answer = run_async(gateway_url, lambda llm: llm.ainvoke("@@reply async"))
        assert (answer.content, answer.response_metadata["finish_reason"]) == ("async", "stop")

    def test_abatch_answers_each_input_in_order(self, gateway_url):
        answers = run_async(gateway_url, lambda llm: llm.abatch([f"@@reply n{i}" for i in range(5)]))
        assert [answer.content for answer in answers] == [f"n{i}" for i in range(5)]

    def test_astream_with_stream_usage_aggregates_text_and_usage(self, gateway_url):
        async def work(llm):
            total = None
            async for chunk in llm.astream("@@reply One two three."):
                total = chunk if total is None else total + chunk
            return total

        total = run_async(gateway_url, work, stream_usage=True)
        assert (total.content, total.response_metadata["finish_reason"]) == ("One two three.", "stop")
        usage = total.usage_metadata
        assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"] > 0

    def test_astream_of_forced_parallel_tool_calls(self, gateway_url):
        async def work(llm):
            total = None
            prompt = '@@tool GetWeather {"city": "Paris"}\n@@tool GetWeather {"city": "Rome"}'
            async for chunk in llm.bind_tools([GetWeather], tool_choice="any").astream(prompt):
                total = chunk if total is None else total + chunk
            return total

        total = run_async(gateway_url, work)
        assert [(call["name"], call["args"]) for call in total.tool_calls] == [
            ("GetWeather", {"city": "Paris"}),
            ("GetWeather", {"city": "Rome"}),
        ]
        assert total.response_metadata["finish_reason"] == "tool_calls"


class TestForcedToolsAndStructuredOutput:
    def test_bind_tools_with_tool_choice_any(self, make_llm):
        answer = (
            make_llm()
            .bind_tools([GetWeather], tool_choice="any")
            .invoke('@@tool GetWeather {"city": "Oslo"}')
        )
        assert [(call["name"], call["args"]) for call in answer.tool_calls] == [
            ("GetWeather", {"city": "Oslo"})
        ]

    def test_json_mode(self, make_llm):
        person = (
            make_llm()
            .with_structured_output(Person, method="json_mode")
            .invoke('@@reply {"name": "Ada", "age": 36}')
        )
        assert person == Person(name="Ada", age=36)

    def test_json_schema_strict(self, make_llm):
        person = (
            make_llm().with_structured_output(Person, method="json_schema", strict=True).invoke(ASK_PERSON)
        )
        assert person == Person(name="Ada", age=36)

    def test_json_schema_strict_include_raw(self, make_llm):
        result = (
            make_llm().with_structured_output(Person, method="json_schema", strict=True, include_raw=True)
        ).invoke(ASK_PERSON)
        assert (result["parsed"], result["parsing_error"]) == (Person(name="Ada", age=36), None)
        assert result["raw"].additional_kwargs["refusal"] is None
        assert result["raw"].response_metadata["finish_reason"] == "stop"

    def test_json_mode_include_raw_in_async(self, gateway_url):
        def work(llm):
            structured = llm.with_structured_output(Person, method="json_mode", include_raw=True)
            return structured.ainvoke('@@reply {"name": "Ada", "age": 36}')

        result = run_async(gateway_url, work)
        assert result["parsed"] == Person(name="Ada", age=36)


class TestEmbeddings:
    @pytest.fixture
    def make_embeddings(self, gateway_url):
        with httpx.Client(timeout=60) as http_client:
            yield lambda **options: OpenAIEmbeddings(
                model="text-embedding-3-small",
                base_url=gateway_url,
                api_key=API_KEY,
                max_retries=0,
                http_client=http_client,
                **options,
            )

    def test_strings_when_the_context_length_check_is_off(self, make_embeddings):
        texts = ["hello", "The food was delicious."]
        vectors = make_embeddings(check_embedding_ctx_length=False).embed_documents(texts)
        assert vectors == [pytest.approx(vector_for(COHERE_V3, text, 1024), abs=1e-6) for text in texts]

    def test_token_ids_by_default_embed_the_same_text(self, make_embeddings):
        assert make_embeddings().embed_query("hello") == pytest.approx(
            vector_for(COHERE_V3, "hello", 1024), abs=1e-6
        )
