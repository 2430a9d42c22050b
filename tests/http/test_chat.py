"""POST /chat/completions through real boto3 against the emulator: what Bedrock receives, what clients get.

The emulator's ``@@echo`` directive replies with the Converse request it received, so the
translation is asserted end to end on whole values; other directives script the reply.
"""

from __future__ import annotations

import json
import time

import pytest

from app.emulator.thinking import sign
from tests.http.helpers_chat import (
    APP_PROFILE,
    CACHING,
    CLAUDE,
    CLAUDE_37,
    CLAUDE_45,
    DEEPSEEK,
    GIF_BYTES,
    JURASSIC,
    MISTRAL,
    NOVA_PRO,
    WEATHER_SPEC,
    WEATHER_TOOL,
    WEBP_BYTES,
    arguments,
    b64,
    completion,
    converse_request,
    data_url,
    jpeg_bytes,
    message_of,
    png_bytes,
    post_chat,
    user,
)
from tests.http.test_errors import assert_openai_error

TIME_TOOL = {"type": "function", "function": {"name": "get_time"}}
TIME_SPEC = {"toolSpec": {"name": "get_time", "inputSchema": {"json": {"type": "object", "properties": {}}}}}
ECHO = {"role": "system", "content": "@@echo"}


def assistant(content, **fields) -> dict:
    return {"role": "assistant", "content": content, **fields}


def call(call_id: str, name: str, args: str) -> dict:
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": args}}


def tool(call_id: str, content) -> dict:
    return {"role": "tool", "tool_call_id": call_id, "content": content}


def turn(role: str, *blocks: dict) -> dict:
    return {"role": role, "content": list(blocks)}


def text(value: str) -> dict:
    return {"text": value}


def tool_use(tool_id: str, name: str, args: dict) -> dict:
    return {"toolUse": {"toolUseId": tool_id, "name": name, "input": args}}


def tool_result(tool_id: str, *texts: str) -> dict:
    return {"toolResult": {"toolUseId": tool_id, "content": [text(t) for t in texts]}}


CACHE_POINT = {"cachePoint": {"type": "default"}}


# --- What Converse receives ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("messages", "system", "turns"),
    [
        pytest.param(
            [{"role": "system", "content": "Be brief."}, user("Hi\n@@echo")],
            [text("Be brief.")],
            [turn("user", text("Hi\n@@echo"))],
            id="system-message",
        ),
        pytest.param(
            [{"role": "developer", "content": "Be brief."}, user("Hi\n@@echo")],
            [text("Be brief.")],
            [turn("user", text("Hi\n@@echo"))],
            id="developer-message",
        ),
        pytest.param(
            [
                {
                    "role": "system",
                    "content": [{"type": "text", "text": "One."}, {"type": "text", "text": "Two."}],
                },
                user("Hi"),
                assistant("Hello."),
                {"role": "system", "content": "Three."},
                user("Again\n@@echo"),
            ],
            [text("One."), text("Two."), text("Three.")],
            [
                turn("user", text("Hi")),
                turn("assistant", text("Hello.")),
                turn("user", text("Again\n@@echo")),
            ],
            id="every-system-part-wherever-it-stands",
        ),
        pytest.param(
            [user("First."), user("Second.\n@@echo")],
            None,
            [turn("user", text("First."), text("Second.\n@@echo"))],
            id="consecutive-user-turns-merged",
        ),
        pytest.param(
            [user("Hi"), assistant("One."), assistant("Two."), user("Go on\n@@echo")],
            None,
            [
                turn("user", text("Hi")),
                turn("assistant", text("One."), text("Two.")),
                turn("user", text("Go on\n@@echo")),
            ],
            id="consecutive-assistant-turns-merged",
        ),
        pytest.param(
            [
                {
                    "role": "user",
                    "content": [{"type": "text", "text": "  \n "}, {"type": "text", "text": "Hi\n@@echo"}],
                }
            ],
            None,
            [turn("user", text("Hi\n@@echo"))],
            id="blank-text-part-dropped",
        ),
        pytest.param(
            [{"role": "system", "content": "   "}, user("Hi\n@@echo")],
            None,
            [turn("user", text("Hi\n@@echo"))],
            id="blank-system-dropped",
        ),
        pytest.param(
            [user("First."), assistant(""), user("Second.\n@@echo")],
            None,
            [turn("user", text("First."), text("Second.\n@@echo"))],
            id="blank-assistant-turn-dropped-and-neighbours-merged",
        ),
    ],
)
def test_system_prompts_and_turns_reach_converse_alternating_and_without_blank_text(
    client, messages, system, turns
):
    sent = converse_request(client, messages=messages)
    assert (sent.get("system"), sent["messages"]) == (system, turns)


