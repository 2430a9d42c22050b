"""Streaming chat completions: SSE framing, deltas, tool call indices, usage, errors, parity.

Driven through the Flask test client, which hands back the WSGI iterator unbuffered, so
chunk timing and an early close behave as they would behind a server.
"""

from __future__ import annotations

import time
import uuid

import pytest

from app.emulator.thinking import sign
from tests.conftest import unstamped
from tests.http.helpers_chat import (
    CLAUDE,
    CLAUDE_37_BARE,
    JURASSIC,
    WEATHER_TOOL,
    accumulate,
    completion,
    open_streams_after,
    post_chat,
    sse_payloads,
    stream_payloads,
    user,
)
from tests.http.test_errors import assert_openai_error

TIME_TOOL = {"type": "function", "function": {"name": "get_time"}}
TWO_CALLS = (
    '@@tool get_weather {"city": "Paris", "days": [1, 2, 3]}\n@@tool get_time {"zone": "Europe/Paris"}'
)


def chunks_of(payloads: list) -> list[dict]:
    assert payloads[-1] == "[DONE]"
    assert "[DONE]" not in payloads[:-1]
    return payloads[:-1]


def deltas(chunks: list[dict]) -> list[dict]:
    return [choice["delta"] for chunk in chunks for choice in chunk["choices"]]


def test_a_stream_is_server_sent_events_that_proxies_do_not_buffer(client):
    response = post_chat(client, {"model": CLAUDE, "messages": [user("Hi")], "stream": True})
    assert (response.status_code, response.mimetype) == (200, "text/event-stream")
    assert (response.headers["Cache-Control"], response.headers["X-Accel-Buffering"]) == ("no-cache", "no")
    chunks = chunks_of(sse_payloads(b"".join(response.response)))
    assert {(c["id"], c["object"], c["created"], c["model"]) for c in chunks} == {
        (chunks[0]["id"], "chat.completion.chunk", chunks[0]["created"], CLAUDE)
    }
    assert chunks[0]["id"].startswith("chatcmpl-")


def test_a_stream_opens_with_the_assistant_role_then_relays_each_text_delta(client):
    chunks = chunks_of(stream_payloads(client, messages=[user("@@reply One two three.")]))
    assert deltas(chunks)[0]["role"] == "assistant"
    assert [d["content"] for d in deltas(chunks)[1:] if d.get("content")] == ["One", " two", " three."]
    assert [c["choices"][0]["finish_reason"] for c in chunks] == [None] * (len(chunks) - 1) + ["stop"]
    assert chunks[-1]["choices"][0]["delta"] == {}


def test_include_usage_adds_a_final_usage_chunk_and_null_usage_elsewhere(client):
    chunks = chunks_of(
        stream_payloads(client, messages=[user("Hello there")], stream_options={"include_usage": True})
    )
    *body, last = chunks
    assert (last["choices"], last["usage"]) == (
        [],
        {
            "prompt_tokens": 2,
            "completion_tokens": 3,
            "total_tokens": 5,
            "prompt_tokens_details": {"cached_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": 0},
        },
    )
    assert [c["usage"] for c in body] == [None] * len(body)
    assert body[-1]["choices"][0]["finish_reason"] == "stop"


def test_without_include_usage_no_chunk_carries_usage(client):
    chunks = chunks_of(stream_payloads(client, messages=[user("Hello there")]))
    assert [c.get("usage") for c in chunks] == [None] * len(chunks)
    assert all(c["choices"] for c in chunks)


def test_reasoning_streams_as_reasoning_content_deltas_before_the_text(client):
    chunks = chunks_of(stream_payloads(client, messages=[user("Hi\n@@reasoning Weigh both sides.")]))
    kinds = [
        next(k for k in ("reasoning_content", "thinking_blocks", "content") if d.get(k))
        for d in deltas(chunks)[1:-1]
    ]
    assert kinds == ["reasoning_content"] * 3 + ["thinking_blocks"] + ["content"] * 2
    assert accumulate(chunks)["message"] == {
        "role": "assistant",
        "content": "Echo: Hi",
        "reasoning_content": "Weigh both sides.",
        "thinking_blocks": [
            {"type": "thinking", "thinking": "Weigh both sides.", "signature": sign("Weigh both sides.")}
        ],
    }


