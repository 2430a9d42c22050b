"""Converse: default replies, usage, model resolution and every directive."""

import json
import time

import pytest
from emulator_helpers import HAIKU, SONNET_37, ask, reply_text, user

from app.emulator.thinking import sign

TOOLS = {"tools": [{"toolSpec": {"name": "get_weather", "inputSchema": {"json": {"type": "object"}}}}]}


def test_default_reply_echoes_last_user_text_whitespace_collapsed(runtime):
    response = ask(runtime, "  Hello,\n\n   world  ")
    assert response["output"]["message"] == {
        "role": "assistant",
        "content": [{"text": "Echo: Hello, world"}],
    }
    assert response["stopReason"] == "end_turn"
    assert response["usage"] == {"inputTokens": 2, "outputTokens": 3, "totalTokens": 5}
    assert isinstance(response["metrics"]["latencyMs"], int)


def test_input_tokens_count_words_of_system_and_all_messages(runtime):
    response = runtime.converse(
        modelId=HAIKU,
        system=[{"text": "be brief please"}],
        messages=[user("one two"), {"role": "assistant", "content": [{"text": "three"}]}, user("four")],
    )
    assert reply_text(response) == "Echo: four"
    assert response["usage"]["inputTokens"] == 3 + 2 + 1 + 1


@pytest.mark.parametrize(
    "model_id",
    [
        "us.anthropic.claude-3-7-sonnet-20250219-v1:0",
        "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.amazon.nova-pro-v1:0",
        "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/teamclaude01",
        "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0",
        "global.anthropic.claude-sonnet-4-5-20250929-v1:0",
    ],
)
def test_profiles_and_arns_invoke_their_model(runtime, emulator, model_id):
    assert reply_text(ask(runtime, "hi", model=model_id)) == "Echo: hi"
    (logged,) = emulator.state.recent(1)
    assert logged["modelId"] == model_id


def test_reply_directive_is_removed_from_prompt_and_repeatable(runtime):
    response = ask(runtime, "question\n@@reply First block.\n@@reply Second block.")
    content = response["output"]["message"]["content"]
    assert content == [{"text": "First block."}, {"text": "Second block."}]
    assert response["usage"]["inputTokens"] == 1


def test_directives_in_system_prompt_apply(runtime):
    response = runtime.converse(
        modelId=HAIKU, system=[{"text": "You are terse.\n@@reply from system"}], messages=[user("hi")]
    )
    assert reply_text(response) == "from system"


def test_echo_returns_request_body_with_model_id(runtime):
    response = ask(runtime, "@@echo", inferenceConfig={"maxTokens": 5, "temperature": 0.5})
    echoed = json.loads(reply_text(response))
    assert echoed == {
        "messages": [{"role": "user", "content": [{"text": "@@echo"}]}],
        "inferenceConfig": {"maxTokens": 5, "temperature": 0.5},
        "modelId": HAIKU,
    }
    assert response["stopReason"] == "end_turn"


def test_tool_directive_produces_parallel_tool_uses_with_deterministic_ids(runtime):
    text = 'weather?\n@@tool get_weather {"city": "Paris"}\n@@tool get_weather {"city": "Rome"}'
    first = runtime.converse(modelId=HAIKU, messages=[user(text)], toolConfig=TOOLS)
    second = runtime.converse(modelId=HAIKU, messages=[user(text)], toolConfig=TOOLS)
    content = first["output"]["message"]["content"]
    assert [b["toolUse"]["input"] for b in content] == [{"city": "Paris"}, {"city": "Rome"}]
    assert all(b["toolUse"]["name"] == "get_weather" for b in content)
    ids = [b["toolUse"]["toolUseId"] for b in content]
    assert all(i.startswith("tooluse_") for i in ids) and len(set(ids)) == 2
    assert second["output"]["message"]["content"] == content
    assert first["stopReason"] == "tool_use"


def test_tool_results_turn_gets_tool_results_reply(runtime):
    call = runtime.converse(modelId=HAIKU, messages=[user("@@tool get_weather")], toolConfig=TOOLS)
    tool_use = call["output"]["message"]["content"][0]["toolUse"]
    result = {
        "toolResult": {
            "toolUseId": tool_use["toolUseId"],
            "content": [{"json": {"temp": 21}}],
        }
    }
    messages = [user("@@tool get_weather"), call["output"]["message"], {"role": "user", "content": [result]}]
    response = runtime.converse(modelId=HAIKU, messages=messages, toolConfig=TOOLS)
    assert reply_text(response) == f'Tool results: {tool_use["toolUseId"]}={{"temp": 21}}'


def test_reasoning_directive_adds_signed_block_for_anthropic(runtime):
    response = ask(runtime, "hi\n@@reasoning Let me think.")
    reasoning, text = response["output"]["message"]["content"]
    assert reasoning == {
        "reasoningContent": {"reasoningText": {"text": "Let me think.", "signature": sign("Let me think.")}}
    }
    assert text == {"text": "Echo: hi"}
    assert response["usage"]["outputTokens"] == 3 + 2