def test_a_conversation_opening_with_an_assistant_greeting_still_reaches_converse(client):
    sent = converse_request(client, messages=[assistant("Hello! How can I help?"), user("Hi\n@@echo")])
    assert [t["role"] for t in sent["messages"]] == ["user", "assistant", "user"]
    assert sent["messages"][1:] == [
        turn("assistant", text("Hello! How can I help?")),
        turn("user", text("Hi\n@@echo")),
    ]


WEATHER_CALL = call("call_1", "get_weather", '{"city": "Paris"}')
TIME_CALL = call("call_2", "get_time", "")


@pytest.mark.parametrize(
    ("history", "turns"),
    [
        pytest.param(
            [user("Weather?"), assistant(None, tool_calls=[WEATHER_CALL]), tool("call_1", "Sunny")],
            [
                turn("user", text("Weather?")),
                turn("assistant", tool_use("call_1", "get_weather", {"city": "Paris"})),
                turn("user", tool_result("call_1", "Sunny")),
            ],
            id="call-and-result",
        ),
        pytest.param(
            [
                user("Weather?"),
                assistant("Let me check.", tool_calls=[WEATHER_CALL]),
                tool("call_1", "Sunny"),
            ],
            [
                turn("user", text("Weather?")),
                turn(
                    "assistant", text("Let me check."), tool_use("call_1", "get_weather", {"city": "Paris"})
                ),
                turn("user", tool_result("call_1", "Sunny")),
            ],
            id="text-then-call",
        ),
        pytest.param(
            [
                user("Weather and time?"),
                assistant("", tool_calls=[WEATHER_CALL, TIME_CALL]),
                tool("call_1", "Sunny"),
                tool("call_2", [{"type": "text", "text": "10:00"}, {"type": "text", "text": "CET"}]),
            ],
            [
                turn("user", text("Weather and time?")),
                turn(
                    "assistant",
                    tool_use("call_1", "get_weather", {"city": "Paris"}),
                    tool_use("call_2", "get_time", {}),
                ),
                turn("user", tool_result("call_1", "Sunny"), tool_result("call_2", "10:00", "CET")),
            ],
            id="parallel-calls-results-in-one-user-turn",
        ),
        pytest.param(
            [
                user("Weather?"),
                assistant(None, tool_calls=[WEATHER_CALL]),
                tool("call_1", "Sunny"),
                user("Thanks!"),
            ],
            [
                turn("user", text("Weather?")),
                turn("assistant", tool_use("call_1", "get_weather", {"city": "Paris"})),
                turn("user", tool_result("call_1", "Sunny"), text("Thanks!")),
            ],
            id="result-and-following-user-text-merged",
        ),
    ],
)
def test_tool_history_becomes_tool_use_and_tool_result_blocks(client, history, turns):
    sent = converse_request(client, messages=[ECHO, *history], tools=[WEATHER_TOOL, TIME_TOOL])
    assert sent["messages"] == turns
    assert sent["toolConfig"] == {"tools": [WEATHER_SPEC, TIME_SPEC]}


def test_a_tool_call_id_bedrock_refuses_is_replaced_the_same_way_in_call_and_result(client):
    history = [
        user("Weather?"),
        assistant(None, tool_calls=[call("call:1/x", "get_weather", "{}")]),
        tool("call:1/x", "Sunny"),
    ]
    sent = converse_request(client, messages=[ECHO, *history], tools=[WEATHER_TOOL])
    use_id = sent["messages"][1]["content"][0]["toolUse"]["toolUseId"]
    result_id = sent["messages"][2]["content"][0]["toolResult"]["toolUseId"]
    assert use_id == result_id
    assert use_id.replace("_", "").replace("-", "").isalnum()


