"""POST /responses through real boto3 against the emulator: translation, events, errors."""

from __future__ import annotations

import json
import threading
import uuid

import pytest

from tests.conftest import AUTH, error_body
from tests.http.helpers_chat import CLAUDE, CLAUDE_37, JURASSIC, NOVA_PRO

URL = "/v1/responses"
WEATHER = {
    "type": "function",
    "name": "get_weather",
    "description": "Weather for a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}


def create(client, **body) -> dict:
    body.setdefault("model", CLAUDE)
    response = client.post(URL, json=body, headers=AUTH)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def events(client, **body) -> list[dict]:
    """The events of a stream that must start with 200; each frame's event line must match."""
    body.setdefault("model", CLAUDE)
    response = client.post(URL, json={**body, "stream": True}, headers=AUTH)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "text/event-stream"
    parsed = []
    for frame in b"".join(response.response).decode().split("\n\n"):
        if not frame.strip() or frame.startswith(":"):
            continue
        name, data = frame.split("\n", 1)
        payload = json.loads(data.removeprefix("data: "))
        assert name == f"event: {payload['type']}"
        parsed.append(payload)
    return parsed


def converse_request(client, **body) -> dict:
    """The Converse request the emulator received (``@@echo``)."""
    return json.loads(create(client, **body)["output"][0]["content"][0]["text"])


def comparable(response: dict) -> dict:
    """A response with its own ids (response, items, tool calls) replaced by placeholders."""
    text = json.dumps({**response, "created_at": 0}).replace(response["id"].removeprefix("resp_"), "ID")
    for item in response["output"]:
        if "call_id" in item:
            text = text.replace(item["call_id"], "CALL")
    return json.loads(text)


def fault(name: str, *options: str) -> str:
    return f"@@fault {name} {' '.join(options)} id={uuid.uuid4().hex} message=Scripted {name}."


def test_a_text_answer_is_a_completed_response_with_one_message(client):
    response = create(client, input="Hello there", instructions="Be brief.", metadata={"k": "v"})
    assert response["object"] == "response" and response["id"].startswith("resp_")
    assert response["status"] == "completed"
    assert response["output"] == [
        {
            "id": response["output"][0]["id"],
            "type": "message",
            "status": "completed",
            "role": "assistant",
            "content": [
                {"type": "output_text", "text": "Echo: Hello there", "annotations": [], "logprobs": []}
            ],
        }
    ]
    assert (response["instructions"], response["metadata"], response["store"]) == (
        "Be brief.",
        {"k": "v"},
        True,
    )
    assert response["text"] == {"format": {"type": "text"}, "verbosity": "medium"}
    assert set(response["usage"]) == {
        "input_tokens",
        "input_tokens_details",
        "output_tokens",
        "output_tokens_details",
        "total_tokens",
    }


def test_unknown_top_level_fields_are_ignored(client):
    extra = {"client_metadata": {"a": 1}, "prompt_cache_retention": "24h", "context_management": [{"x": 1}]}
    sent = converse_request(client, input="@@echo", **extra)
    assert set(sent) == {"modelId", "messages", "inferenceConfig"}


def test_instructions_and_items_reach_converse_as_system_and_turns(client):
    sent = converse_request(
        client,
        model=NOVA_PRO,
        instructions="Rules.",
        input=[{"role": "developer", "content": "More rules."}, {"role": "user", "content": "@@echo"}],
        max_output_tokens=99,
        temperature=0.5,
    )
    assert sent["system"] == [{"text": "Rules."}, {"text": "More rules."}]
    assert sent["messages"] == [{"role": "user", "content": [{"text": "@@echo"}]}]
    assert sent["inferenceConfig"] == {"maxTokens": 99, "temperature": 0.5}


def test_a_function_tool_loop_completes(client):
    first = create(client, input='Weather?\n@@tool get_weather {"city": "Paris"}', tools=[WEATHER])
    call = first["output"][0]
    assert {k: call[k] for k in ("type", "name", "arguments", "status")} == {
        "type": "function_call",
        "name": "get_weather",
        "arguments": '{"city": "Paris"}',
        "status": "completed",
    }
    history = [
        {"role": "user", "content": "Weather?"},
        call,
        {"type": "function_call_output", "call_id": call["call_id"], "output": "sunny"},
    ]
    second = create(client, input=history, tools=[WEATHER])
    assert second["output"][0]["content"][0]["text"] == f"Tool results: {call['call_id']}=sunny"


def test_tool_history_without_tools_still_works(client):
    history = [
        {"role": "user", "content": "Weather?"},
        {"type": "function_call", "call_id": "c1", "name": "get_weather", "arguments": "{}"},
        {"type": "function_call_output", "call_id": "c1", "output": "sunny"},
    ]
    assert create(client, input=history)["status"] == "completed"


def test_thinking_and_tools_second_turn_replays_the_signed_blocks(client):
    body = {"model": CLAUDE_37, "tools": [WEATHER], "reasoning": {"effort": "low"}}
    first = create(client, input='@@reasoning Need weather.\n@@tool get_weather {"city": "Oslo"}', **body)
    kinds = [item["type"] for item in first["output"]]
    assert kinds == ["reasoning", "function_call"]
    assert first["output"][0]["encrypted_content"].startswith("bgw1.")
    history = [
        {"role": "user", "content": "Weather?"},
        *first["output"],
        {"type": "function_call_output", "call_id": first["output"][1]["call_id"], "output": "cold"},
    ]
    sent = json.loads(
        create(client, input=[*history, {"role": "user", "content": "@@echo"}], **body)["output"][-1][
            "content"
        ][0]["text"]
    )
    assert sent["additionalModelRequestFields"]["thinking"]["type"] == "enabled"
    assert "reasoningContent" in sent["messages"][1]["content"][0]


def test_structured_output_is_json_text(client):
    schema = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
    response = create(
        client, input="Where?", text={"format": {"type": "json_schema", "name": "Place", "schema": schema}}
    )
    assert json.loads(response["output"][0]["content"][0]["text"]) == {"city": "city"}


def test_a_strict_schema_is_native_structured_output_where_the_model_has_it(client):
    schema = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
    text = {"format": {"type": "json_schema", "name": "Place", "schema": schema, "strict": True}}
    sent = converse_request(client, model="claude-sonnet-4-5", input="@@echo", text=text)
    assert "toolConfig" not in sent
    assert sent["outputConfig"] == {
        "textFormat": {
            "type": "json_schema",
            "structure": {"jsonSchema": {"schema": json.dumps(schema), "name": "Place"}},
        }
    }


@pytest.mark.parametrize(
    ("body", "param", "code"),
    [
        ({"background": True}, "background", None),
        ({"conversation": "conv_1"}, "conversation", None),
        ({"prompt": {"id": "pmpt_1"}}, "prompt", None),
        ({"previous_response_id": "resp_missing"}, "previous_response_id", "previous_response_not_found"),
        ({"tools": [{"type": "web_search"}], "tool_choice": {"type": "web_search"}}, "tool_choice", None),
        ({"input": 5}, "input", None),
        ({"model": "no-such-model"}, "model", "model_not_found"),
    ],
)
def test_requests_the_gateway_cannot_honour_are_4xx_in_openai_shape(client, body, param, code):
    response = client.post(URL, json={"model": CLAUDE, "input": "Hi", **body}, headers=AUTH)
    assert 400 <= response.status_code < 500
    error = response.get_json()["error"]
    assert (error["param"], error["code"]) == (param, code)


def test_cancel_is_a_400(client):
    response = client.post(f"{URL}/resp_x/cancel", headers=AUTH)
    assert response.status_code == 400


def test_throttling_before_the_first_byte_is_a_429_with_retry_after(client):
    response = client.post(
        URL, json={"model": CLAUDE, "input": fault("ThrottlingException"), "stream": True}, headers=AUTH
    )
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "1"
    error = error_body(response)["error"]  # Codex reads the delay from "try again in" anywhere in it
    assert error["code"] == "rate_limit_exceeded"
    assert error["message"].endswith("Please try again in 1s.")


def test_too_long_input_is_context_length_exceeded(client):
    prompt = (
        "@@fault ValidationException id="
        + uuid.uuid4().hex
        + " message=Input is too long for requested model."
    )
    response = client.post(URL, json={"model": CLAUDE, "input": prompt}, headers=AUTH)
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "context_length_exceeded"


class TestStreaming:
    def test_every_frame_is_named_and_numbered_and_ends_completed(self, client):
        stream = events(client, input="@@reply Hello")
        assert [e["type"] for e in stream] == [
            "response.created",
            "response.in_progress",
            "response.output_item.added",
            "response.content_part.added",
            "response.output_text.delta",
            "response.output_text.done",
            "response.content_part.done",
            "response.output_item.done",
            "response.completed",
        ]
        assert [e["sequence_number"] for e in stream] == list(range(len(stream)))

    def test_the_completed_response_equals_the_non_streaming_one(self, client):
        body = {"input": '@@tool get_weather {"city": "Rome"}\n@@reply Hi', "tools": [WEATHER]}
        assert comparable(events(client, **body)[-1]["response"]) == comparable(create(client, **body))

    def test_a_mid_stream_error_ends_in_response_failed(self, client):
        stream = events(
            client, input="@@words 6\n" + fault("ThrottlingException", "when=midstream", "after=2")
        )
        assert stream[-1]["type"] == "response.failed"
        assert stream[-1]["response"]["error"]["code"] == "rate_limit_exceeded"
        assert "try again in" in stream[-1]["response"]["error"]["message"]

    def test_max_tokens_ends_in_response_incomplete(self, client):
        stream = events(client, input="@@words 20", max_output_tokens=3)
        assert stream[-1]["type"] == "response.incomplete"
        assert stream[-1]["response"]["incomplete_details"] == {"reason": "max_output_tokens"}

    def test_a_model_without_streaming_still_streams(self, client):
        stream = events(client, model=JURASSIC, input="Hello")
        assert stream[-1]["type"] == "response.completed"
        assert stream[-1]["response"]["output"][0]["content"][0]["text"] == "Echo: Hello"


def test_the_keys_allowlist_applies(make_app):
    registry = {"keys": [{"name": "nova-only", "key": "sk-nova", "models": ["amazon.nova-*"]}]}
    with make_app(api_keys=(), api_keys_json=json.dumps(registry)).test_client() as client:
        headers = {"Authorization": "Bearer sk-nova"}
        refused = client.post(URL, json={"model": CLAUDE, "input": "Hi"}, headers=headers)
        assert (refused.status_code, refused.get_json()["error"]["code"]) == (404, "model_not_found")
        allowed = client.post(URL, json={"model": NOVA_PRO, "input": "Hi"}, headers=headers)
        assert allowed.status_code == 200


class TestKeepAlive:
    def test_a_silent_model_gets_numbered_in_progress_events(self, make_app):
        with make_app(sse_heartbeat_seconds=0.3).test_client() as client:
            stream = events(client, input="@@words 2\n@@latency token=1000")
        kinds = [e["type"] for e in stream]
        beats = [k for k, kind in enumerate(kinds) if kind == "response.in_progress"][1:]
        assert 2 <= len(beats) <= 4
        assert min(beats) > kinds.index("response.output_text.delta")  # never before the first event
        assert [e["sequence_number"] for e in stream] == list(range(len(stream)))
        assert stream[-1]["type"] == "response.completed"
        assert stream[-1]["response"]["output"][0]["content"][0]["text"] == "word1 word2"

    def test_the_drain_deadline_ends_the_stream_in_response_failed(self, make_app):
        from app.drain import DRAIN

        with make_app(sse_heartbeat_seconds=15).test_client() as client:
            body = {"model": CLAUDE, "input": "@@words 3\n@@latency token=4000", "stream": True}
            response = client.post(URL, json=body, headers=AUTH)
            iterator = iter(response.response)
            first = next(iterator)
            try:
                threading.Timer(0.2, DRAIN.begin, kwargs={"graceful_timeout": 1.0}).start()
                rest = b"".join(iterator)
            finally:
                response.close()
                DRAIN.started = DRAIN.deadline = None
        frames = [f for f in (first + rest).decode().split("\n\n") if f.startswith("event: ")]
        last = json.loads(frames[-1].split("data: ", 1)[1])
        assert (last["type"], last["response"]["status"]) == ("response.failed", "failed")
        assert last["response"]["error"]["code"] == "server_error"
