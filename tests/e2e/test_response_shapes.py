"""Every answer validates, strictly, against openai-python's own pydantic types.

The bodies are read off the wire (httpx against gunicorn+gevent), not through the SDK,
so nothing the SDK tolerates or fills in hides a gap.
"""

from __future__ import annotations

import base64
import json
from array import array
from typing import get_args

import httpx
import pytest
from openai.types import CreateEmbeddingResponse, Model
from openai.types.chat import ChatCompletion, ChatCompletionChunk
from openai.types.chat.chat_completion import Choice
from openai.types.chat.chat_completion_chunk import Choice as ChunkChoice

from tests.conftest import API_KEY
from tests.http.helpers_chat import CLAUDE, CLAUDE_37, DEEPSEEK, WEATHER_TOOL, sse_payloads, user

pytestmark = pytest.mark.e2e

HEADERS = {"Authorization": f"Bearer {API_KEY}"}
FINISH_REASONS = set(get_args(Choice.model_fields["finish_reason"].annotation))
CHUNK_FINISH_REASONS = set(get_args(get_args(ChunkChoice.model_fields["finish_reason"].annotation)[0]))
ANSWER = {"type": "object", "properties": {"answer": {"type": "integer"}}, "required": ["answer"]}
LOOKUP = {"type": "function", "function": {"name": "lookup", "parameters": {"type": "object"}}}

# name: (request fields, the finish reason, what the accumulated message holds)
CASES = {
    "plain": ({"messages": [user("@@reply Plain answer.")]}, "stop", {"content": "Plain answer."}),
    "tools": (
        {"messages": [user('@@tool get_weather {"city": "Paris"}')], "tools": [WEATHER_TOOL]},
        "tool_calls",
        {"tool_calls": [("get_weather", {"city": "Paris"})]},
    ),
    "parallel-tools": (
        {
            "messages": [user('@@tool get_weather {"city": "Paris"}\n@@tool lookup {"q": 1}')],
            "tools": [WEATHER_TOOL, LOOKUP],
            "tool_choice": "required",
        },
        "tool_calls",
        {"tool_calls": [("get_weather", {"city": "Paris"}), ("lookup", {"q": 1})]},
    ),
    "reasoning": (
        {
            "model": CLAUDE_37,
            "messages": [user("@@reasoning Compare digits.\n@@reply 3.9")],
            "reasoning_effort": "low",
            "max_completion_tokens": 4096,
        },
        "stop",
        {"content": "3.9", "reasoning_content": "Compare digits."},
    ),
    "deepseek-reasoning": (
        {"model": DEEPSEEK, "messages": [user("@@reasoning Think.\n@@reply Done.")]},
        "stop",
        {"content": "Done.", "reasoning_content": "Think."},
    ),
    "json-schema": (
        {
            "messages": [user('@@tool Answer {"answer": 42}')],
            "response_format": {
                "type": "json_schema",
                "json_schema": {"name": "Answer", "schema": ANSWER, "strict": True},
            },
        },
        "stop",
        {"json": {"answer": 42}},
    ),
    "json-object": (
        {"messages": [user('@@reply {"answer": 42}')], "response_format": {"type": "json_object"}},
        "stop",
        {"json": {"answer": 42}},
    ),
    "length": (
        {"messages": [user("@@words 20")], "max_tokens": 3},
        "length",
        {"content": "word1 word2 word3"},
    ),
}


@pytest.fixture(scope="module")
def http(gateway_url):
    with httpx.Client(base_url=gateway_url, headers=HEADERS, timeout=30) as client:
        yield client


def post(http: httpx.Client, fields: dict) -> httpx.Response:
    return http.post("/chat/completions", json={"model": CLAUDE, **fields})


def assert_holds(message: dict, expected: dict) -> None:
    if "json" in expected:
        assert json.loads(message["content"]) == expected["json"]
    for key in ("content", "reasoning_content"):
        if key in expected:
            assert message[key] == expected[key]
    if "tool_calls" in expected:
        calls = [
            (c["function"]["name"], json.loads(c["function"]["arguments"])) for c in message["tool_calls"]
        ]
        assert calls == expected["tool_calls"]
        assert all(c["id"] and c["type"] == "function" for c in message["tool_calls"])
    else:
        assert not message.get("tool_calls")


@pytest.mark.parametrize("case", CASES)
def test_a_completion_is_a_strict_chat_completion(http, case):
    fields, finish, expected = CASES[case]
    response = post(http, fields)
    assert response.status_code == 200, response.text
    body = response.json()
    completion = ChatCompletion.model_validate(body, strict=True)
    assert completion.id.startswith("chatcmpl-") and type(body["created"]) is int
    assert (completion.object, len(completion.choices)) == ("chat.completion", 1)
    choice = body["choices"][0]
    assert choice["finish_reason"] == finish and finish in FINISH_REASONS
    assert (choice["message"]["role"], choice["message"]["refusal"], choice["logprobs"]) == (
        "assistant",
        None,
        None,
    )
    assert_holds(choice["message"], expected)
    usage = body["usage"]
    assert all(type(usage[key]) is int for key in ("prompt_tokens", "completion_tokens", "total_tokens"))
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]


def streamed(http: httpx.Client, fields: dict) -> list:
    with http.stream(
        "POST", "/chat/completions", json={"model": CLAUDE, **fields, "stream": True}
    ) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        return sse_payloads(response.read())