IMAGES = [
    pytest.param(png_bytes(), "image/png", "png", id="png"),
    pytest.param(jpeg_bytes(), "image/jpeg", "jpeg", id="jpeg"),
    pytest.param(GIF_BYTES, "image/gif", "gif", id="gif"),
    pytest.param(WEBP_BYTES, "image/webp", "webp", id="webp"),
    pytest.param(png_bytes(), "image/jpeg", "png", id="format-from-bytes-not-label"),
]


@pytest.mark.parametrize(("raw", "mime", "fmt"), IMAGES)
def test_base64_images_arrive_as_image_bytes_in_the_format_of_their_content(client, raw, mime, fmt):
    content = [
        {"type": "text", "text": "What is this?\n@@echo"},
        {"type": "image_url", "image_url": {"url": data_url(raw, mime)}},
    ]
    sent = converse_request(client, messages=[{"role": "user", "content": content}])
    assert sent["messages"] == [
        turn("user", text("What is this?\n@@echo"), {"image": {"format": fmt, "source": {"bytes": b64(raw)}}})
    ]


@pytest.mark.parametrize("path", ["/cat.png", "/go"])
def test_http_image_urls_are_fetched_by_the_gateway(make_app, image_server, path):
    base, body = image_server
    client = make_app(allow_private_image_urls=True).test_client()
    content = [
        {"type": "text", "text": "Describe\n@@echo"},
        {"type": "image_url", "image_url": {"url": base + path}},
    ]
    sent = converse_request(client, messages=[{"role": "user", "content": content}])
    assert sent["messages"][0]["content"][1] == {"image": {"format": "png", "source": {"bytes": b64(body)}}}


@pytest.mark.parametrize(
    ("fields", "inference"),
    [
        pytest.param({}, None, id="nothing-set"),
        pytest.param({"max_tokens": 100}, {"maxTokens": 100}, id="max_tokens"),
        pytest.param({"max_completion_tokens": 200}, {"maxTokens": 200}, id="max_completion_tokens"),
        pytest.param(
            {"max_tokens": 100, "max_completion_tokens": 200}, {"maxTokens": 200}, id="completion-tokens-win"
        ),
        pytest.param({"temperature": 0.5, "top_p": 0.9}, {"temperature": 0.5, "topP": 0.9}, id="sampling"),
        pytest.param({"temperature": 1.7}, {"temperature": 1.0}, id="temperature-clamped-to-bedrock-range"),
        pytest.param({"stop": "END"}, {"stopSequences": ["END"]}, id="stop-string"),
        pytest.param({"stop": ["END", "STOP"]}, {"stopSequences": ["END", "STOP"]}, id="stop-list"),
    ],
)
def test_inference_parameters_become_inference_config(client, fields, inference):
    sent = converse_request(client, messages=[user("Hi\n@@echo")], **fields)
    assert sent.get("inferenceConfig") == inference


def test_temperature_and_top_p_together_reach_claude_sonnet_4_5_as_temperature_only(client):
    sent = converse_request(
        client, model=CLAUDE_45, messages=[user("Hi\n@@echo")], temperature=0.3, top_p=0.8
    )
    assert sent["inferenceConfig"] == {"temperature": 0.3}


def test_a_stop_sequence_cuts_the_reply_and_finishes_with_stop(client):
    body = completion(client, messages=[user("@@reply alpha beta END gamma")], stop=["END"])
    assert (body["choices"][0]["message"]["content"], body["choices"][0]["finish_reason"]) == (
        "alpha beta ",
        "stop",
    )


