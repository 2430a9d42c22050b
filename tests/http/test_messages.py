"""POST /v1/messages on Converse models, through real boto3 against the emulator; Anthropic errors."""

from __future__ import annotations

import json

import pytest
from botocore.loaders import Loader

from tests.conftest import API_KEY

HEADERS = {"x-api-key": API_KEY, "anthropic-version": "2023-06-01"}
NOVA = "amazon.nova-pro-v1:0"
# The events of the text block "Echo: Hello there", one delta a word.
ECHO_HELLO_THERE = [
    "content_block_start",
    "content_block_delta",
    "content_block_delta",
    "content_block_delta",
    "content_block_stop",
]


def post(client, body: dict, path: str = "/v1/messages", headers: dict | None = None):
    return client.post(path, json=body, headers=HEADERS if headers is None else headers)


def message(model: str = NOVA, text: str = "Hello there", **fields) -> dict:
    return {"model": model, "max_tokens": 200, "messages": [{"role": "user", "content": text}], **fields}


def assert_anthropic_error(response, status: int, type_: str, fragment: str = "") -> None:
    body = response.get_json()
    assert response.status_code == status, body
    assert body == {
        "type": "error",
        "error": {"type": type_, "message": body["error"]["message"]},
        "request_id": response.headers["request-id"],
    }
    assert fragment in body["error"]["message"]


def sse_events(response) -> list[tuple[str, dict]]:
    events = []
    for frame in response.get_data(as_text=True).strip().split("\n\n"):
        name, data = frame.split("\n")
        events.append((name.removeprefix("event: "), json.loads(data.removeprefix("data: "))))
    return events


class TestConverse:
    def test_a_text_answer_echoes_the_requested_model(self, client):
        response = post(client, message())
        body = response.get_json()
        assert response.status_code == 200
        assert response.headers["request-id"]
        assert body["id"].startswith("msg_")
        assert {key: body[key] for key in body if key != "id"} == {
            "type": "message",
            "role": "assistant",
            "model": NOVA,
            "content": [{"type": "text", "text": "Echo: Hello there"}],
            "stop_reason": "end_turn",
            "stop_sequence": None,
            "usage": {
                "input_tokens": 2,
                "output_tokens": 3,
                "cache_creation_input_tokens": 0,
                "cache_read_input_tokens": 0,
            },
        }

    def test_the_converse_request_is_the_translation(self, client):
        body = message(
            system="@@echo",
            temperature=0.3,
            stop_sequences=["END"],
            tools=[{"name": "lookup", "input_schema": {"type": "object", "properties": {}}}],
            tool_choice={"type": "auto"},
            metadata={"user_id": "u1"},
            thinking={"type": "enabled", "budget_tokens": 1024},
        )
        received = json.loads(post(client, body).get_json()["content"][0]["text"])
        assert received == {
            "modelId": NOVA,
            "messages": [{"role": "user", "content": [{"text": "Hello there"}]}],
            "system": [{"text": "@@echo"}],
            "inferenceConfig": {"maxTokens": 200, "temperature": 0.3, "stopSequences": ["END"]},
            "toolConfig": {
                "tools": [
                    {
                        "toolSpec": {
                            "name": "lookup",
                            "inputSchema": {"json": {"type": "object", "properties": {}}},
                        }
                    }
                ],
                "toolChoice": {"auto": {}},
            },
        }

    def test_a_tool_call_then_its_result(self, client):
        tools = [
            {
                "name": "get_weather",
                "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}},
            }
        ]
        first = post(client, message(text='@@tool get_weather {"city": "Paris"}', tools=tools)).get_json()
        assert first["stop_reason"] == "tool_use"
        call = first["content"][0]
        assert call == {
            "type": "tool_use",
            "id": call["id"],
            "name": "get_weather",
            "input": {"city": "Paris"},
        }
        history = [
            {"role": "user", "content": "Weather in Paris?"},
            {"role": "assistant", "content": first["content"]},
            {
                "role": "user",
                "content": [{"type": "tool_result", "tool_use_id": call["id"], "content": "sunny"}],
            },
        ]
        second = post(
            client, {"model": NOVA, "max_tokens": 100, "messages": history, "tools": tools}
        ).get_json()
        assert second["content"] == [{"type": "text", "text": f"Tool results: {call['id']}=sunny"}]

    def test_streaming_opens_every_block_and_ends_with_usage(self, client):
        response = post(client, message(stream=True))
        assert response.mimetype == "text/event-stream"
        events = sse_events(response)
        assert [name for name, _ in events] == [
            "message_start",
            *ECHO_HELLO_THERE,
            "message_delta",
            "message_stop",
        ]
        assert all(name == data["type"] for name, data in events)
        assert events[0][1]["message"]["model"] == NOVA
        assert events[-2][1]["usage"]["input_tokens"] == 2

    def test_a_bedrock_failure_mid_stream_is_an_error_event(self, client):
        response = post(
            client, message(text="@@fault ThrottlingException when=midstream after=1", stream=True)
        )
        name, data = sse_events(response)[-1]
        assert name == "error"
        assert data["type"] == "error" and data["error"]["type"] == "rate_limit_error"

    def test_count_tokens_where_bedrock_cannot_count_is_a_marked_estimate(self, client):
        response = post(
            client,
            {"model": NOVA, "messages": [{"role": "user", "content": "Hello there"}]},
            "/v1/messages/count_tokens",
        )
        assert response.status_code == 200
        assert response.get_json() == {"input_tokens": 2}
        assert response.headers["x-gateway-token-count"] == "estimate"

    def test_the_prefix_route_and_beta_query_are_served(self, client):
        assert post(client, message(), "/api/v1/messages?beta=true").status_code == 200