@pytest.mark.parametrize(
    "before",
    [
        pytest.param("", id="calls-only"),
        pytest.param("@@reply Checking both.\n", id="after-text"),
        pytest.param("@@reasoning Need two tools.\n@@reply Checking both.\n", id="after-reasoning-and-text"),
    ],
)
def test_tool_calls_are_indexed_from_zero_whatever_the_bedrock_block_index(client, before):
    chunks = chunks_of(
        stream_payloads(client, messages=[user(before + TWO_CALLS)], tools=[WEATHER_TOOL, TIME_TOOL])
    )
    calls = [d["tool_calls"] for d in deltas(chunks) if d.get("tool_calls")]
    assert all(len(c) == 1 for c in calls)
    starts = [c[0] for c in calls if "id" in c[0]]
    assert [(s["index"], s["type"], s["function"]["name"]) for s in starts] == [
        (0, "function", "get_weather"),
        (1, "function", "get_time"),
    ]
    fragments = [c[0] for c in calls if "id" not in c[0]]
    assert {(tuple(f), tuple(f["function"])) for f in fragments} == {(("index", "function"), ("arguments",))}
    assert len(fragments) > 2  # arguments arrive in pieces
    assert sorted({f["index"] for f in fragments}) == [0, 1]
    message = accumulate(chunks)
    assert message["finish_reason"] == "tool_calls"
    assert [c["function"]["arguments"] for c in message["message"]["tool_calls"]] == [
        '{"city": "Paris", "days": [1, 2, 3]}',
        '{"zone": "Europe/Paris"}',
    ]


def test_a_calls_id_and_name_come_before_its_argument_fragments(client):
    chunks = chunks_of(stream_payloads(client, messages=[user(TWO_CALLS)], tools=[WEATHER_TOOL, TIME_TOOL]))
    order = [(c["index"], "id" in c) for d in deltas(chunks) for c in d.get("tool_calls") or []]
    for index in (0, 1):
        mine = [has_id for i, has_id in order if i == index]
        assert mine[0] is True and not any(mine[1:])


SCHEMA = {"type": "object", "properties": {"name": {"type": "string"}, "age": {"type": "integer"}}}
PARITY_CASES = [
    pytest.param({"messages": [user("Hello   there")]}, id="text"),
    pytest.param({"messages": [user("@@words 12")], "max_tokens": 5}, id="truncated"),
    pytest.param({"messages": [user("Hi\n@@reasoning Weigh it.\n@@reply Done.")]}, id="reasoning"),
    pytest.param(
        {"messages": [user("@@reply Checking.\n" + TWO_CALLS)], "tools": [WEATHER_TOOL, TIME_TOOL]},
        id="tools",
    ),
    pytest.param(
        {"messages": [user("@@usage input=7 output=3 cache_read=4 cache_write=2\n@@reply ok")]}, id="usage"
    ),
    pytest.param({"messages": [user("@@stop content_filtered\n@@reply Blocked.")]}, id="content-filter"),
    pytest.param(
        {
            "messages": [user('Who?\n@@tool Person {"name": "Ada", "age": 36}')],
            "response_format": {"type": "json_schema", "json_schema": {"name": "Person", "schema": SCHEMA}},
        },
        id="json-schema",
    ),
    pytest.param(
        {
            "messages": [user("Who?")],
            "response_format": {"type": "json_schema", "json_schema": {"name": "Person", "schema": SCHEMA}},
        },
        id="json-schema-forced-tool",
    ),
    pytest.param(
        {
            "model": "us.anthropic.claude-3-7-sonnet-20250219-v1:0",
            "reasoning_effort": "low",
            "max_completion_tokens": 4096,
            "messages": [user("Who?\n@@reply not json")],
            "response_format": {"type": "json_schema", "json_schema": {"name": "Person", "schema": SCHEMA}},
        },
        id="json-schema-declined-while-thinking",
    ),
    pytest.param({"model": JURASSIC, "messages": [user("Hello")]}, id="model-without-streaming"),
]