@pytest.mark.parametrize(
    ("tool_choice", "tool_config"),
    [
        pytest.param(None, {"tools": [WEATHER_SPEC, TIME_SPEC]}, id="unset"),
        pytest.param("auto", {"tools": [WEATHER_SPEC, TIME_SPEC], "toolChoice": {"auto": {}}}, id="auto"),
        pytest.param(
            "required", {"tools": [WEATHER_SPEC, TIME_SPEC], "toolChoice": {"any": {}}}, id="required"
        ),
        pytest.param(
            {"type": "function", "function": {"name": "get_time"}},
            {"tools": [WEATHER_SPEC, TIME_SPEC], "toolChoice": {"tool": {"name": "get_time"}}},
            id="named-function",
        ),
        pytest.param("none", None, id="none"),
    ],
)
def test_tools_and_tool_choice_become_tool_config(client, tool_choice, tool_config):
    fields = {} if tool_choice is None else {"tool_choice": tool_choice}
    sent = converse_request(client, messages=[user("Hi\n@@echo")], tools=[WEATHER_TOOL, TIME_TOOL], **fields)
    assert sent.get("toolConfig") == tool_config


def test_tool_choice_none_still_accepts_a_history_with_tool_calls(client):
    history = [
        user("Weather?"),
        assistant(None, tool_calls=[WEATHER_CALL]),
        tool("call_1", "Sunny"),
        user("Summarise."),
    ]
    body = completion(client, messages=history, tools=[WEATHER_TOOL], tool_choice="none")
    # Without a toolConfig the past call and result reach the model as text.
    assert body["choices"][0]["message"]["content"] == "Echo: [tool result for call_1: Sunny] Summarise."
    assert body["choices"][0]["finish_reason"] == "stop"
    received = converse_request(client, messages=[ECHO, *history], tools=[WEATHER_TOOL], tool_choice="none")
    assert "toolConfig" not in received


@pytest.mark.parametrize(
    ("model", "fields", "system", "last_user"),
    [
        pytest.param(
            CACHING,
            {"prompt_caching": {"system": True, "messages": True}},
            [text("You are terse."), CACHE_POINT],
            [text("Hi\n@@echo"), CACHE_POINT],
            id="sdk-extra-body-both",
        ),
        pytest.param(
            CACHING,
            {"extra_body": {"prompt_caching": {"system": True, "messages": True}}},
            [text("You are terse."), CACHE_POINT],
            [text("Hi\n@@echo"), CACHE_POINT],
            id="literal-extra-body-both",
        ),
        pytest.param(
            CACHING,
            {"prompt_caching": {"system": True, "messages": False}},
            [text("You are terse."), CACHE_POINT],
            [text("Hi\n@@echo")],
            id="system-only",
        ),
        pytest.param(
            NOVA_PRO,
            {"prompt_caching": {"system": True, "messages": True}},
            [text("You are terse."), CACHE_POINT],
            [text("Hi\n@@echo"), CACHE_POINT],
            id="nova-caches-too",
        ),
        pytest.param(CACHING, {}, [text("You are terse.")], [text("Hi\n@@echo")], id="not-asked"),
        pytest.param(
            CLAUDE,
            {"prompt_caching": {"system": True, "messages": True}},
            [text("You are terse.")],
            [text("Hi\n@@echo")],
            id="model-without-caching-gets-none",
        ),
    ],
)
def test_prompt_caching_inserts_cache_points_for_caching_models_only(
    client, model, fields, system, last_user
):
    messages = [{"role": "system", "content": "You are terse."}, user("Hi\n@@echo")]
    sent = converse_request(client, model=model, messages=messages, **fields)
    assert (sent["system"], sent["messages"][-1]["content"]) == (system, last_user)
    assert "additionalModelRequestFields" not in sent


@pytest.mark.parametrize(
    "fields",
    [
        pytest.param({"top_k": 50}, id="top-level"),
        pytest.param({"extra_body": {"top_k": 50}}, id="literal-extra-body"),
    ],
)
def test_unknown_fields_pass_through_as_additional_model_request_fields(client, fields):
    sent = converse_request(client, messages=[user("Hi\n@@echo")], **fields)
    assert sent["additionalModelRequestFields"] == {"top_k": 50}


def test_openai_fields_bedrock_cannot_honour_are_accepted_and_not_forwarded(client):
    """Only metadata and user reach Bedrock, as requestMetadata."""
    sent = converse_request(
        client,
        messages=[user("Hi\n@@echo")],
        user="user-1234",
        seed=7,
        store=False,
        metadata={"team": "a"},
        service_tier="auto",
        logit_bias={"50256": -100},
        frequency_penalty=0.5,
        presence_penalty=0.5,
        parallel_tool_calls=True,
        n=1,
        logprobs=False,
        stream=False,
        prompt_cache_key="k1",
        safety_identifier="s1",
    )
    assert sent == {
        "modelId": CLAUDE,
        "messages": [turn("user", text("Hi\n@@echo"))],
        "requestMetadata": {"user": "user-1234", "team": "a"},
    }


