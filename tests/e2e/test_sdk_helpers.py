"""The openai SDK's helpers and retry logic, unchanged, against gunicorn+gevent."""

from __future__ import annotations

import uuid

import httpx
import openai
import pytest
from pydantic import BaseModel

from tests.conftest import API_KEY
from tests.http.helpers_chat import CLAUDE, CLAUDE_37, user

pytestmark = pytest.mark.e2e


class Weather(BaseModel):
    city: str
    celsius: int


ASK_WEATHER = user('@@tool Weather {"city": "Paris", "celsius": 21}')


def fault(name: str, times: int) -> str:
    """Fails the first ``times`` Bedrock calls: the gateway makes 3 attempts per request."""
    return f"@@fault {name} times={times} id={uuid.uuid4().hex}\n@@reply recovered"


class TestRawAndStreamingResponses:
    def test_with_raw_response_exposes_headers_and_parses(self, openai_client):
        raw = openai_client.chat.completions.with_raw_response.create(
            model=CLAUDE, messages=[user("@@reply raw")], extra_headers={"X-Request-Id": "req-from-client"}
        )
        assert (raw.status_code, raw.headers["x-request-id"], raw.retries_taken) == (
            200,
            "req-from-client",
            0,
        )
        assert raw.parse().choices[0].message.content == "raw"

    def test_with_streaming_response_reads_sse_lines(self, openai_client):
        with openai_client.chat.completions.with_streaming_response.create(
            model=CLAUDE, messages=[user("@@reply lines")], stream=True
        ) as response:
            assert response.headers["content-type"].startswith("text/event-stream")
            lines = [line for line in response.iter_lines() if line]
        assert lines[0].startswith("data: {") and lines[-1] == "data: [DONE]"

    def test_with_streaming_response_of_a_plain_completion_is_json(self, openai_client):
        with openai_client.models.with_streaming_response.retrieve(CLAUDE) as response:
            assert response.json()["id"] == CLAUDE


class TestStreamHelper:
    def test_stream_accumulates_text_and_usage(self, openai_client):
        with openai_client.chat.completions.stream(
            model=CLAUDE, messages=[user("@@reply One two three.")], stream_options={"include_usage": True}
        ) as stream:
            deltas = [event.delta for event in stream if event.type == "content.delta"]
            final = stream.get_final_completion()
        assert "".join(deltas) == "One two three."
        assert (final.choices[0].message.content, final.choices[0].finish_reason) == (
            "One two three.",
            "stop",
        )
        assert final.usage.total_tokens == final.usage.prompt_tokens + final.usage.completion_tokens > 0

    def test_stream_accumulates_parallel_tool_calls_with_parsed_arguments(self, openai_client):
        prompt = (
            '@@tool Weather {"city": "Paris", "celsius": 21}\n@@tool Weather {"city": "Oslo", "celsius": 3}'
        )
        with openai_client.chat.completions.stream(
            model=CLAUDE, messages=[user(prompt)], tools=[openai.pydantic_function_tool(Weather)]
        ) as stream:
            done = [
                event.parsed_arguments
                for event in stream
                if event.type == "tool_calls.function.arguments.done"
            ]
            final = stream.get_final_completion()
        assert done == [Weather(city="Paris", celsius=21), Weather(city="Oslo", celsius=3)]
        calls = final.choices[0].message.tool_calls
        assert [call.function.parsed_arguments for call in calls] == done
        assert len({call.id for call in calls}) == 2 and final.choices[0].finish_reason == "tool_calls"

    def test_stream_keeps_the_reasoning_content(self, openai_client):
        with openai_client.chat.completions.stream(
            model=CLAUDE_37,
            messages=[user("@@reasoning Compare.\n@@reply 3.9")],
            reasoning_effort="low",
            max_completion_tokens=4096,
        ) as stream:
            final = stream.get_final_completion()
        message = final.choices[0].message
        assert (message.content, message.model_extra["reasoning_content"]) == ("3.9", "Compare.")
        assert [block["type"] for block in message.model_extra["thinking_blocks"]] == ["thinking"]