class TestErrors:
    def test_no_key_is_401_in_anthropics_envelope(self, client):
        assert_anthropic_error(post(client, message(), headers={}), 401, "authentication_error", "API key")

    def test_the_missing_key_message_names_the_x_api_key_header_anthropic_clients_send(self, client):
        assert_anthropic_error(
            post(client, message(), headers={}), 401, "authentication_error", "'x-api-key: <key>'"
        )

    def test_a_bearer_token_works_as_well_as_x_api_key(self, client):
        assert post(client, message(), headers={"Authorization": f"Bearer {API_KEY}"}).status_code == 200

    def test_an_unknown_model_is_404_not_found_error(self, client):
        assert_anthropic_error(
            post(client, message(model="claude-nope-9")), 404, "not_found_error", "claude-nope-9"
        )

    @pytest.mark.parametrize(
        ("body", "fragment"),
        [
            ({"model": NOVA, "messages": [{"role": "user", "content": "hi"}]}, "max_tokens"),
            (message(max_tokens="many"), "max_tokens"),
            (
                {"model": NOVA, "max_tokens": 10, "messages": [{"role": "tool", "content": "hi"}]},
                "messages[0].role",
            ),
            ({"model": NOVA, "max_tokens": 10, "messages": []}, "messages"),
        ],
    )
    def test_validation_is_400_invalid_request_error(self, client, body, fragment):
        assert_anthropic_error(post(client, body), 400, "invalid_request_error", fragment)

    def test_a_body_over_32_mb_is_413_request_too_large(self, client):
        response = client.post(
            "/v1/messages",
            data=b"x" * (32 * 1024 * 1024 + 1),
            headers={**HEADERS, "Content-Type": "application/json"},
        )
        assert_anthropic_error(response, 413, "request_too_large")

    def test_the_route_takes_bodies_above_the_gateways_own_limit(self, make_app):
        client = make_app(max_request_bytes=1024).test_client()
        assert post(client, message(text="x" * 2000)).status_code == 200

    def test_the_wrong_method_is_405_in_anthropics_envelope(self, client):
        assert_anthropic_error(client.get("/v1/messages", headers=HEADERS), 405, "invalid_request_error")

    @pytest.mark.parametrize("path", ["/v1/messages/batches", "/api/v1/messages/batches/msgbatch_1"])
    def test_an_unknown_messages_url_is_a_404_in_anthropics_envelope(self, client, path):
        assert_anthropic_error(client.get(path, headers=HEADERS), 404, "not_found_error")

    def test_openai_routes_keep_openais_envelope(self, client):
        body = client.post("/v1/chat/completions", json={}, headers=HEADERS).get_json()
        assert set(body) == {"error"}


# Every Bedrock runtime exception → Anthropic's (status, error type, retry-after), on both paths.
ANTHROPIC_ERRORS = {
    "ValidationException": (400, "invalid_request_error", None),
    "ConflictException": (409, "invalid_request_error", None),
    "AccessDeniedException": (403, "permission_error", None),
    "ResourceNotFoundException": (404, "not_found_error", None),
    "ThrottlingException": (429, "rate_limit_error", "1"),
    "ModelNotReadyException": (429, "rate_limit_error", "5"),
    "ServiceQuotaExceededException": (429, "rate_limit_error", "10"),
    "ModelTimeoutException": (504, "timeout_error", None),
    "ServiceUnavailableException": (529, "overloaded_error", "1"),
    "InternalServerException": (500, "api_error", None),
    "ModelErrorException": (500, "api_error", None),
    "ModelStreamErrorException": (500, "api_error", None),
}


def test_the_table_covers_every_bedrock_runtime_exception():
    shapes = Loader().load_service_model("bedrock-runtime", "service-2")["shapes"]
    assert set(ANTHROPIC_ERRORS) == {name for name, shape in shapes.items() if shape.get("exception")}