@pytest.mark.parametrize(
    ("fields", "max_tokens", "budget"),
    [
        pytest.param({"max_completion_tokens": 4096, "reasoning_effort": "low"}, 4096, 1228, id="low-30pct"),
        pytest.param(
            {"max_completion_tokens": 4096, "reasoning_effort": "medium"}, 4096, 2457, id="medium-60pct"
        ),
        pytest.param(
            {"max_completion_tokens": 4096, "reasoning_effort": "high"}, 4096, 4095, id="high-below-max"
        ),
        pytest.param({"max_tokens": 2000, "reasoning_effort": "low"}, 2000, 1024, id="at-least-1024"),
    ],
)
def test_reasoning_effort_turns_on_thinking_with_a_budget_share_of_max_tokens(
    client, fields, max_tokens, budget
):
    sent = converse_request(client, model=CLAUDE_37, messages=[user("Which is bigger?\n@@echo")], **fields)
    assert sent["inferenceConfig"] == {"maxTokens": max_tokens}
    assert sent["additionalModelRequestFields"] == {"thinking": {"type": "enabled", "budget_tokens": budget}}


def test_deepseek_r1_reasons_by_itself_and_reasoning_effort_is_dropped(client):
    message = message_of(
        client, model=DEEPSEEK, messages=[user("Which is bigger?\n@@echo")], reasoning_effort="high"
    )
    sent = json.loads(message["content"])
    assert sent == {"modelId": DEEPSEEK, "messages": [turn("user", text("Which is bigger?\n@@echo"))]}
    assert message["reasoning_content"] == "Thinking about: Which is bigger?"
    assert "thinking_blocks" not in message  # DeepSeek's reasoning is not signed


# --- What the client gets -------------------------------------------------------------------


def test_a_completion_has_the_openai_shape(client):
    before = int(time.time())
    body = completion(client, messages=[user("Hello   there\n friend")])
    assert body["id"].startswith("chatcmpl-") and len(body["id"]) > len("chatcmpl-")
    assert before <= body["created"] <= int(time.time())
    assert {k: v for k, v in body.items() if k not in ("id", "created")} == {
        "object": "chat.completion",
        "model": CLAUDE,
        "system_fingerprint": "fp_bedrock",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "Echo: Hello there friend", "refusal": None},
                "logprobs": None,
                "finish_reason": "stop",
            }
        ],
        "usage": {
            "prompt_tokens": 3,
            "completion_tokens": 4,
            "total_tokens": 7,
            "prompt_tokens_details": {"cached_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": 0},
        },
    }


@pytest.mark.parametrize(
    "model",
    [
        CLAUDE,
        "us.anthropic.claude-3-5-sonnet-20240620-v1:0",
        APP_PROFILE,
        NOVA_PRO,
        MISTRAL,
        JURASSIC,
    ],
)
def test_a_bedrock_id_profile_or_arn_is_reported_as_sent(client, model):
    body = completion(client, model=model, messages=[user("Hi")])
    assert (body["model"], body["choices"][0]["message"]["content"]) == (model, "Echo: Hi")


def test_a_request_with_only_a_system_message_is_answered(client):
    body = completion(client, model=CLAUDE, messages=[{"role": "system", "content": "Say hello."}])
    assert body["choices"][0]["message"]["content"] == "Echo: Say hello."


def test_a_gpt_alias_is_served_by_the_default_model(client, bedrock_emulator):
    completion(client, model="gpt-4o-mini", messages=[user("Hi")])
    assert bedrock_emulator.requests(1)[0]["modelId"] == CLAUDE