@pytest.mark.parametrize("request_body", PARITY_CASES)
def test_an_accumulated_stream_equals_the_completion_for_the_same_prompt(client, request_body):
    whole = completion(client, **request_body)
    streamed = accumulate(
        chunks_of(stream_payloads(client, **request_body, stream_options={"include_usage": True}))
    )
    expected = {k: v for k, v in whole["choices"][0]["message"].items() if v is not None}
    assert {k: v for k, v in streamed["message"].items() if v is not None} == expected
    assert (streamed["finish_reason"], streamed["usage"]) == (
        whole["choices"][0]["finish_reason"],
        whole["usage"],
    )


def test_a_model_without_streaming_support_still_streams_to_the_client(client, bedrock_emulator):
    chunks = chunks_of(stream_payloads(client, model=JURASSIC, messages=[user("Hello")]))
    assert accumulate(chunks) == {
        "message": {"role": "assistant", "content": "Echo: Hello"},
        "finish_reason": "stop",
        "usage": None,
    }
    assert (bedrock_emulator.calls()["Converse"], bedrock_emulator.calls()["ConverseStream"]) == (1, 0)


def test_chunks_are_relayed_as_bedrock_produces_them(client):
    started = time.monotonic()
    response = post_chat(
        client,
        {"model": CLAUDE, "messages": [user("@@words 4\n@@latency token=300")], "stream": True},
    )
    arrivals = []
    for piece in response.response:
        if b"word" in piece:
            arrivals.append(time.monotonic() - started)
    assert len(arrivals) == 4
    assert arrivals[-1] - arrivals[0] >= 0.8  # three pauses of 300 ms between the words


def test_a_client_that_goes_away_mid_stream_releases_the_bedrock_stream(client, bedrock_emulator):
    response = post_chat(
        client,
        {"model": CLAUDE, "messages": [user("@@words 200\n@@latency token=20")], "stream": True},
    )
    pieces = iter(response.response)
    assert b"assistant" in next(pieces)
    next(pieces)
    assert bedrock_emulator.open_streams() == 1
    response.close()
    assert open_streams_after(bedrock_emulator) == 0
    assert bedrock_emulator.calls()["ConverseStream"] == 1


def test_an_error_before_the_first_byte_is_a_plain_http_error(client):
    fault = f"@@fault ThrottlingException id={uuid.uuid4().hex} message=Too many requests."
    response = post_chat(client, {"model": CLAUDE, "messages": [user(fault)], "stream": True})
    error = assert_openai_error(response, 429, "rate_limit_error", code="throttling")
    assert (error["message"], response.headers["Retry-After"]) == ("Amazon Bedrock: Too many requests.", "1")


def test_a_validation_error_before_the_first_byte_is_a_plain_400(client):
    response = post_chat(client, {"model": CLAUDE_37_BARE, "messages": [user("Hi")], "stream": True})
    assert_openai_error(response, 400, "invalid_request_error", code="validation")


def test_an_error_mid_stream_is_an_error_event_that_ends_the_stream(client):
    fault = f"@@fault InternalServerException when=midstream after=2 id={uuid.uuid4().hex} message=Boom."
    payloads = stream_payloads(client, messages=[user("@@words 5\n" + fault)])
    assert "[DONE]" not in payloads
    *chunks, last = payloads
    assert unstamped(last) == {
        "error": {
            "message": "Amazon Bedrock: Boom.",
            "type": "server_error",
            "param": None,
            "code": "internal_server",
        }
    }
    assert accumulate(chunks)["message"] == {"role": "assistant", "content": "word1 word2"}