def test_reasoning_directive_has_no_signature_for_non_anthropic(runtime):
    response = ask(runtime, "hi\n@@reasoning Hmm.", model="amazon.nova-lite-v1:0")
    reasoning = response["output"]["message"]["content"][0]["reasoningContent"]
    assert reasoning == {"reasoningText": {"text": "Hmm."}}


def test_deepseek_always_reasons_without_signature(runtime):
    response = ask(runtime, "why?", model="us.deepseek.r1-v1:0")
    content = response["output"]["message"]["content"]
    assert content == [
        {"reasoningContent": {"reasoningText": {"text": "Thinking about: why?"}}},
        {"text": "Echo: why?"},
    ]


def test_enabled_thinking_produces_default_signed_reasoning(runtime):
    response = ask(
        runtime,
        "plan it",
        model=SONNET_37,
        inferenceConfig={"maxTokens": 4000},
        additionalModelRequestFields={"thinking": {"type": "enabled", "budget_tokens": 1024}},
    )
    reasoning = response["output"]["message"]["content"][0]["reasoningContent"]["reasoningText"]
    assert reasoning == {"text": "Thinking about: plan it", "signature": sign("Thinking about: plan it")}


def test_words_directive_generates_numbered_words(runtime):
    response = ask(runtime, "@@words 5")
    assert reply_text(response) == "word1 word2 word3 word4 word5"
    assert response["usage"]["outputTokens"] == 5


def test_stop_directive_forces_stop_reason(runtime):
    assert ask(runtime, "@@stop content_filtered")["stopReason"] == "content_filtered"


def test_usage_directive_overrides_and_total_sums_cache_counts(runtime):
    response = ask(runtime, "@@usage input=10 output=20 cache_read=30 cache_write=40")
    assert response["usage"] == {
        "inputTokens": 10,
        "outputTokens": 20,
        "cacheReadInputTokens": 30,
        "cacheWriteInputTokens": 40,
        "totalTokens": 100,
    }


def test_latency_directive_delays_converse_response(runtime):
    started = time.monotonic()
    response = ask(runtime, "@@latency first=300")
    assert time.monotonic() - started >= 0.3
    assert response["metrics"]["latencyMs"] >= 300


def test_max_tokens_truncates_words_and_reports_max_tokens(runtime):
    response = ask(runtime, "@@words 10", inferenceConfig={"maxTokens": 3})
    assert reply_text(response) == "word1 word2 word3"
    assert response["stopReason"] == "max_tokens"
    assert response["usage"]["outputTokens"] == 3


def test_stop_sequence_cuts_text_before_the_sequence(runtime):
    response = ask(runtime, "@@reply alpha beta STOP gamma", inferenceConfig={"stopSequences": ["STOP"]})
    assert reply_text(response) == "alpha beta "
    assert response["stopReason"] == "stop_sequence"


def test_cache_point_writes_then_reads_the_prefix(runtime):
    system = [{"text": "long shared context of six words"}, {"cachePoint": {"type": "default"}}]
    first = runtime.converse(modelId="amazon.nova-micro-v1:0", system=system, messages=[user("q one")])
    second = runtime.converse(modelId="amazon.nova-micro-v1:0", system=system, messages=[user("q two")])
    assert first["usage"] == {
        "inputTokens": 2,
        "outputTokens": 3,
        "cacheReadInputTokens": 0,
        "cacheWriteInputTokens": 6,
        "totalTokens": 11,
    }
    assert second["usage"]["cacheReadInputTokens"] == 6
    assert second["usage"]["cacheWriteInputTokens"] == 0


def test_image_input_is_accepted_by_vision_model(runtime):
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16
    image = {"image": {"format": "png", "source": {"bytes": png}}}
    messages = [{"role": "user", "content": [{"text": "what is this"}, image]}]
    assert reply_text(runtime.converse(modelId=HAIKU, messages=messages)) == "Echo: what is this"


def test_diff_hunk_lines_are_plain_text_not_directives(runtime):
    assert reply_text(ask(runtime, "@@ -1,2 +1,2 @@\n-a\n+b")) == "Echo: @@ -1,2 +1,2 @@ -a +b"


def test_redacted_directive_gives_redacted_reasoning_bytes(runtime):
    response = ask(runtime, "go\n@@redacted opaque bits")
    assert response["output"]["message"]["content"][0] == {
        "reasoningContent": {"redactedContent": b"opaque bits"}
    }


def test_redacted_reasoning_streams_as_one_delta(runtime):
    events = runtime.converse_stream(modelId=HAIKU, messages=[user("go\n@@redacted x")])["stream"]
    deltas = [e["contentBlockDelta"]["delta"] for e in events if "contentBlockDelta" in e]
    assert deltas[0] == {"reasoningContent": {"redactedContent": b"x"}}