@pytest.mark.parametrize(
    ("stop_reason", "finish_reason"),
    [
        ("end_turn", "stop"),
        ("stop_sequence", "stop"),
        ("max_tokens", "length"),
        ("tool_use", "tool_calls"),
        ("content_filtered", "content_filter"),
        ("guardrail_intervened", "content_filter"),
    ],
)
def test_bedrock_stop_reasons_map_to_openai_finish_reasons(client, stop_reason, finish_reason):
    directive = f"@@stop {stop_reason}\n@@reply Done."
    if stop_reason == "tool_use":
        directive += '\n@@tool get_weather {"city": "Oslo"}'
    body = completion(client, messages=[user(directive)], tools=[WEATHER_TOOL])
    assert body["choices"][0]["finish_reason"] == finish_reason


def test_max_tokens_truncates_the_reply_with_finish_reason_length(client):
    body = completion(client, messages=[user("@@words 10")], max_tokens=3)
    assert body["choices"][0]["message"]["content"] == "word1 word2 word3"
    assert (body["choices"][0]["finish_reason"], body["usage"]["completion_tokens"]) == ("length", 3)


@pytest.mark.parametrize(
    ("directives", "content", "calls"),
    [
        pytest.param(
            ['@@tool get_weather {"city": "Paris"}'], None, [("get_weather", {"city": "Paris"})], id="one"
        ),
        pytest.param(
            ['@@tool get_weather {"city": "Paris"}', "@@tool get_time"],
            None,
            [("get_weather", {"city": "Paris"}), ("get_time", {})],
            id="parallel",
        ),
        pytest.param(
            ["@@reply Let me check.", '@@tool get_weather {"city": "Rome"}'],
            "Let me check.",
            [("get_weather", {"city": "Rome"})],
            id="text-and-call",
        ),
    ],
)
def test_tool_use_becomes_tool_calls_with_json_string_arguments(client, directives, content, calls):
    body = completion(
        client, messages=[user("Weather?\n" + "\n".join(directives))], tools=[WEATHER_TOOL, TIME_TOOL]
    )
    message = body["choices"][0]["message"]
    assert body["choices"][0]["finish_reason"] == "tool_calls"
    assert (message["role"], message["content"], arguments(message["tool_calls"])) == (
        "assistant",
        content,
        calls,
    )
    assert [set(c) for c in message["tool_calls"]] == [{"id", "type", "function"}] * len(calls)
    assert {c["type"] for c in message["tool_calls"]} == {"function"}
    ids = [c["id"] for c in message["tool_calls"]]
    assert len(set(ids)) == len(ids) and all(ids)


def test_reasoning_comes_back_as_reasoning_content_and_a_signed_thinking_block(client):
    message = message_of(client, messages=[user("Hi\n@@reasoning Let me think it over.")])
    assert message == {
        "role": "assistant",
        "content": "Echo: Hi",
        "reasoning_content": "Let me think it over.",
        "thinking_blocks": [
            {
                "type": "thinking",
                "thinking": "Let me think it over.",
                "signature": sign("Let me think it over."),
            }
        ],
        "refusal": None,
    }


def test_unsigned_reasoning_of_other_models_has_no_thinking_blocks(client):
    message = message_of(client, model=NOVA_PRO, messages=[user("Hi\n@@reasoning Hmm.")])
    assert message == {
        "role": "assistant",
        "content": "Echo: Hi",
        "reasoning_content": "Hmm.",
        "refusal": None,
    }


def test_usage_counts_cached_input_in_prompt_tokens_and_reports_it_apart(client):
    body = completion(client, messages=[user("Hi\n@@usage input=10 output=5 cache_read=100 cache_write=20")])
    assert body["usage"] == {
        "prompt_tokens": 130,
        "completion_tokens": 5,
        "total_tokens": 135,
        "prompt_tokens_details": {"cached_tokens": 100},
        "completion_tokens_details": {"reasoning_tokens": 0},
    }


def test_reasoning_tokens_are_counted_from_the_reasoning_text(client):
    body = completion(client, messages=[user("Hi\n@@reasoning one two three")])
    assert body["usage"]["completion_tokens_details"] == {"reasoning_tokens": 3}
    assert body["usage"]["completion_tokens"] == 5  # "one two three" and "Echo: Hi"


