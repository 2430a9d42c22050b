"""The official openai SDK against the gateway served by gunicorn+gevent, backed by the emulator."""

from __future__ import annotations

import asyncio
import json
import time
import uuid

import httpx
import openai
import pytest

from tests.conftest import API_KEY, unstamped
from tests.e2e.conftest import open_stream
from tests.http.helpers_chat import (
    CLAUDE,
    CLAUDE_37,
    DEEPSEEK,
    WEATHER_TOOL,
    data_url,
    jpeg_bytes,
    open_streams_after,
    png_bytes,
    user,
)

pytestmark = pytest.mark.e2e

ASK_WEATHER = user('Weather in Paris?\n@@tool get_weather {"city": "Paris"}')


def test_create_returns_a_parsed_chat_completion(openai_client):
    completion = openai_client.chat.completions.create(model=CLAUDE, messages=[user("Hello there")])
    choice = completion.choices[0]
    assert completion.id.startswith("chatcmpl-")
    assert (completion.object, completion.model, completion.system_fingerprint) == (
        "chat.completion",
        CLAUDE,
        "fp_bedrock",
    )
    assert (choice.index, choice.finish_reason, choice.message.role, choice.message.content) == (
        0,
        "stop",
        "assistant",
        "Echo: Hello there",
    )
    usage = completion.usage
    assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens) == (2, 3, 5)
    assert (usage.prompt_tokens_details.cached_tokens, usage.completion_tokens_details.reasoning_tokens) == (
        0,
        0,
    )


