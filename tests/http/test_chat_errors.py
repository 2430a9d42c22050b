"""Chat completions that fail: OpenAI error objects with the right status, type, param and headers.

Bedrock's exceptions are raised for real by the emulator (``@@fault``) and reach the
gateway through boto3; after each failure the gateway must keep serving.
"""

from __future__ import annotations

import uuid

import pytest
from botocore.loaders import Loader

from app.bedrock import ERROR_MAP
from tests.conftest import error_body, unstamped
from tests.http.helpers_chat import (
    CLAUDE,
    CLAUDE_37,
    CLAUDE_37_BARE,
    LLAMA,
    NOVA_MICRO,
    URL,
    WEATHER_TOOL,
    accumulate,
    data_url,
    open_streams_after,
    post_chat,
    sse_payloads,
    stream_payloads,
    user,
)
from tests.http.test_errors import assert_openai_error

HI = [user("Hi")]


def with_image(url: str) -> list[dict]:
    return [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "What is it?"},
                {"type": "image_url", "image_url": {"url": url}},
            ],
        }
    ]


IMAGE_PARAM = "messages[0].content[1].image_url.url"

INVALID = [
    pytest.param({"messages": HI}, "model", "Missing data for required field", id="no-model"),
    pytest.param({"model": 5, "messages": HI}, "model", "Not a valid string", id="model-not-a-string"),
    pytest.param({"model": "", "messages": HI}, "model", "Shorter than minimum length 1", id="empty-model"),
    pytest.param({"model": CLAUDE}, "messages", "Missing data for required field", id="no-messages"),
    pytest.param({"model": CLAUDE, "messages": []}, "messages", "at least one message", id="empty-messages"),
    pytest.param(
        {"model": CLAUDE, "messages": "Hi"}, "messages", "Not a valid list", id="messages-not-a-list"
    ),
    pytest.param(
        {"model": CLAUDE, "messages": [{"role": "system", "content": "  "}]},
        "messages",
        "non-empty user or assistant message",
        id="only-blank-system",
    ),
    pytest.param(
        {"model": CLAUDE, "messages": [user("   ")]},
        "messages",
        "non-empty user or assistant message",
        id="only-blank-text",
    ),
    pytest.param(
        {"model": CLAUDE, "messages": [{"role": "robot", "content": "x"}]},
        "messages[0].role",
        "Must be one of: system, developer, user, assistant, tool",
        id="unknown-role",
    ),
    pytest.param(
        {"model": CLAUDE, "messages": [{"role": "function", "name": "f", "content": "x"}]},
        "messages[0].role",
        "use tools",
        id="function-role",
    ),
    pytest.param(
        {"model": CLAUDE, "messages": [{"role": "user"}]},
        "messages[0].content",
        "Missing data for required field",
        id="no-content",
    ),
    pytest.param(
        {"model": CLAUDE, "messages": [{"role": "user", "content": 5}]},
        "messages[0].content",
        "Must be a string or an array of content parts",
        id="content-not-text",
    ),
    pytest.param(
        {
            "model": CLAUDE,
            "messages": [{"role": "user", "content": [{"type": "input_audio", "input_audio": {}}]}],
        },
        "messages[0].content[0].type",
        "input_audio content parts are not supported",
        id="audio-part",
    ),
    pytest.param(
        {"model": CLAUDE, "messages": [{"role": "user", "content": [{"type": "image_url"}]}]},
        "messages[0].content[0].image_url",
        "Missing data for required field",
        id="image-part-without-url",
    ),
    pytest.param(
        {"model": CLAUDE, "messages": [user("a"), {"role": "tool", "content": "x"}]},
        "messages[1].tool_call_id",
        "Missing data for required field",
        id="tool-message-without-id",
    ),
    pytest.param(
        {
            "model": CLAUDE,
            "tools": [WEATHER_TOOL],
            "messages": [
                user("a"),
                {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "id": "c1",
                            "type": "function",
                            "function": {"name": "get_weather", "arguments": "{oops"},
                        }
                    ],
                },
                {"role": "tool", "tool_call_id": "c1", "content": "x"},
            ],
        },
        "messages[1].tool_calls[0].function.arguments",
        "not valid JSON",
        id="tool-call-arguments-not-json",
    ),
    pytest.param(
        {"model": CLAUDE, "messages": HI, "n": 9}, "n", "at most 8 choices", id="n-above-max-choices"
    ),
    pytest.param(
        {"model": CLAUDE, "messages": HI, "logprobs": True}, "logprobs", "not supported", id="logprobs"
    ),
    pytest.param(
        {"model": CLAUDE, "messages": HI, "top_logprobs": 2},
        "top_logprobs",
        "not supported",
        id="top-logprobs",
    ),
    pytest.param(
        {"model": CLAUDE, "messages": HI, "functions": [{"name": "f"}]},
        "functions",
        "use tools",
        id="functions",
    ),
    pytest.param(
        {"model": CLAUDE, "messages": HI, "function_call": "auto"},
        "function_call",
        "use tools",
        id="function-call",
    ),
    pytest.param(
        {"model": CLAUDE, "messages": HI, "temperature": "hot"},
        "temperature",
        "Not a valid number",
        id="temperature-not-a-number",
    ),
    pytest.param(
        {"model": CLAUDE, "messages": HI, "temperature": 2.5},
        "temperature",
        "between 0 and 2",
        id="temperature-above-2",
    ),
    pytest.param(
        {"model": CLAUDE, "messages": HI, "top_p": 1.5}, "top_p", "between 0 and 1", id="top-p-above-1"
    ),
    pytest.param(
        {"model": CLAUDE, "messages": HI, "max_tokens": 0}, "max_tokens", "at least 1", id="max-tokens-zero"
    ),
    pytest.param(
        {"model": CLAUDE, "messages": HI, "max_completion_tokens": 1.5},
        "max_completion_tokens",
        "Not a valid integer",
        id="max-completion-tokens-fraction",
    ),
    pytest.param(
        {"model": CLAUDE, "messages": HI, "stream": "yes"},
        "stream",
        "Must be a boolean",
        id="stream-not-boolean",
    ),
    pytest.param(
        {"model": CLAUDE, "messages": HI, "stream_options": {"include_usage": 1}},
        "stream_options.include_usage",
        "Must be a boolean",
        id="include-usage-not-boolean",
    ),
    pytest.param(
        {"model": CLAUDE, "messages": HI, "stop": 5},
        "stop",
        "Must be a string or an array of strings",
        id="stop-not-text",
    ),
    pytest.param(
        {"model": CLAUDE, "messages": HI, "tools": [{"type": "function"}]},
        "tools[0].function",
        "Missing data for required field",
        id="tool-without-function",
    ),
    pytest.param(
        {"model": CLAUDE, "messages": HI, "tools": [{"type": "retrieval", "function": {"name": "x"}}]},
        "tools[0].type",
        "Only function tools",
        id="non-function-tool",
    ),
    pytest.param(
        {"model": CLAUDE, "messages": HI, "tools": [{"type": "function", "function": {"name": "bad name!"}}]},
        "tools[0].function.name",
        "Tool names must be",
        id="bad-tool-name",
    ),
    pytest.param(
        {"model": CLAUDE, "messages": HI, "tool_choice": "sometimes"},
        "tool_choice",
        "Must be one of: none, auto, required",
        id="unknown-tool-choice",
    ),
    pytest.param(
        {"model": CLAUDE, "messages": HI, "tool_choice": "required"},
        "tool_choice",
        "requires at least one tool",
        id="required-without-tools",
    ),
    pytest.param(
        {
            "model": CLAUDE,
            "messages": HI,
            "tools": [WEATHER_TOOL],
            "tool_choice": {"type": "function", "function": {"name": "nope"}},
        },
        "tool_choice.function.name",
        "not in tools",
        id="tool-choice-names-unknown-tool",
    ),
    pytest.param(
        {"model": CLAUDE, "messages": HI, "reasoning_effort": "extreme"},
        "reasoning_effort",
        "Must be one of",
        id="unknown-reasoning-effort",
    ),
    pytest.param(
        {"model": CLAUDE_37, "messages": HI, "reasoning_effort": "low", "max_tokens": 1000},
        "max_tokens",
        "must exceed 1024",
        id="reasoning-with-too-few-tokens",
    ),
    pytest.param(
        {"model": CLAUDE, "messages": HI, "response_format": {"type": "json_schema"}},
        "response_format.json_schema",
        "Required when type is json_schema",
        id="json-schema-missing",
    ),
    pytest.param(
        {"model": CLAUDE, "messages": HI, "response_format": {"type": "xml"}},
        "response_format.type",
        "Must be one of: text, json_object, json_schema",
        id="unknown-response-format",
    ),
    pytest.param(
        {"model": CLAUDE, "messages": HI, "extra_body": "x"},
        "extra_body",
        "Must be an object",
        id="extra-body-not-an-object",
    ),
    pytest.param(
        {"model": CLAUDE, "messages": HI, "prompt_caching": "yes"},
        "prompt_caching",
        "Must be a boolean",
        id="prompt-caching-not-boolean",
    ),
    pytest.param(
        {"model": CLAUDE, "messages": with_image("data:image/png;base64,!!!!")},
        IMAGE_PARAM,
        "not valid base64",
        id="image-not-base64",
    ),
    pytest.param(
        {"model": CLAUDE, "messages": with_image("data:image/png,rawbytes")},
        IMAGE_PARAM,
        "data:image/png;base64",
        id="image-data-url-not-base64-encoded",
    ),
    pytest.param(
        {"model": CLAUDE, "messages": with_image(data_url(b"BM\x00\x00 a bitmap", "image/bmp"))},
        IMAGE_PARAM,
        "only jpeg, png, gif and webp",
        id="image-format-unsupported",
    ),
    pytest.param(
        {"model": CLAUDE, "messages": with_image("ftp://example.com/cat.png")},
        IMAGE_PARAM,
        "data:, http: or https:",
        id="image-url-scheme",
    ),
    pytest.param(
        {"model": CLAUDE, "messages": with_image("http://127.0.0.1:9/cat.png")},
        IMAGE_PARAM,
        "not a public address",
        id="image-url-private-address",
    ),
    pytest.param(
        {"model": CLAUDE, "messages": with_image("http://[::1]:9/cat.png")},
        IMAGE_PARAM,
        "not a public address",
        id="image-url-loopback-ipv6",
    ),
    pytest.param(
        {"model": CLAUDE, "messages": with_image("https://images.invalid/cat.png")},
        IMAGE_PARAM,
        "Could not fetch image from URL",
        id="image-url-unresolvable",
    ),
    pytest.param(
        {"model": NOVA_MICRO, "messages": with_image(data_url(b"GIF89a\x01\x00\x01\x00"))},
        "messages[0].content[1]",
        "does not accept image input",
        id="image-to-text-only-model",
    ),
    pytest.param(
        {"model": LLAMA, "messages": HI, "tools": [WEATHER_TOOL]},
        "tools",
        "does not support tools",
        id="tools-to-model-without-tool-use",
    ),
    pytest.param(
        {"model": "cohere.embed-english-v3", "messages": HI},
        "model",
        "is not a chat model",
        id="embedding-model",
    ),
]