def test_a_repeated_cached_system_prompt_is_read_from_the_cache(client, bedrock_emulator):
    request = {
        "model": CACHING,
        "messages": [
            {"role": "system", "content": "You answer in exactly one short sentence."},
            user("Hi there"),
        ],
        "prompt_caching": {"system": True, "messages": False},
    }
    first, second = completion(client, **request)["usage"], completion(client, **request)["usage"]
    assert (first["prompt_tokens"], first["prompt_tokens_details"]) == (9, {"cached_tokens": 0})
    assert (second["prompt_tokens"], second["prompt_tokens_details"]) == (9, {"cached_tokens": 7})


def test_response_format_json_schema_returns_the_json_as_content(client):
    schema = {"type": "object", "properties": {"name": {"type": "string"}, "age": {"type": "integer"}}}
    body = completion(
        client,
        messages=[user('Who wrote the first program?\n@@tool Person {"name": "Ada", "age": 36}')],
        response_format={"type": "json_schema", "json_schema": {"name": "Person", "schema": schema}},
    )
    choice = body["choices"][0]
    assert (choice["finish_reason"], "tool_calls" in choice["message"]) == ("stop", False)
    assert json.loads(choice["message"]["content"]) == {"name": "Ada", "age": 36}


def test_response_format_json_object_returns_the_json_text(client):
    body = completion(
        client, messages=[user('@@reply {"answer": 42}')], response_format={"type": "json_object"}
    )
    assert body["choices"][0]["message"]["content"] == '{"answer": 42}'


# --- The users' guide, request by request ------------------------------------------------

GUIDE_QUESTION = "please identify and count all the objects in this images, list all the names"


def guide_image_request(url: str) -> dict:
    return {
        "model": "gpt-3.5-turbo",
        "messages": [
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": GUIDE_QUESTION},
                    {"type": "image_url", "image_url": {"url": url}},
                ],
            }
        ],
    }


def test_guide_image_url_that_cannot_be_fetched_is_a_clean_400(client):
    url = "https://github.com/aws-samples/bedrock-access-gateway/blob/main/assets/obj-detect.png?raw=true"
    response = post_chat(client, guide_image_request(url))
    error = assert_openai_error(
        response, 400, "invalid_request_error", param="messages[0].content[1].image_url.url"
    )
    assert error["message"].startswith("Could not fetch image from URL")


@pytest.mark.parametrize(
    ("raw", "mime"),
    [
        (jpeg_bytes(), "image/jpeg"),
        (png_bytes(), "image/png"),
        (GIF_BYTES, "image/gif"),
        (WEBP_BYTES, "image/webp"),
    ],
    ids=["jpeg", "png", "gif", "webp"],
)
def test_guide_base64_image_request(client, raw, mime):
    body = post_chat(client, guide_image_request(data_url(raw, mime))).get_json()
    # As the guide shows: the alias is answered by the Bedrock model that served it.
    assert (body["model"], body["choices"][0]) == (
        CLAUDE,
        {
            "index": 0,
            "message": {"role": "assistant", "content": f"Echo: {GUIDE_QUESTION}", "refusal": None},
            "logprobs": None,
            "finish_reason": "stop",
        },
    )


GUIDE_TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_current_weather",
            "description": "Get the current weather in a given location",
            "parameters": {
                "type": "object",
                "properties": {
                    "location": {"type": "string", "description": "The city or state which is required."},
                    "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
                },
                "required": ["location"],
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "get_current_location",
            "description": "Use this tool to get the current location if user does not provide a location",
            "parameters": {"type": "object", "properties": {}},
        },
    },
]


def test_guide_tool_request(client):
    question = "What is the weather like in Shanghai today?"
    body = post_chat(
        client,
        {"model": "gpt-3.5-turbo", "messages": [user(question)], "tools": GUIDE_TOOLS, "tool_choice": "auto"},
    ).get_json()
    assert body["choices"][0]["message"]["content"] == f"Echo: {question}"
    scripted = post_chat(
        client,
        {
            "model": "gpt-3.5-turbo",
            "messages": [
                user(question + '\n@@tool get_current_weather {"location": "Shanghai", "unit": "celsius"}')
            ],
            "tools": GUIDE_TOOLS,
            "tool_choice": "auto",
        },
    ).get_json()
    choice = scripted["choices"][0]
    assert choice["finish_reason"] == "tool_calls"
    assert arguments(choice["message"]["tool_calls"]) == [
        ("get_current_weather", {"location": "Shanghai", "unit": "celsius"})
    ]