def test_stream_with_include_usage_ends_with_a_usage_chunk(openai_client):
    stream = openai_client.chat.completions.create(
        model=CLAUDE,
        messages=[user("@@reply Streaming works fine.")],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    *body, last = chunks
    assert body[0].choices[0].delta.role == "assistant"
    assert "".join(c.choices[0].delta.content or "" for c in body) == "Streaming works fine."
    assert [c.choices[0].finish_reason for c in body][-1] == "stop"
    assert [c.usage for c in body] == [None] * len(body)
    assert (
        last.choices,
        last.usage.prompt_tokens,
        last.usage.completion_tokens,
        last.usage.total_tokens,
    ) == ([], 1, 3, 4)


def test_tool_call_round_trip(openai_client):
    first = openai_client.chat.completions.create(model=CLAUDE, messages=[ASK_WEATHER], tools=[WEATHER_TOOL])
    message = first.choices[0].message
    assert (first.choices[0].finish_reason, message.content) == ("tool_calls", None)
    (call,) = message.tool_calls
    assert (call.type, call.function.name, json.loads(call.function.arguments)) == (
        "function",
        "get_weather",
        {"city": "Paris"},
    )

    second = openai_client.chat.completions.create(
        model=CLAUDE,
        messages=[ASK_WEATHER, message, {"role": "tool", "tool_call_id": call.id, "content": "Sunny, 22 C"}],
        tools=[WEATHER_TOOL],
    )
    assert second.choices[0].message.content == f"Tool results: {call.id}=Sunny, 22 C"


def test_streamed_tool_calls_accumulate_like_the_sdk_expects(openai_client):
    prompt = 'Both?\n@@tool get_weather {"city": "Paris"}\n@@tool get_weather {"city": "Oslo"}'
    stream = openai_client.chat.completions.create(
        model=CLAUDE, messages=[user(prompt)], tools=[WEATHER_TOOL], stream=True
    )
    calls: dict[int, dict] = {}
    for chunk in stream:
        for delta in chunk.choices[0].delta.tool_calls or []:
            entry = calls.setdefault(
                delta.index, {"id": delta.id, "name": delta.function.name, "arguments": ""}
            )
            entry["arguments"] += delta.function.arguments or ""
    assert sorted(calls) == [0, 1]
    assert [(c["name"], json.loads(c["arguments"])) for c in calls.values()] == [
        ("get_weather", {"city": "Paris"}),
        ("get_weather", {"city": "Oslo"}),
    ]
    assert all(c["id"] for c in calls.values())


@pytest.mark.parametrize(
    ("raw", "mime"), [(jpeg_bytes(), "image/jpeg"), (png_bytes(), "image/png")], ids=["jpeg", "png"]
)
def test_base64_image_input(openai_client, raw, mime):
    content = [
        {"type": "text", "text": "What is in this image?"},
        {"type": "image_url", "image_url": {"url": data_url(raw, mime)}},
    ]
    completion = openai_client.chat.completions.create(
        model=CLAUDE, messages=[{"role": "user", "content": content}]
    )
    assert completion.choices[0].message.content == "Echo: What is in this image?"


@pytest.fixture
def guide_client(gateway_url, monkeypatch):
    """``OpenAI()`` configured from the environment, as the users' guide sets it up."""
    monkeypatch.setenv("OPENAI_API_KEY", API_KEY)
    monkeypatch.setenv("OPENAI_BASE_URL", gateway_url)
    with openai.OpenAI() as client:
        yield client


def test_guide_reasoning_non_streaming(guide_client):
    client = guide_client
    messages = [{"role": "user", "content": "which one is bigger, 3.9 or 3.11?"}]
    response = client.chat.completions.create(
        model="us.anthropic.claude-3-7-sonnet-20250219-v1:0",
        messages=messages,
        reasoning_effort="low",
        max_completion_tokens=4096,
    )
    reasoning_content = response.choices[0].message.reasoning_content
    content = response.choices[0].message.content
    assert reasoning_content == "Thinking about: which one is bigger, 3.9 or 3.11?"
    assert content == "Echo: which one is bigger, 3.9 or 3.11?"


def test_guide_reasoning_streaming(guide_client):
    client = guide_client
    messages = [{"role": "user", "content": "9.11 and 9.8, which is greater?"}]
    response = client.chat.completions.create(
        model="us.anthropic.claude-3-7-sonnet-20250219-v1:0",
        messages=messages,
        reasoning_effort="low",
        max_completion_tokens=4096,
        stream=True,
    )
    reasoning_content = ""
    content = ""
    for chunk in response:
        if hasattr(chunk.choices[0].delta, "reasoning_content") and chunk.choices[0].delta.reasoning_content:
            reasoning_content += chunk.choices[0].delta.reasoning_content
        elif chunk.choices[0].delta.content:
            content += chunk.choices[0].delta.content
    assert reasoning_content == "Thinking about: 9.11 and 9.8, which is greater?"
    assert content == "Echo: 9.11 and 9.8, which is greater?"


def test_deepseek_reasoning_content_through_the_sdk(openai_client):
    response = openai_client.chat.completions.create(
        model=DEEPSEEK, messages=[user("which one is bigger, 3.9 or 3.11?")]
    )
    message = response.choices[0].message
    assert (message.reasoning_content, message.content) == (
        "Thinking about: which one is bigger, 3.9 or 3.11?",
        "Echo: which one is bigger, 3.9 or 3.11?",
    )


def test_thinking_blocks_survive_an_sdk_round_trip_with_tools(openai_client):
    thinking = {
        "model": CLAUDE_37,
        "reasoning_effort": "low",
        "max_completion_tokens": 4096,
        "tools": [WEATHER_TOOL],
    }
    first = openai_client.chat.completions.create(messages=[ASK_WEATHER], **thinking).choices[0].message
    (call,) = first.tool_calls
    assert [block["type"] for block in first.thinking_blocks] == ["thinking"]
    second = openai_client.chat.completions.create(
        messages=[ASK_WEATHER, first, {"role": "tool", "tool_call_id": call.id, "content": "Sunny"}],
        **thinking,
    )
    assert second.choices[0].message.content == f"Tool results: {call.id}=Sunny"


def test_async_client_creates_and_streams(gateway_url):
    async def run():
        async with openai.AsyncOpenAI(base_url=gateway_url, api_key=API_KEY, max_retries=0) as client:
            completion = await client.chat.completions.create(model=CLAUDE, messages=[user("Hello async")])
            stream = await client.chat.completions.create(
                model=CLAUDE, messages=[user("Hello stream")], stream=True
            )
            pieces = [
                chunk.choices[0].delta.content async for chunk in stream if chunk.choices[0].delta.content
            ]
        return completion.choices[0].message.content, "".join(pieces)

    assert asyncio.run(run()) == ("Echo: Hello async", "Echo: Hello stream")


def test_one_gevent_worker_serves_slow_requests_concurrently(gateway_url):
    async def run():
        async with openai.AsyncOpenAI(base_url=gateway_url, api_key=API_KEY, max_retries=0) as client:
            asks = [
                client.chat.completions.create(
                    model=CLAUDE, messages=[user(f"Call {i}\n@@latency first=500")]
                )
                for i in range(6)
            ]
            return [c.choices[0].message.content for c in await asyncio.gather(*asks)]

    started = time.monotonic()
    assert asyncio.run(run()) == [f"Echo: Call {i}" for i in range(6)]
    assert time.monotonic() - started < 2.0  # six 500 ms answers one after another would take 3 s


def test_sdk_raises_rate_limit_error_with_retry_after(openai_client):
    prompt = f"Hi\n@@fault ServiceQuotaExceededException id={uuid.uuid4().hex} message=Quota used up."
    with pytest.raises(openai.RateLimitError) as caught:
        openai_client.chat.completions.create(model=CLAUDE, messages=[user(prompt)])
    error = caught.value
    assert (error.status_code, error.type, error.code) == (429, "rate_limit_error", "service_quota_exceeded")
    assert (error.response.headers["retry-after"], error.body["message"]) == (
        "10",
        f"Amazon Bedrock: Quota used up. (request id {error.request_id})",
    )


@pytest.mark.parametrize(
    ("fields", "param"),
    [
        pytest.param({"messages": [user("Hi")], "n": 9}, "n", id="n-above-max-choices"),
        pytest.param(
            {
                "messages": [
                    {
                        "role": "user",
                        "content": [
                            {"type": "text", "text": "What is this?"},
                            {
                                "type": "image_url",
                                "image_url": {
                                    "url": "https://github.com/aws-samples/bedrock-access-gateway/blob/main/assets/obj-detect.png?raw=true"
                                },
                            },
                        ],
                    }
                ]
            },
            "messages[0].content[1].image_url.url",
            id="unreachable-image-url",
        ),
    ],
)
def test_sdk_raises_bad_request_error_naming_the_param(openai_client, fields, param):
    with pytest.raises(openai.BadRequestError) as caught:
        openai_client.chat.completions.create(model=CLAUDE, **fields)
    assert (caught.value.status_code, caught.value.type, caught.value.param) == (
        400,
        "invalid_request_error",
        param,
    )


def test_sdk_raises_not_found_error_for_an_unknown_model(openai_client):
    with pytest.raises(openai.NotFoundError) as caught:
        openai_client.chat.completions.create(model="acme.nothing-v9:0", messages=[user("Hi")])
    assert caught.value.code == "model_not_found"


def test_sdk_raises_api_error_when_the_stream_fails_midway(openai_client):
    fault = f"@@fault ModelStreamErrorException when=midstream after=2 id={uuid.uuid4().hex} message=Lost it."
    prompt = "@@words 6\n" + fault
    stream = openai_client.chat.completions.create(model=CLAUDE, messages=[user(prompt)], stream=True)
    received = []
    with pytest.raises(openai.APIError) as caught:
        for chunk in stream:
            received.append(chunk.choices[0].delta.content or "")
    assert type(caught.value) is openai.APIError
    assert "".join(received) == "word1 word2"
    assert unstamped({"error": caught.value.body})["error"] == {
        "message": "Amazon Bedrock: Lost it.",
        "type": "server_error",
        "param": None,
        "code": "model_stream_error",
    }


def test_models_list_shows_the_catalogue(openai_client):
    ids = [model.id for model in openai_client.models.list()]
    assert {
        CLAUDE,
        CLAUDE_37,
        DEEPSEEK,
        "us.anthropic.claude-3-5-sonnet-20241022-v2:0",
        "amazon.nova-pro-v1:0",
    } <= set(ids)
    assert "cohere.embed-english-v3" not in ids


# --- The wire, below the SDK --------------------------------------------------------------


def test_chunks_reach_the_client_as_they_are_produced(gateway_url):
    body = {"model": CLAUDE, "messages": [user("@@words 4\n@@latency token=300")], "stream": True}
    arrivals = []
    started = time.monotonic()
    with httpx.Client(timeout=30) as client:
        headers = {"Authorization": f"Bearer {API_KEY}"}
        with client.stream("POST", gateway_url + "/chat/completions", json=body, headers=headers) as response:
            assert response.headers["content-type"].startswith("text/event-stream")
            for line in response.iter_lines():
                if "word" in line:
                    arrivals.append(time.monotonic() - started)
    assert len(arrivals) == 4
    assert arrivals[0] < 0.5 and arrivals[-1] - arrivals[0] >= 0.8


def test_a_client_disconnect_releases_the_bedrock_stream(gateway_url, bedrock_emulator):
    body = {"model": CLAUDE, "messages": [user("@@words 500\n@@latency token=20")], "stream": True}
    with open_stream(gateway_url, "/chat/completions", body, b"data: ") as received:
        assert received.startswith(b"HTTP/1.1 200")
        assert bedrock_emulator.open_streams() == 1
    assert open_streams_after(bedrock_emulator) == 0
    # The worker is still there for the next client.
    assert httpx.get(gateway_url.rsplit("/v1", 1)[0] + "/health", timeout=5).status_code == 200