def accumulated(chunks: list[ChatCompletionChunk]) -> dict:
    message: dict = {"content": "", "reasoning_content": ""}
    calls: dict[int, dict] = {}
    for chunk in chunks:
        for choice in chunk.choices:
            delta = choice.delta
            message["content"] += delta.content or ""
            message["reasoning_content"] += (delta.model_extra or {}).get("reasoning_content") or ""
            for call in delta.tool_calls or []:
                entry = calls.setdefault(
                    call.index, {"id": None, "type": None, "function": {"arguments": ""}}
                )
                entry["id"] = call.id or entry["id"]
                entry["type"] = call.type or entry["type"]
                if call.function and call.function.name:
                    entry["function"]["name"] = call.function.name
                entry["function"]["arguments"] += (call.function and call.function.arguments) or ""
    message["tool_calls"] = [calls[index] for index in sorted(calls)]
    return message


@pytest.mark.parametrize("include_usage", [False, True], ids=["no-usage", "include-usage"])
@pytest.mark.parametrize("case", CASES)
def test_every_stream_chunk_is_a_strict_chat_completion_chunk(http, case, include_usage):
    fields, finish, expected = CASES[case]
    options = {"stream_options": {"include_usage": True}} if include_usage else {}
    payloads = streamed(http, {**fields, **options})
    assert payloads[-1] == "[DONE]"
    bodies = payloads[:-1]
    chunks = [ChatCompletionChunk.model_validate(body, strict=True) for body in bodies]
    assert len({(c.id, c.created, c.model) for c in chunks}) == 1
    assert chunks[0].id.startswith("chatcmpl-") and all(type(b["created"]) is int for b in bodies)
    assert all(chunk.object == "chat.completion.chunk" for chunk in chunks)
    assert chunks[0].choices[0].delta.role == "assistant"
    if include_usage:
        *answer, last = bodies
        assert last["choices"] == [] and set(last["usage"]) >= {"prompt_tokens", "completion_tokens"}
        assert all(body["usage"] is None for body in answer)
        assert (
            chunks[-1].usage.total_tokens
            == chunks[-1].usage.prompt_tokens + chunks[-1].usage.completion_tokens
        )
    else:
        answer = bodies
        assert all("usage" not in body for body in answer)
    finishes = [choice["finish_reason"] for body in answer for choice in body["choices"]]
    assert finishes[-1] == finish and finish in CHUNK_FINISH_REASONS
    assert set(finishes[:-1]) == {None}
    assert_holds(accumulated(chunks), expected)


class TestEmbeddingsAndModels:
    def test_a_float_embedding_is_a_strict_create_embedding_response(self, http):
        response = http.post("/embeddings", json={"model": "text-embedding-3-small", "input": ["a", "b"]})
        body = response.json()
        parsed = CreateEmbeddingResponse.model_validate(body, strict=True)
        assert [(item.object, item.index, len(item.embedding)) for item in parsed.data] == [
            ("embedding", 0, 1024),
            ("embedding", 1, 1024),
        ]
        assert (parsed.object, parsed.model) == ("list", "cohere.embed-multilingual-v3")
        assert type(body["usage"]["prompt_tokens"]) is int

    def test_a_base64_embedding_decodes_to_the_float_one(self, http):
        fields = {"model": "amazon.titan-embed-text-v2:0", "input": "a", "dimensions": 256}
        floats = http.post("/embeddings", json={**fields, "encoding_format": "float"}).json()
        encoded = http.post("/embeddings", json={**fields, "encoding_format": "base64"}).json()
        vector = array("f", base64.b64decode(encoded["data"][0]["embedding"])).tolist()
        as_floats = {**encoded, "data": [{**encoded["data"][0], "embedding": vector}]}
        assert CreateEmbeddingResponse.model_validate(as_floats, strict=True).data[
            0
        ].embedding == pytest.approx(floats["data"][0]["embedding"], abs=1e-6)

    def test_the_model_list_and_each_model_are_strict_models(self, http):
        listed = http.get("/models").json()
        assert listed["object"] == "list" and listed["data"]
        for body in listed["data"]:
            model = Model.model_validate(body, strict=True)
            assert (model.object, model.owned_by, type(body["created"])) == ("model", "bedrock", int)
        one = http.get(f"/models/{CLAUDE}").json()
        assert Model.model_validate(one, strict=True).id == CLAUDE

    @pytest.mark.parametrize(
        ("method", "path", "fields", "status"),
        [
            ("POST", "/chat/completions", {"model": CLAUDE, "messages": []}, 400),
            ("POST", "/chat/completions", {"model": "acme.none-v1:0", "messages": [user("x")]}, 404),
            ("POST", "/embeddings", {"model": "text-embedding-3-small"}, 400),
            ("GET", "/models/acme.none-v1:0", None, 404),
            ("GET", "/nothing", None, 404),
            ("DELETE", "/models", None, 405),
        ],
    )
    def test_errors_are_the_body_the_sdk_reads(self, http, method, path, fields, status):
        response = http.request(method, path, json=fields)
        assert (response.status_code, response.headers["content-type"]) == (status, "application/json")
        error = response.json()["error"]  # openai._client._make_status_error reads body["error"]
        assert set(error) == {"message", "type", "param", "code"}
        assert isinstance(error["message"], str) and error["message"]