@pytest.mark.parametrize(
    "request_body",
    [
        pytest.param(
            {
                "model": "us.anthropic.claude-3-7-sonnet-20250219-v1:0",
                "messages": [{"role": "user", "content": "which one is bigger, 3.9 or 3.11?"}],
                "max_completion_tokens": 4096,
                "reasoning_effort": "low",
                "stream": False,
            },
            id="claude-3.7",
        ),
        pytest.param(
            {
                "model": "us.deepseek.r1-v1:0",
                "messages": [{"role": "user", "content": "which one is bigger, 3.9 or 3.11?"}],
                "stream": False,
            },
            id="deepseek-r1",
        ),
    ],
)
def test_guide_reasoning_requests(client, request_body):
    body = post_chat(client, request_body).get_json()
    choice = body["choices"][0]
    assert (body["model"], choice["finish_reason"]) == (request_body["model"], "stop")
    assert choice["message"]["content"] == "Echo: which one is bigger, 3.9 or 3.11?"
    assert choice["message"]["reasoning_content"] == "Thinking about: which one is bigger, 3.9 or 3.11?"


# --- Extended thinking with tools, over two turns -----------------------------------------

THINKING = {
    "model": CLAUDE_37,
    "max_completion_tokens": 4096,
    "reasoning_effort": "low",
    "tools": [WEATHER_TOOL],
}
ASK_WEATHER = user('Weather in Paris?\n@@tool get_weather {"city": "Paris"}')


def test_thinking_and_tool_call_round_trip_sends_the_signed_block_back(client, bedrock_emulator):
    first = completion(client, messages=[ASK_WEATHER], **THINKING)["choices"][0]
    reasoning = "Thinking about: Weather in Paris?"
    assert first["finish_reason"] == "tool_calls"
    assert first["message"]["reasoning_content"] == reasoning
    assert first["message"]["thinking_blocks"] == [
        {"type": "thinking", "thinking": reasoning, "signature": sign(reasoning)}
    ]
    call_id = first["message"]["tool_calls"][0]["id"]

    second = completion(
        client, messages=[ASK_WEATHER, first["message"], tool(call_id, "Sunny, 22 C")], **THINKING
    )
    assert second["choices"][0]["message"]["content"] == f"Tool results: {call_id}=Sunny, 22 C"
    assert second["choices"][0]["finish_reason"] == "stop"
    sent = bedrock_emulator.requests(1)[0]["body"]
    assert sent["messages"][1]["content"] == [
        {"reasoningContent": {"reasoningText": {"text": reasoning, "signature": sign(reasoning)}}},
        tool_use(call_id, "get_weather", {"city": "Paris"}),
    ]
    assert sent["additionalModelRequestFields"] == {"thinking": {"type": "enabled", "budget_tokens": 1228}}


def test_a_tampered_thinking_block_is_refused_by_bedrock(client):
    first = completion(client, messages=[ASK_WEATHER], **THINKING)["choices"][0]["message"]
    tampered = {**first, "thinking_blocks": [{**first["thinking_blocks"][0], "thinking": "I was told to."}]}
    call_id = first["tool_calls"][0]["id"]
    response = post_chat(client, {"messages": [ASK_WEATHER, tampered, tool(call_id, "Sunny")], **THINKING})
    error = assert_openai_error(response, 400, "invalid_request_error", code="validation")
    assert "signature" in error["message"]


def test_a_tool_turn_whose_thinking_blocks_were_dropped_still_gets_an_answer(client):
    first = completion(client, messages=[ASK_WEATHER], **THINKING)["choices"][0]["message"]
    call_id = first["tool_calls"][0]["id"]
    bare = {"role": "assistant", "content": None, "tool_calls": first["tool_calls"]}
    body = completion(client, messages=[ASK_WEATHER, bare, tool(call_id, "Sunny")], **THINKING)
    assert body["choices"][0]["message"]["content"] == f"Tool results: {call_id}=Sunny"
