"""InvokeModel and InvokeModelWithResponseStream for Claude with an Anthropic Messages body."""

import json
import re

import pytest
from botocore.exceptions import EventStreamError
from emulator_helpers import SONNET_45, claude_body, claude_events, invoke_claude

from app.emulator.thinking import sign

TOOLS = [{"name": "lookup", "input_schema": {"type": "object"}}]
CACHED = {"cache_control": {"type": "ephemeral"}}
THINKING = {"thinking": {"type": "enabled", "budget_tokens": 1024}}
USAGE = {"input_tokens": 2, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0}


def without_id(message: dict) -> dict:
    assert re.fullmatch(r"msg_bdrk_01[0-9a-f]{22}", message["id"])
    return {key: value for key, value in message.items() if key != "id"}


def test_text_reply_is_an_anthropic_message_object(runtime):
    message, _ = invoke_claude(runtime, claude_body("Hello world"))
    assert without_id(message) == {
        "type": "message",
        "role": "assistant",
        "model": "claude-sonnet-4-5-20250929",
        "content": [{"type": "text", "text": "Echo: Hello world"}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {**USAGE, "output_tokens": 3},
    }


def test_non_stream_response_carries_token_count_headers(runtime):
    _, headers = invoke_claude(runtime, claude_body("Hello world"))
    assert headers["content-type"] == "application/json"
    assert headers["x-amzn-bedrock-input-token-count"] == "2"
    assert headers["x-amzn-bedrock-output-token-count"] == "3"
    assert int(headers["x-amzn-bedrock-invocation-latency"]) >= 0
    assert "x-amzn-bedrock-cache-read-input-token-count" not in headers


@pytest.mark.parametrize(
    ("model_id", "name"),
    [
        ("anthropic.claude-3-haiku-20240307-v1:0", "claude-3-haiku-20240307"),
        ("global.anthropic.claude-opus-4-6-v1", "claude-opus-4-6"),
        ("us.anthropic.claude-haiku-4-5-20251001-v1:0", "claude-haiku-4-5-20251001"),
        (
            "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/teamclaude01",
            "claude-3-5-sonnet-20240620",
        ),
        (
            "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-5-sonnet-20240620-v1:0",
            "claude-3-5-sonnet-20240620",
        ),
    ],
)
def test_foundation_ids_profiles_and_arns_reach_claude(runtime, model_id, name):
    message, _ = invoke_claude(runtime, claude_body("hi"), model=model_id)
    assert message["model"] == name
    assert message["content"] == [{"type": "text", "text": "Echo: hi"}]


def test_profile_only_model_by_bare_id_is_refused(runtime):
    with pytest.raises(runtime.exceptions.ValidationException, match="on-demand throughput isn't supported"):
        invoke_claude(runtime, claude_body("hi"), model="anthropic.claude-sonnet-4-5-20250929-v1:0")


def test_echo_returns_the_received_body_with_model_id(runtime):
    body = claude_body("@@echo", system="be brief", metadata={"user_id": "u1"})
    message, _ = invoke_claude(runtime, body)
    assert json.loads(message["content"][0]["text"]) == {**body, "modelId": SONNET_45}


def test_tool_directive_gives_tool_use_blocks_with_bedrock_ids(runtime):
    body = claude_body('look\n@@tool lookup {"q": "x"}\n@@tool lookup {"q": "y"}', tools=TOOLS)
    message, _ = invoke_claude(runtime, body)
    assert message["stop_reason"] == "tool_use"
    calls = message["content"]
    assert [(c["type"], c["name"], c["input"]) for c in calls] == [
        ("tool_use", "lookup", {"q": "x"}),
        ("tool_use", "lookup", {"q": "y"}),
    ]
    assert all(re.fullmatch(r"toolu_bdrk_[0-9a-f]{22}", c["id"]) for c in calls)


def test_thinking_gives_a_signed_thinking_block_first(runtime):
    message, _ = invoke_claude(runtime, claude_body("go", **THINKING))
    assert message["content"][0] == {
        "type": "thinking",
        "thinking": "Thinking about: go",
        "signature": sign("Thinking about: go"),
    }


def test_omitted_thinking_display_returns_empty_text_with_a_signature_that_round_trips(runtime):
    thinking = {"thinking": {"type": "enabled", "budget_tokens": 1024, "display": "omitted"}}
    first, _ = invoke_claude(runtime, claude_body("look\n@@tool lookup", tools=TOOLS, **thinking))
    assert first["content"][0] == {"type": "thinking", "thinking": "", "signature": sign("")}
    result = {"type": "tool_result", "tool_use_id": first["content"][1]["id"], "content": "ok"}
    body = claude_body("look", tools=TOOLS, **thinking)
    body["messages"] += [
        {"role": "assistant", "content": first["content"]},
        {"role": "user", "content": [result]},
    ]
    second, _ = invoke_claude(runtime, body)
    assert second["content"][-1]["text"] == f"Tool results: {result['tool_use_id']}=ok"


def test_thinking_and_tool_use_second_turn_accepts_the_issued_signature(runtime):
    first, _ = invoke_claude(runtime, claude_body("look\n@@tool lookup", tools=TOOLS, **THINKING))
    tool_id = first["content"][1]["id"]
    body = claude_body("look", tools=TOOLS, **THINKING)
    body["messages"] += [
        {"role": "assistant", "content": first["content"]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": tool_id, "content": "found"}]},
    ]
    second, _ = invoke_claude(runtime, body)
    assert [block["type"] for block in second["content"]] == ["thinking", "text"]
    assert second["content"][1]["text"] == f"Tool results: {tool_id}=found"


def test_redacted_directive_gives_a_redacted_thinking_block(runtime):
    message, _ = invoke_claude(runtime, claude_body("go\n@@redacted opaque bits"))
    assert message["content"][0] == {"type": "redacted_thinking", "data": "b3BhcXVlIGJpdHM="}


def test_cache_control_writes_then_reads_the_prefix(runtime):
    system = [{"type": "text", "text": "long stable instructions here", **CACHED}]
    first, first_headers = invoke_claude(runtime, claude_body("one", system=system))
    second, _ = invoke_claude(runtime, claude_body("two", system=system))
    assert first["usage"] == {
        "input_tokens": 1,
        "cache_creation_input_tokens": 4,
        "cache_read_input_tokens": 0,
        "output_tokens": 2,
    }
    assert second["usage"]["cache_read_input_tokens"] == 4
    assert second["usage"]["cache_creation_input_tokens"] == 0
    assert first_headers["x-amzn-bedrock-cache-write-input-token-count"] == "4"


def test_usage_directive_sets_the_cache_counts(runtime):
    body = claude_body("hi\n@@usage input=10 cache_read=7 cache_write=3 output=2")
    message, _ = invoke_claude(runtime, body)
    assert message["usage"] == {
        "input_tokens": 10,
        "cache_creation_input_tokens": 3,
        "cache_read_input_tokens": 7,
        "output_tokens": 2,
    }


def test_stop_sequence_reports_the_sequence_that_matched(runtime):
    body = claude_body("@@reply one two END three", stop_sequences=["END", "two"])
    message, _ = invoke_claude(runtime, body)
    assert message["content"] == [{"type": "text", "text": "one "}]
    assert (message["stop_reason"], message["stop_sequence"]) == ("stop_sequence", "two")


def test_max_tokens_cuts_the_reply(runtime):
    message, _ = invoke_claude(runtime, {**claude_body("@@words 9"), "max_tokens": 2})
    assert message["content"] == [{"type": "text", "text": "word1 word2"}]
    assert message["stop_reason"] == "max_tokens"


def test_fault_before_is_the_http_error_on_both_operations(runtime):
    body = claude_body("@@fault ThrottlingException message=slow down")
    with pytest.raises(runtime.exceptions.ThrottlingException, match="slow down"):
        invoke_claude(runtime, body)
    with pytest.raises(runtime.exceptions.ThrottlingException, match="slow down"):
        claude_events(runtime, body)


def test_stream_emits_anthropic_events_as_chunks_with_invocation_metrics(runtime):
    events = claude_events(runtime, claude_body("Hello world"))
    start = events[0]["message"]
    assert re.fullmatch(r"msg_bdrk_01[0-9a-f]{22}", start.pop("id"))
    assert events[0]["type"] == "message_start"
    assert start == {
        "type": "message",
        "role": "assistant",
        "model": "claude-sonnet-4-5-20250929",
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "usage": {**USAGE, "output_tokens": 1},
    }
    assert events[1:-1] == [
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Echo:"}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": " Hello"}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": " world"}},
        {"type": "content_block_stop", "index": 0},
        {
            "type": "message_delta",
            "delta": {"stop_reason": "end_turn", "stop_sequence": None},
            "usage": {"output_tokens": 3},
        },
    ]
    stop = events[-1]
    metrics = stop.pop("amazon-bedrock-invocationMetrics")
    assert stop == {"type": "message_stop"}
    assert (metrics["inputTokenCount"], metrics["outputTokenCount"]) == (2, 3)
    assert metrics["invocationLatency"] >= metrics["firstByteLatency"] >= 0


def test_stream_sends_thinking_signature_and_tool_input_deltas(runtime):
    body = claude_body('go\n@@tool lookup {"query": "emulators"}', tools=TOOLS, **THINKING)
    events = claude_events(runtime, body)
    deltas = [(e["index"], e["delta"]) for e in events if e["type"] == "content_block_delta"]
    assert deltas[:3] == [
        (0, {"type": "thinking_delta", "thinking": "Thinking"}),
        (0, {"type": "thinking_delta", "thinking": " about:"}),
        (0, {"type": "thinking_delta", "thinking": " go"}),
    ]
    assert deltas[3] == (0, {"type": "signature_delta", "signature": sign("Thinking about: go")})
    fragments = [d["partial_json"] for i, d in deltas if i == 1]
    assert fragments == ['{"query": ', '"emulators', '"}']
    starts = [e["content_block"] for e in events if e["type"] == "content_block_start"]
    assert starts[0] == {"type": "thinking", "thinking": "", "signature": ""}
    assert starts[1]["type"] == "tool_use" and starts[1]["input"] == {}


def test_stream_metrics_carry_cache_counts_when_the_prompt_is_cached(runtime):
    body = claude_body("hi", system=[{"type": "text", "text": "a b c", **CACHED}])
    metrics = claude_events(runtime, body)[-1]["amazon-bedrock-invocationMetrics"]
    assert (metrics["cacheReadInputTokenCount"], metrics["cacheWriteInputTokenCount"]) == (0, 3)


def test_stream_content_equals_the_non_stream_message(runtime):
    body = claude_body('go\n@@reply first\n@@tool lookup {"a": 1}\n@@redacted x', tools=TOOLS, **THINKING)
    message, _ = invoke_claude(runtime, body)
    blocks: list[dict] = []
    for event in claude_events(runtime, body):
        if event["type"] == "content_block_start":
            blocks.append(dict(event["content_block"]))
        elif event["type"] == "content_block_delta":
            delta, block = event["delta"], blocks[event["index"]]
            key = {"text_delta": "text", "thinking_delta": "thinking", "signature_delta": "signature"}.get(
                delta["type"], "partial_json"
            )
            block[key] = block.get(key, "") + delta[key]
    for block in blocks:
        if "partial_json" in block:
            block["input"] = json.loads(block.pop("partial_json"))
    assert blocks == message["content"]


@pytest.mark.parametrize(
    ("shape", "code"),
    [
        ("ThrottlingException", "throttlingException"),
        ("ModelStreamErrorException", "modelStreamErrorException"),
        ("ModelTimeoutException", "modelTimeoutException"),
        ("ServiceUnavailableException", "serviceUnavailableException"),
        ("AccessDeniedException", "AccessDeniedException"),
    ],
)
def test_midstream_fault_arrives_after_n_deltas(runtime, shape, code):
    received = []
    events = claude_events_iter(runtime, f"@@words 5\n@@fault {shape} when=midstream after=2 message=boom")
    with pytest.raises(EventStreamError) as info:
        for event in events:
            received.append(event["type"])
    events.close()
    assert info.value.response["Error"] == {"Code": code, "Message": "boom"}
    assert received == ["message_start", "content_block_start", "content_block_delta", "content_block_delta"]


def claude_events_iter(client, text: str):
    response = client.invoke_model_with_response_stream(modelId=SONNET_45, body=json.dumps(claude_body(text)))
    try:
        for event in response["body"]:
            yield json.loads(event["chunk"]["bytes"])
    finally:
        response["body"].close()


def test_stream_on_a_non_claude_chat_model_is_refused(runtime):
    with pytest.raises(runtime.exceptions.ValidationException, match="embedding and Claude models"):
        claude_events(runtime, claude_body("hi"), model="amazon.nova-micro-v1:0")
