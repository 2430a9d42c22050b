"""ChatCompletionRequest: what loads, and the field path and message of what does not."""

from __future__ import annotations

import pytest
from marshmallow import ValidationError

from app.errors import first_message
from app.schemas.chat import ChatCompletionRequest

HI = [{"role": "user", "content": "hi"}]


def load(body: dict, **options) -> dict:
    return ChatCompletionRequest(**options).load(body)


def rejection(body: dict, **options) -> tuple[str, str]:
    with pytest.raises(ValidationError) as caught:
        load(body, **options)
    return first_message(caught.value.messages)


def request(**fields) -> dict:
    return {"model": "m", "messages": HI, **fields}


class TestAccepted:
    @pytest.mark.parametrize(
        "body",
        [
            request(),
            request(
                messages=[
                    {"role": "system", "content": "s", "name": "sys"},
                    {"role": "developer", "content": [{"type": "text", "text": "d"}]},
                    {
                        "role": "user",
                        "content": [
                            {"type": "text", "text": "t"},
                            {"type": "image_url", "image_url": {"url": "data:x", "detail": "low"}},
                        ],
                    },
                    {
                        "role": "assistant",
                        "content": None,
                        "refusal": None,
                        "audio": None,
                        "name": "bot",
                        "tool_calls": [
                            {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
                        ],
                        "reasoning_content": "r",
                        "thinking_blocks": [
                            {"type": "thinking", "thinking": "r", "signature": "s"},
                            {"type": "redacted_thinking", "data": "AA=="},
                        ],
                    },
                    {"role": "tool", "tool_call_id": "c1", "content": [{"type": "text", "text": "ok"}]},
                    {
                        "role": "assistant",
                        "content": [{"type": "text", "text": "a"}, {"type": "refusal", "refusal": "no"}],
                    },
                ]
            ),
            request(
                temperature=0, top_p=1, max_tokens=1, max_completion_tokens=9, n=1, stop="x", stream=False
            ),
            request(stop=["a", "b"], stream=True, stream_options={"include_usage": True}, logprobs=False),
            request(
                tools=[
                    {
                        "type": "function",
                        "function": {"name": "f", "parameters": {"type": "object"}, "strict": True},
                    }
                ],
                tool_choice="required",
            ),
            request(tool_choice={"type": "function", "function": {"name": "f"}}),
            request(
                response_format={
                    "type": "json_schema",
                    "json_schema": {"name": "n", "schema": {}, "strict": True},
                }
            ),
            request(response_format={"type": "json_object"}, reasoning_effort="xhigh"),
            request(
                temperature=None,
                top_p=None,
                max_tokens=None,
                stop=None,
                tools=None,
                functions=None,
                top_logprobs=None,
            ),
        ],
        ids=[
            "minimal",
            "every-role",
            "numbers",
            "stream",
            "tools",
            "named-choice",
            "json-schema",
            "json-object",
            "nulls",
        ],
    )
    def test_valid_bodies_load_unchanged(self, body):
        assert load(body) == body

    def test_ignored_openai_fields_and_unknown_keys_load_as_is(self):
        extras = {
            "user": "u", "seed": 1, "store": True, "metadata": {"k": "v"}, "service_tier": "auto",
            "logit_bias": {"1": 1}, "frequency_penalty": 1, "presence_penalty": 1,
            "parallel_tool_calls": True,
            "modalities": ["text"], "prediction": {"type": "content", "content": "x"}, "audio": None,
            "verbosity": "low", "web_search_options": {}, "prompt_cache_key": "k", "safety_identifier": "s",
            "top_k": 40, "anthropic_beta": ["x"],
        }  # fmt: skip
        assert load(request(**extras)) == request(**extras)

    def test_streamed_thinking_blocks_sent_back_lose_their_index(self):
        # openai-python's stream accumulator keeps each list delta's `index` in the message.
        signed = {"type": "thinking", "thinking": "t", "signature": "s"}
        redacted = {"type": "redacted_thinking", "data": "AAEC"}
        streamed = [{"index": 0, **redacted}, {"index": 1, **signed}]
        turn = {"role": "assistant", "content": "42", "thinking_blocks": streamed}
        assert load(request(messages=[*HI, turn]))["messages"][-1]["thinking_blocks"] == [redacted, signed]

    def test_a_refusal_sent_back_loads(self):
        turn = {"role": "assistant", "content": None, "refusal": "I cannot."}
        assert load(request(messages=[*HI, turn]))["messages"][-1] == turn

    def test_extra_body_merges_into_the_top_level_and_loses_to_explicit_keys(self):
        body = request(top_k=5, extra_body={"top_k": 3, "thinking": {"type": "enabled"}, "temperature": 0.5})
        assert load(body) == request(top_k=5, thinking={"type": "enabled"}, temperature=0.5)

    @pytest.mark.parametrize(
        ("value", "loaded"),
        [
            (True, {"system": True, "messages": True}),
            (False, {"system": False, "messages": False}),
            ({"system": True}, {"system": True}),
            ({"system": False, "messages": True}, {"system": False, "messages": True}),
        ],
    )
    def test_prompt_caching_control_is_normalised(self, value, loaded):
        assert load(request(prompt_caching=value))["prompt_caching"] == loaded
        assert load(request(extra_body={"prompt_caching": value}))["prompt_caching"] == loaded


class TestRejected:
    @pytest.mark.parametrize(
        ("body", "param", "fragment"),
        [
            ({"messages": HI}, "model", "Missing data"),
            ({"model": "m"}, "messages", "Missing data"),
            (request(messages=[]), "messages", "at least one message"),
            (request(messages="hi"), "messages", "Not a valid list"),
            (request(messages=["hi"]), "messages[0]", "must be an object"),
            (
                request(messages=[{"content": "x"}]),
                "messages[0].role",
                "Must be one of: system, developer, user, assistant, tool",
            ),
            (request(messages=[*HI, {"role": "bot", "content": "x"}]), "messages[1].role", "Must be one of"),
            (
                request(messages=[{"role": "function", "name": "f", "content": "x"}]),
                "messages[0].role",
                "use tools",
            ),
            (
                request(messages=[*HI, {"role": "user", "content": 5}]),
                "messages[1].content",
                "string or an array of content parts",
            ),
            (request(messages=[{"role": "user"}]), "messages[0].content", "Missing data"),
            (
                request(messages=[{"role": "user", "content": [{"type": "input_audio", "input_audio": {}}]}]),
                "messages[0].content[0].type",
                "input_audio content parts are not supported",
            ),
            (
                request(messages=[{"role": "user", "content": [{"type": "file", "file": {}}]}]),
                "messages[0].content[0].file.file_data",
                "Required: the file as a base64 data URL",
            ),
            (
                request(messages=[{"role": "user", "content": [{"type": "file", "file": {"file_id": "f"}}]}]),
                "messages[0].content[0].file.file_id",
                "file_id is not supported (there is no Files API here)",
            ),
            (
                request(messages=[{"role": "user", "content": [{"type": "video"}]}]),
                "messages[0].content[0].type",
                "Must be one of: text, image_url",
            ),
            (
                request(messages=[{"role": "user", "content": [{"type": "image_url", "image_url": {}}]}]),
                "messages[0].content[0].image_url.url",
                "Missing data",
            ),
            (
                request(messages=[{"role": "user", "content": [{"type": "text"}]}]),
                "messages[0].content[0].text",
                "Missing data",
            ),
            (
                request(
                    messages=[
                        {"role": "system", "content": [{"type": "image_url", "image_url": {"url": "u"}}]}
                    ]
                ),
                "messages[0].content[0].type",
                "Must be one of: text.",
            ),
            (
                request(messages=[*HI, {"role": "tool", "content": "x"}]),
                "messages[1].tool_call_id",
                "Missing data",
            ),
            (
                request(messages=[{"role": "assistant", "tool_calls": [{"id": "c", "type": "function"}]}]),
                "messages[0].tool_calls[0].function",
                "Missing data",
            ),
            (
                request(
                    messages=[{"role": "assistant", "tool_calls": [{"id": "c", "function": {"name": "f"}}]}]
                ),
                "messages[0].tool_calls[0].function.arguments",
                "Missing data",
            ),
            (
                request(
                    messages=[
                        {
                            "role": "assistant",
                            "tool_calls": [
                                {"id": "c", "type": "custom", "function": {"name": "f", "arguments": ""}}
                            ],
                        }
                    ]
                ),
                "messages[0].tool_calls[0].type",
                "function tool calls",
            ),
            (
                request(messages=[{"role": "assistant", "function_call": {"name": "f", "arguments": ""}}]),
                "messages[0].function_call",
                "use tool_calls",
            ),
            (
                request(
                    messages=[
                        {"role": "assistant", "content": "a", "thinking_blocks": [{"type": "thinking"}]}
                    ]
                ),
                "messages[0].thinking_blocks[0].thinking",
                "Required",
            ),
            (request(n=0), "n", "Must be at least 1"),
            (request(logprobs=True), "logprobs", "not supported"),
            (request(top_logprobs=2), "top_logprobs", "not supported"),
            (request(functions=[{"name": "f"}]), "functions", "use tools and tool_choice"),
            (request(function_call="auto"), "function_call", "use tools and tool_choice"),
            (request(temperature=2.5), "temperature", "between 0 and 2"),
            (request(temperature=-0.1), "temperature", "between 0 and 2"),
            (request(temperature="hot"), "temperature", "Not a valid number"),
            (request(top_p=1.5), "top_p", "between 0 and 1"),
            (request(max_tokens=0), "max_tokens", "at least 1"),
            (request(max_completion_tokens=-5), "max_completion_tokens", "at least 1"),
            (request(max_tokens=1.5), "max_tokens", "Not a valid integer"),
            (request(max_tokens=True), "max_tokens", "Not a valid integer"),
            (request(stop=3), "stop", "string or an array of strings"),
            (request(stop=["a", 1]), "stop[1]", "Not a valid string"),
            (
                request(reasoning_effort="extreme"),
                "reasoning_effort",
                "Must be one of: none, minimal, low, medium, high, xhigh, max",
            ),
            (request(tools={"type": "function"}), "tools", "Not a valid list"),
            (
                request(tools=[{"type": "custom", "custom": {"name": "c"}}]),
                "tools[0].type",
                "Only function tools",
            ),
            (request(tools=[{"type": "function", "function": {}}]), "tools[0].function.name", "Missing data"),
            (request(tools=[{"type": "function"}]), "tools[0].function", "Missing data"),
            (request(tool_choice="always"), "tool_choice", "Must be one of: none, auto, required"),
            (
                request(tool_choice={"type": "function", "function": {}}),
                "tool_choice.function.name",
                "Missing data",
            ),
            (
                request(tool_choice={"type": "custom", "custom": {"name": "c"}}),
                "tool_choice.type",
                "Custom tools are not supported",
            ),
            (request(tool_choice=3), "tool_choice", "Must be one of"),
            (
                request(response_format={"type": "yaml"}),
                "response_format.type",
                "Must be one of: text, json_object, json_schema",
            ),
            (
                request(response_format={"type": "json_schema"}),
                "response_format.json_schema",
                "Required when type is json_schema",
            ),
            (
                request(response_format={"type": "json_schema", "json_schema": {"schema": {}}}),
                "response_format.json_schema.name",
                "Missing data",
            ),
            (
                request(response_format={"type": "json_schema", "json_schema": {"name": "n"}}),
                "response_format.json_schema.schema",
                "Missing data",
            ),
            (request(stream="true"), "stream", "Must be a boolean"),
            (request(stream=1), "stream", "Must be a boolean"),
            (
                request(stream_options={"include_usage": "yes"}),
                "stream_options.include_usage",
                "Must be a boolean",
            ),
            (request(prompt_caching="yes"), "prompt_caching", "Must be a boolean or"),
            (request(prompt_caching={"system": 1}), "prompt_caching.system", "Must be a boolean"),
            (request(extra_body=[1]), "extra_body", "Must be an object"),
        ],
    )
    def test_invalid_bodies_name_the_field(self, body, param, fragment):
        path, message = rejection(body)
        assert path == param and fragment in message, (path, message)

    def test_too_many_messages(self):
        assert rejection(request(messages=HI * 4), max_messages=3) == (
            "messages",
            "Too many messages: at most 3 are allowed.",
        )

    def test_the_default_message_limit_is_2000(self):
        assert load(request(messages=HI * 2000))["messages"] == HI * 2000
        assert rejection(request(messages=HI * 2001))[0] == "messages"