def assert_still_serving(client) -> None:
    response = post_chat(client, {"model": CLAUDE, "messages": [user("Still there?")]})
    assert (response.status_code, response.get_json()["choices"][0]["message"]["content"]) == (
        200,
        "Echo: Still there?",
    )


@pytest.mark.parametrize(("payload", "param", "fragment"), INVALID)
def test_invalid_requests_are_400_naming_the_field(client, bedrock_emulator, payload, param, fragment):
    error = assert_openai_error(post_chat(client, payload), 400, "invalid_request_error", param=param)
    assert fragment in error["message"]
    assert bedrock_emulator.calls()["Converse"] == 0  # refused before Bedrock is called
    assert_still_serving(client)


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "stream"])
def test_an_invalid_streaming_request_is_a_plain_json_error(client, stream):
    response = post_chat(client, {"model": CLAUDE, "messages": HI, "n": 0, "stream": stream})
    assert_openai_error(response, 400, "invalid_request_error", param="n")


def test_a_request_without_the_api_key_is_401_before_validation(client):
    response = client.post(URL, json={"messages": "not even valid"})
    assert_openai_error(response, 401, "authentication_error", code="missing_api_key")


def test_an_unknown_model_is_404_model_not_found(client):
    response = post_chat(client, {"model": "acme.nothing-v9:0", "messages": HI})
    error = assert_openai_error(response, 404, "invalid_request_error", code="model_not_found", param="model")
    assert error["message"] == "The model `acme.nothing-v9:0` does not exist or you do not have access to it."
    assert_still_serving(client)