@pytest.mark.parametrize("model", [NOVA, "claude-haiku-4-5"])
@pytest.mark.parametrize("name", sorted(ANTHROPIC_ERRORS))
def test_every_bedrock_exception_gets_anthropics_status_and_type(client, model, name):
    status, type_, retry_after = ANTHROPIC_ERRORS[name]
    response = post(client, message(model=model, text=f"@@fault {name} message=Scripted {name}."))
    assert_anthropic_error(response, status, type_)
    assert response.headers.get("retry-after") == retry_after


@pytest.mark.parametrize("model", [NOVA, "claude-haiku-4-5"])
def test_pings_fill_a_silent_model_and_the_answer_is_unchanged(make_app, model):
    client = make_app(sse_heartbeat_seconds=0.3).test_client()
    response = post(client, message(model=model, text="@@words 2\n@@latency token=1000", stream=True))
    events = sse_events(response)
    response.close()
    names = [name for name, _ in events]
    pings = [index for index, name in enumerate(names) if name == "ping"]
    assert 2 <= len(pings) <= 4 and min(pings) > 0  # never before message_start
    assert all(events[index][1] == {"type": "ping"} for index in pings)
    text = "".join(data["delta"]["text"] for name, data in events if name == "content_block_delta")
    assert (text, names[-1]) == ("word1 word2", "message_stop")


MALFORMED = [
    [{"type": "tool_result", "tool_use_id": "t", "content": ["x", 3]}],
    [{"type": "text", "text": "hi", "cache_control": True}],
    [{"type": "image", "source": "http://example.com/a.png"}],
    [{"type": "image"}],
    [{"type": "document", "source": {"type": "base64", "data": "!!"}}],
]


@pytest.mark.parametrize("model", [NOVA, "claude-haiku-4-5"])
@pytest.mark.parametrize("content", MALFORMED)
def test_malformed_blocks_are_a_400_never_a_500(client, model, content):
    body = {"model": model, "max_tokens": 10, "messages": [{"role": "user", "content": content}]}
    assert_anthropic_error(post(client, body), 400, "invalid_request_error")


NULL_OPTIONALS = [
    {"tools": None},
    {"system": [{"type": "text", "text": "Be brief.", "cache_control": None}]},
    {"messages": [{"role": "user", "content": [{"type": "text", "text": "Hi", "cache_control": None}]}]},
]


@pytest.mark.parametrize("model", [NOVA, "claude-haiku-4-5"])
@pytest.mark.parametrize("fields", NULL_OPTIONALS)
def test_a_null_optional_field_is_the_same_as_leaving_it_out(client, model, fields):
    for stream in (False, True):
        response = post(client, message(model, stream=stream, **fields))
        assert response.status_code == 200, response.get_data(as_text=True)


@pytest.mark.parametrize("stop_sequences", [1, [None], [{}]])
def test_count_tokens_with_malformed_stop_sequences_is_a_400(client, stop_sequences):
    body = {**message("claude-haiku-4-5"), "stop_sequences": stop_sequences}
    response = post(client, body, path="/v1/messages/count_tokens")
    assert_anthropic_error(response, 400, "invalid_request_error", "stop_sequences")


@pytest.mark.parametrize("model", [NOVA, "claude-haiku-4-5"])
@pytest.mark.parametrize("sampling", [{"temperature": "x"}, {"top_p": [1]}, {"top_k": "5"}])
def test_count_tokens_with_malformed_sampling_fields_is_a_400(client, model, sampling):
    response = post(client, {**message(model), **sampling}, path="/v1/messages/count_tokens")
    assert_anthropic_error(response, 400, "invalid_request_error", next(iter(sampling)))


class TestStopSequenceOnConverse:
    """Converse says a stop sequence matched, not which one."""

    def test_the_one_sequence_sent_is_named_as_the_one_that_matched(self, client):
        body = message(text="@@stop stop_sequence\nhi", stop_sequences=["END"])
        answer = post(client, body).get_json()
        assert (answer["stop_reason"], answer["stop_sequence"]) == ("stop_sequence", "END")

    def test_with_several_sequences_sent_the_match_is_null(self, client):
        body = message(text="@@stop stop_sequence\nhi", stop_sequences=["END", "STOP"])
        answer = post(client, body).get_json()
        assert (answer["stop_reason"], answer["stop_sequence"]) == ("stop_sequence", None)

    def test_a_stream_names_it_in_message_delta(self, client):
        body = message(text="@@stop stop_sequence\nhi", stop_sequences=["END"], stream=True)
        deltas = [data for name, data in sse_events(post(client, body)) if name == "message_delta"]
        assert [delta["delta"] for delta in deltas] == [
            {"stop_reason": "stop_sequence", "stop_sequence": "END"}
        ]

    def test_an_answer_that_ended_on_its_own_names_none(self, client):
        answer = post(client, message(stop_sequences=["END"])).get_json()
        assert (answer["stop_reason"], answer["stop_sequence"]) == ("end_turn", None)
