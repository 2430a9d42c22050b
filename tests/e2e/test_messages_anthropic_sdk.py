"""The official anthropic SDK against the gateway under gunicorn+gevent, backed by the emulator:
Claude through InvokeModel, Nova through Converse, streaming and not."""

from __future__ import annotations

import asyncio

import anthropic
import httpx
import pytest

from tests.conftest import API_KEY
from tests.http.helpers_chat import open_streams_after

pytestmark = pytest.mark.e2e

CLAUDE = "claude-opus-4-6"
NOVA = "amazon.nova-pro-v1:0"
MODELS = pytest.mark.parametrize("model", [CLAUDE, NOVA])
WEATHER = {
    "name": "get_weather",
    "description": "Current weather for a city",
    "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}


@pytest.fixture(scope="module")
def base_url(gateway_url) -> str:
    return gateway_url.removesuffix("/v1")


@pytest.fixture
def client(base_url):
    with anthropic.Anthropic(base_url=base_url, api_key=API_KEY, max_retries=0, timeout=60) as client:
        yield client


def user(text: str) -> dict:
    return {"role": "user", "content": text}


@MODELS
def test_create_returns_a_parsed_message(client, model):
    message = client.messages.create(model=model, max_tokens=100, messages=[user("Hello there")])
    assert message.id.startswith("msg_")
    assert (message.type, message.role, message.model, message.stop_reason) == (
        "message",
        "assistant",
        model,
        "end_turn",
    )
    assert [(block.type, block.text) for block in message.content] == [("text", "Echo: Hello there")]
    assert (message.usage.input_tokens, message.usage.output_tokens) == (2, 3)
    assert message._request_id.startswith("req_")


@MODELS
def test_stream_and_get_final_message(client, model):
    with client.messages.stream(model=model, max_tokens=100, messages=[user("Hello there")]) as stream:
        texts = list(stream.text_stream)
        final = stream.get_final_message()
    assert "".join(texts) == "Echo: Hello there"
    assert final.content[0].text == "Echo: Hello there"
    assert (final.model, final.stop_reason, final.usage.input_tokens, final.usage.output_tokens) == (
        model,
        "end_turn",
        2,
        3,
    )


@MODELS
def test_tool_loop_with_tool_result(client, model):
    ask = user('Weather in Paris?\n@@tool get_weather {"city": "Paris"}')
    first = client.messages.create(model=model, max_tokens=200, tools=[WEATHER], messages=[ask])
    assert first.stop_reason == "tool_use"
    call = first.content[-1]
    assert (call.type, call.name, call.input) == ("tool_use", "get_weather", {"city": "Paris"})
    result = {"type": "tool_result", "tool_use_id": call.id, "content": "18C and sunny"}
    history = [ask, {"role": "assistant", "content": first.content}, {"role": "user", "content": [result]}]
    with client.messages.stream(model=model, max_tokens=200, tools=[WEATHER], messages=history) as stream:
        final = stream.get_final_message()
    assert final.stop_reason == "end_turn"
    assert final.content[-1].text == f"Tool results: {call.id}=18C and sunny"


@MODELS
def test_thinking_with_tools_then_the_second_turn(client, model):
    thinking = {"type": "adaptive"}
    ask = user('@@reasoning The user wants weather.\n@@tool get_weather {"city": "Paris"}')
    with client.messages.stream(
        model=model, max_tokens=2048, thinking=thinking, tools=[WEATHER], messages=[ask]
    ) as stream:
        first = stream.get_final_message()
    kinds = [block.type for block in first.content]
    assert kinds[-1] == "tool_use"
    if model == CLAUDE:
        assert kinds == ["thinking", "tool_use"] and first.content[0].signature
    call = first.content[-1]
    history = [
        ask,
        {"role": "assistant", "content": first.content},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": call.id, "content": "sunny"}]},
    ]
    second = client.messages.create(
        model=model, max_tokens=2048, thinking=thinking, tools=[WEATHER], messages=history
    )
    assert second.content[-1].text == f"Tool results: {call.id}=sunny"


@MODELS
def test_count_tokens(client, model):
    count = client.messages.count_tokens(model=model, messages=[user("one two three")], tools=[WEATHER])
    assert count.input_tokens > 3


def test_beta_messages_with_claude_code_betas(client):
    message = client.beta.messages.create(
        model=CLAUDE,
        max_tokens=100,
        betas=["claude-code-20250219", "interleaved-thinking-2025-05-14", "prompt-caching-scope-2026-01-05"],
        system=[{"type": "text", "text": "Be brief.", "cache_control": {"type": "ephemeral"}}],
        messages=[user("Hello there")],
    )
    assert message.content[0].text == "Echo: Hello there"


def test_async_stream(base_url):
    async def run() -> str:
        async with anthropic.AsyncAnthropic(base_url=base_url, api_key=API_KEY, max_retries=0) as client:
            async with client.messages.stream(
                model=NOVA, max_tokens=100, messages=[user("Hello there")]
            ) as stream:
                return (await stream.get_final_message()).content[0].text

    assert asyncio.run(run()) == "Echo: Hello there"


@pytest.mark.parametrize(
    ("model", "text", "error"),
    [
        ("claude-nope-1", "Hi", anthropic.NotFoundError),
        (CLAUDE, "@@context 2\none two three", anthropic.BadRequestError),
        (CLAUDE, "@@fault ServiceUnavailableException", anthropic.InternalServerError),
        (NOVA, "@@fault ThrottlingException", anthropic.RateLimitError),
    ],
)
def test_errors_raise_the_sdks_own_exceptions(client, model, text, error):
    with pytest.raises(error) as caught:
        client.messages.create(model=model, max_tokens=100, messages=[user(text)])
    assert caught.value.request_id.startswith("req_")


def test_prompt_too_long_text_reaches_the_sdk(client):
    with pytest.raises(anthropic.BadRequestError) as caught:
        client.messages.create(model=CLAUDE, max_tokens=100, messages=[user("@@context 2\none two three")])
    assert caught.value.body["error"]["message"] == "prompt is too long: 3 tokens > 2 maximum"


def test_a_mid_stream_failure_raises_from_the_stream(client):
    text = "@@fault ModelStreamErrorException when=midstream after=1\nHello there"
    with pytest.raises(anthropic.APIStatusError):
        with client.messages.stream(model=CLAUDE, max_tokens=100, messages=[user(text)]) as stream:
            stream.get_final_message()


def test_wrong_key_is_an_authentication_error(base_url):
    with anthropic.Anthropic(base_url=base_url, auth_token="wrong", max_retries=0) as client:
        with pytest.raises(anthropic.AuthenticationError):
            client.messages.create(model=CLAUDE, max_tokens=10, messages=[user("Hi")])


def test_models_list_in_anthropics_shape(client):
    ids = [model.id for model in client.models.list()]
    assert {CLAUDE, "claude-sonnet-4-5-20250929", "claude-haiku-4-5"} <= set(ids)
    assert client.models.retrieve(CLAUDE).type == "model"


@MODELS
def test_a_client_disconnect_releases_the_bedrock_stream(base_url, bedrock_emulator, model):
    body = {
        "model": model,
        "max_tokens": 4096,
        "stream": True,
        "messages": [user("@@words 500\n@@latency token=20")],
    }
    headers = {"x-api-key": API_KEY, "anthropic-version": "2023-06-01"}
    with httpx.stream("POST", base_url + "/v1/messages", json=body, headers=headers, timeout=10) as response:
        lines = response.iter_lines()
        deltas = 0
        while deltas < 3:
            deltas += next(lines).startswith("event: content_block_delta")
        assert bedrock_emulator.open_streams() == 1
    assert open_streams_after(bedrock_emulator) == 0