def test_a_bare_id_of_a_profile_only_model_is_bedrocks_400(client):
    response = post_chat(client, {"model": CLAUDE_37_BARE, "messages": HI})
    error = assert_openai_error(response, 400, "invalid_request_error", code="validation")
    assert error["message"] == (
        "Invocation of model ID anthropic.claude-3-7-sonnet-20250219-v1:0 with on-demand throughput isn't "
        "supported. Retry your request with the ID or ARN of an inference profile that contains this model."
    )
    assert_still_serving(client)


# Every Converse exception: (status, type, code, Retry-After, message prefixed with "Amazon Bedrock: ").
BEDROCK_ERRORS = {
    "ValidationException": (400, "invalid_request_error", "validation", None, False),
    "ConflictException": (409, "invalid_request_error", "conflict", None, False),
    "AccessDeniedException": (403, "permission_error", "bedrock_access_denied", None, None),
    "ResourceNotFoundException": (404, "invalid_request_error", "resource_not_found", None, False),
    "ThrottlingException": (429, "rate_limit_error", "throttling", "1", True),
    "ModelNotReadyException": (429, "rate_limit_error", "model_not_ready", "5", True),
    "ServiceQuotaExceededException": (429, "rate_limit_error", "service_quota_exceeded", "10", True),
    "ModelTimeoutException": (504, "server_error", "model_timeout", None, True),
    "ServiceUnavailableException": (503, "server_error", "service_unavailable", "1", True),
    "InternalServerException": (502, "server_error", "internal_server", None, True),
    "ModelErrorException": (502, "server_error", "model_error", None, True),
    "ModelStreamErrorException": (502, "server_error", "model_stream_error", None, True),
}
ACCESS_DENIED = (
    "Amazon Bedrock denied access to this model. Check model access and the gateway's IAM permissions."
)