class TestParseHelper:
    def test_parse_fills_message_parsed(self, openai_client):
        completion = openai_client.chat.completions.parse(
            model=CLAUDE, messages=[ASK_WEATHER], response_format=Weather
        )
        message = completion.choices[0].message
        assert (message.parsed, message.refusal, completion.choices[0].finish_reason) == (
            Weather(city="Paris", celsius=21),
            None,
            "stop",
        )

    def test_parse_while_streaming(self, openai_client):
        with openai_client.chat.completions.stream(
            model=CLAUDE, messages=[ASK_WEATHER], response_format=Weather
        ) as stream:
            final = stream.get_final_completion()
        assert final.choices[0].message.parsed == Weather(city="Paris", celsius=21)

    def test_parse_with_strict_tools_parses_the_arguments(self, openai_client):
        completion = openai_client.chat.completions.parse(
            model=CLAUDE, messages=[ASK_WEATHER], tools=[openai.pydantic_function_tool(Weather)]
        )
        (call,) = completion.choices[0].message.tool_calls
        assert call.function.parsed_arguments == Weather(city="Paris", celsius=21)

    def test_parse_of_a_truncated_answer_raises_length_finish_reason_error(self, openai_client):
        with pytest.raises(openai.LengthFinishReasonError):
            openai_client.chat.completions.parse(
                model=CLAUDE,
                messages=[user('@@tool Weather {"city": "Paris", "celsius": 21}\n@@stop max_tokens')],
                response_format=Weather,
            )


class TestEmbeddingsHelpers:
    def test_dimensions_reach_the_model(self, openai_client):
        response = openai_client.embeddings.create(
            model="amazon.titan-embed-text-v2:0", input=["a", "b"], dimensions=512
        )
        assert [len(item.embedding) for item in response.data] == [512, 512]

    def test_unsupported_dimensions_are_a_bad_request_naming_the_param(self, openai_client):
        with pytest.raises(openai.BadRequestError) as caught:
            openai_client.embeddings.create(model="text-embedding-3-small", input="a", dimensions=256)
        assert caught.value.param == "dimensions"


class TestRetries:
    @pytest.fixture
    def retrying_client(self, gateway_url):
        with openai.OpenAI(base_url=gateway_url, api_key=API_KEY, max_retries=2, timeout=60) as client:
            yield client

    @pytest.mark.parametrize(
        ("name", "status"), [("ThrottlingException", 429), ("ServiceUnavailableException", 503)]
    )
    def test_the_sdk_retries_a_failed_request_and_succeeds(self, retrying_client, name, status):
        raw = retrying_client.chat.completions.with_raw_response.create(
            model=CLAUDE, messages=[user(fault(name, times=3))]
        )
        assert (raw.retries_taken, raw.parse().choices[0].message.content) == (1, "recovered")

    def test_retry_after_reaches_the_sdk_on_the_last_failure(self, retrying_client):
        with pytest.raises(openai.RateLimitError) as caught:
            retrying_client.chat.completions.create(
                model=CLAUDE, messages=[user(fault("ThrottlingException", 9))]
            )
        assert caught.value.response.headers["retry-after"] == "1"
        assert caught.value.code == "throttling"


class TestAzureClient:
    """AzureOpenAI sends ``api-key`` and builds ``/deployments/<model>/...`` paths."""

    @pytest.fixture
    def azure_client(self, gateway_url):
        sent: list[httpx.Request] = []
        with openai.AzureOpenAI(
            base_url=gateway_url,
            api_key=API_KEY,
            api_version="2024-06-01",
            max_retries=0,
            http_client=httpx.Client(event_hooks={"request": [sent.append]}),
        ) as client:
            client.sent = sent
            yield client

    def test_chat_completions_through_a_deployment_path(self, azure_client):
        completion = azure_client.chat.completions.create(model=CLAUDE, messages=[user("@@reply azure")])
        assert completion.choices[0].message.content == "azure"
        request = azure_client.sent[-1]
        assert request.url.path.endswith(f"/deployments/{CLAUDE}/chat/completions")
        assert (request.headers["api-key"], "authorization" in request.headers) == (API_KEY, False)

    def test_embeddings_through_a_deployment_path(self, azure_client):
        response = azure_client.embeddings.create(model="text-embedding-3-small", input="a")
        assert len(response.data[0].embedding) == 1024
        assert azure_client.sent[-1].url.path.endswith("/deployments/text-embedding-3-small/embeddings")

    def test_a_wrong_key_is_an_authentication_error(self, gateway_url):
        with (
            openai.AzureOpenAI(base_url=gateway_url, api_key="sk-wrong", api_version="2024-06-01") as client,
            pytest.raises(openai.AuthenticationError),
        ):
            client.models.list()