def test_the_table_covers_every_bedrock_runtime_exception():
    shapes = Loader().load_service_model("bedrock-runtime", "service-2")["shapes"]
    assert set(BEDROCK_ERRORS) == {name for name, shape in shapes.items() if shape.get("exception")}
    assert set(BEDROCK_ERRORS) <= set(ERROR_MAP)


def expected_error(name: str, upstream_message: str) -> dict:
    status, type_, code, _, prefixed = BEDROCK_ERRORS[name]
    if prefixed is None:
        message = ACCESS_DENIED
    else:
        message = f"Amazon Bedrock: {upstream_message}" if prefixed else upstream_message
    return {"error": {"message": message, "type": type_, "param": None, "code": code}}


def fault(name: str, *options: str) -> str:
    return f"@@fault {name} {' '.join(options)} id={uuid.uuid4().hex} message=Scripted {name}."


@pytest.mark.parametrize("name", sorted(BEDROCK_ERRORS))
def test_bedrock_exceptions_map_to_openai_errors(client, name):
    response = post_chat(client, {"model": CLAUDE, "messages": [user(fault(name))]})
    status, _, _, retry_after, _ = BEDROCK_ERRORS[name]
    assert (response.status_code, response.content_type) == (status, "application/json")
    assert error_body(response) == expected_error(name, f"Scripted {name}.")
    assert response.headers.get("Retry-After") == retry_after
    assert_still_serving(client)


@pytest.mark.parametrize("name", sorted(BEDROCK_ERRORS))
def test_bedrock_exceptions_before_a_stream_starts_are_plain_http_errors(client, name):
    response = post_chat(client, {"model": CLAUDE, "messages": [user(fault(name))], "stream": True})
    status, _, _, retry_after, _ = BEDROCK_ERRORS[name]
    assert (response.status_code, response.content_type) == (status, "application/json")
    assert error_body(response) == expected_error(name, f"Scripted {name}.")
    assert response.headers.get("Retry-After") == retry_after


@pytest.mark.parametrize("name", sorted(BEDROCK_ERRORS))
def test_bedrock_exceptions_mid_stream_end_the_stream_with_an_error_event(client, bedrock_emulator, name):
    prompt = "@@words 6\n" + fault(name, "when=midstream", "after=3")
    payloads = stream_payloads(client, messages=[user(prompt)])
    *chunks, last = payloads
    assert "[DONE]" not in payloads
    assert unstamped(last) == expected_error(name, f"Scripted {name}.")
    assert accumulate(chunks)["message"] == {"role": "assistant", "content": "word1 word2 word3"}
    assert open_streams_after(bedrock_emulator) == 0
    assert_still_serving(client)


def test_a_transient_throttle_is_retried_until_it_succeeds(make_app, bedrock_emulator):
    client = make_app(bedrock_max_attempts=3).test_client()
    prompt = f"Hello\n@@fault ThrottlingException times=2 id={uuid.uuid4().hex}"
    response = post_chat(client, {"model": CLAUDE, "messages": [user(prompt)]})
    assert (response.status_code, response.get_json()["choices"][0]["message"]["content"]) == (
        200,
        "Echo: Hello",
    )
    assert bedrock_emulator.calls()["Converse"] == 3


def test_a_throttle_that_outlasts_the_attempts_is_429(make_app, bedrock_emulator):
    client = make_app(bedrock_max_attempts=2).test_client()
    prompt = f"Hello\n@@fault ThrottlingException times=3 id={uuid.uuid4().hex}"
    response = post_chat(client, {"model": CLAUDE, "messages": [user(prompt)]})
    assert_openai_error(response, 429, "rate_limit_error", code="throttling")
    assert bedrock_emulator.calls()["Converse"] == 2


def test_a_stream_that_fails_right_after_bedrock_starts_it_reports_an_error_event(client):
    prompt = "@@fault ModelTimeoutException when=midstream after=0 id=" + uuid.uuid4().hex
    response = post_chat(client, {"model": CLAUDE, "messages": [user(prompt)], "stream": True})
    # messageStart arrives first, so the stream has begun: the error comes as an event.
    payloads = sse_payloads(b"".join(response.response))
    assert response.status_code == 200
    assert payloads[-1]["error"]["code"] == "model_timeout"
    assert payloads[0]["choices"][0]["delta"]["role"] == "assistant"
