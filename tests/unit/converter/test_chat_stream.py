"""converse_stream_to_chunks: chunk dicts for ConverseStream events, and parity with non-streaming."""

from __future__ import annotations

import json

import pytest
from openai.lib.streaming.chat import ChatCompletionStreamState
from openai.types.chat import ChatCompletionChunk
from pydantic import BaseModel

from app.converse.call import ConverseCall
from app.converse.events import events_from_converse_response
from app.converter.chat_response import converse_to_openai
from app.converter.chat_stream import converse_stream_to_chunks
from app.tokens import count_tokens

PLAIN = ConverseCall(kwargs={})
STRUCTURED = ConverseCall(kwargs={}, structured_tool="final_answer")
START = {"messageStart": {"role": "assistant"}}
USAGE = {"inputTokens": 10, "outputTokens": 5, "totalTokens": 15, "cacheReadInputTokens": 4}


def stop(reason: str = "end_turn") -> dict:
    return {"messageStop": {"stopReason": reason}}


def text(index: int, value: str) -> dict:
    return {"contentBlockDelta": {"delta": {"text": value}, "contentBlockIndex": index}}


def tool_start(index: int, tool_id: str, name: str) -> dict:
    return {
        "contentBlockStart": {
            "start": {"toolUse": {"toolUseId": tool_id, "name": name}},
            "contentBlockIndex": index,
        }
    }


def tool_input(index: int, fragment: str) -> dict:
    return {"contentBlockDelta": {"delta": {"toolUse": {"input": fragment}}, "contentBlockIndex": index}}


def reasoning(index: int, **delta) -> dict:
    return {"contentBlockDelta": {"delta": {"reasoningContent": delta}, "contentBlockIndex": index}}


def block_stop(index: int) -> dict:
    return {"contentBlockStop": {"contentBlockIndex": index}}


def chunks(events: list[dict], call: ConverseCall = PLAIN, include_usage: bool = False) -> list[dict]:
    return list(
        converse_stream_to_chunks(
            events,
            model="gpt-4o",
            call=call,
            completion_id="chatcmpl-1",
            created=1700000000,
            include_usage=include_usage,
        )
    )


def deltas(events: list[dict], call: ConverseCall = PLAIN) -> list[tuple[dict, str | None]]:
    return [(c["choices"][0]["delta"], c["choices"][0]["finish_reason"]) for c in chunks(events, call)]


ROLE = ({"role": "assistant", "content": ""}, None)


class Answer(BaseModel):
    answer: str


class TestChunkShape:
    def test_role_comes_first_then_text_then_finish(self):
        assert chunks([START, text(0, "Hel"), text(0, "lo"), block_stop(0), stop()]) == [
            {
                "id": "chatcmpl-1",
                "object": "chat.completion.chunk",
                "created": 1700000000,
                "model": "gpt-4o",
                "system_fingerprint": "fp_bedrock",
                "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
            }
            for delta, finish in [ROLE, ({"content": "Hel"}, None), ({"content": "lo"}, None), ({}, "stop")]
        ]

    def test_with_usage_every_chunk_has_null_usage_and_the_last_has_no_choices(self):
        result = chunks(
            [START, text(0, "Hi"), stop(), {"metadata": {"usage": USAGE, "metrics": {"latencyMs": 3}}}],
            include_usage=True,
        )
        assert [c["usage"] for c in result[:-1]] == [None, None, None]
        assert result[-1] == {
            "id": "chatcmpl-1",
            "object": "chat.completion.chunk",
            "created": 1700000000,
            "model": "gpt-4o",
            "system_fingerprint": "fp_bedrock",
            "choices": [],
            "usage": {
                "prompt_tokens": 14,
                "completion_tokens": 5,
                "total_tokens": 19,
                "prompt_tokens_details": {"cached_tokens": 4},
                "completion_tokens_details": {"reasoning_tokens": 0},
            },
        }

    def test_without_usage_metadata_yields_nothing_and_choices_are_never_empty(self):
        result = chunks([START, text(0, ""), stop(), {"metadata": {"usage": USAGE}}])
        assert [c["choices"] != [] and "usage" not in c for c in result] == [True, True]

    @pytest.mark.parametrize(
        ("reason", "finish"),
        [
            ("end_turn", "stop"),
            ("max_tokens", "length"),
            ("stop_sequence", "stop"),
            ("guardrail_intervened", "content_filter"),
        ],
    )
    def test_finish_reasons(self, reason, finish):
        assert deltas([START, text(0, "x"), stop(reason)])[-1] == ({}, finish)


class TestReasoning:
    def test_thinking_blocks_are_numbered_within_the_message(self):
        events = [
            START,
            reasoning(0, text="Let me "),
            reasoning(0, text="think."),
            reasoning(0, signature="sig-1"),
            block_stop(0),
            reasoning(1, redactedContent=b"\x00\x01\x02"),
            block_stop(1),
            text(2, "42"),
            stop(),
        ]
        assert deltas(events) == [
            ROLE,
            ({"reasoning_content": "Let me "}, None),
            ({"reasoning_content": "think."}, None),
            (
                {
                    "thinking_blocks": [
                        {"index": 0, "type": "thinking", "thinking": "Let me think.", "signature": "sig-1"}
                    ]
                },
                None,
            ),
            ({"thinking_blocks": [{"index": 1, "type": "redacted_thinking", "data": "AAEC"}]}, None),
            ({"content": "42"}, None),
            ({}, "stop"),
        ]

    def test_the_openai_sdk_accumulates_several_thinking_blocks(self):
        events = [
            START,
            reasoning(0, redactedContent=b"\x00\x01\x02"),
            block_stop(0),
            reasoning(1, text="Let me think."),
            reasoning(1, signature="sig-1"),
            block_stop(1),
            text(2, "42"),
            stop(),
        ]
        state = ChatCompletionStreamState()
        for chunk in chunks(events):
            state.handle_chunk(ChatCompletionChunk.model_validate(chunk))
        message = state.get_final_completion().choices[0].message
        assert (message.content, message.model_extra["thinking_blocks"]) == (
            "42",
            [
                {"index": 0, "type": "redacted_thinking", "data": "AAEC"},
                {"index": 1, "type": "thinking", "thinking": "Let me think.", "signature": "sig-1"},
            ],
        )

    def test_usage_counts_the_reasoning_text(self):
        events = [START, reasoning(0, text="Let me think."), stop(), {"metadata": {"usage": USAGE}}]
        usage = chunks(events, include_usage=True)[-1]["usage"]
        assert usage["completion_tokens_details"] == {"reasoning_tokens": count_tokens("Let me think.")}


class TestToolCalls:
    def test_tool_calls_are_numbered_within_the_message(self):
        events = [
            START,
            text(0, "Checking."),
            block_stop(0),
            tool_start(1, "tooluse_a", "get_weather"),
            tool_input(1, ""),
            tool_input(1, '{"city": '),
            tool_input(1, '"Paris"}'),
            block_stop(1),
            tool_start(2, "tooluse_b", "get_time"),
            tool_input(2, "{}"),
            block_stop(2),
            stop("tool_use"),
        ]
        assert deltas(events) == [
            ROLE,
            ({"content": "Checking."}, None),
            (
                {
                    "tool_calls": [
                        {
                            "index": 0,
                            "id": "tooluse_a",
                            "type": "function",
                            "function": {"name": "get_weather", "arguments": ""},
                        }
                    ]
                },
                None,
            ),
            ({"tool_calls": [{"index": 0, "function": {"arguments": '{"city": '}}]}, None),
            ({"tool_calls": [{"index": 0, "function": {"arguments": '"Paris"}'}}]}, None),
            (
                {
                    "tool_calls": [
                        {
                            "index": 1,
                            "id": "tooluse_b",
                            "type": "function",
                            "function": {"name": "get_time", "arguments": ""},
                        }
                    ]
                },
                None,
            ),
            ({"tool_calls": [{"index": 1, "function": {"arguments": "{}"}}]}, None),
            ({}, "tool_calls"),
        ]


class TestStructuredOutput:
    def test_structured_tool_arguments_are_content_and_finish_is_stop(self):
        events = [
            START,
            text(0, "Here it is:"),
            tool_start(1, "t1", "final_answer"),
            tool_input(1, '{"answer": '),
            tool_input(1, '"Paris"}'),
            block_stop(1),
            stop("tool_use"),
        ]
        assert deltas(events, STRUCTURED) == [
            ROLE,
            ({"content": '{"answer": '}, None),
            ({"content": '"Paris"}'}, None),
            ({}, "stop"),
        ]

    @pytest.mark.parametrize(
        ("fragments", "reason", "released", "finish"),
        [
            (["I ", "cannot."], "end_turn", {"refusal": "I cannot."}, "stop"),
            (['```json\n{"a": ', "1}\n```"], "end_turn", {"content": '{"a": 1}'}, "stop"),
            (['{"a": ', "1"], "max_tokens", {"content": '{"a": 1'}, "length"),
        ],
        ids=["prose-is-a-refusal", "json-is-the-content", "truncated-stays-content"],
    )
    def test_a_text_answer_is_released_at_the_end(self, fragments, reason, released, finish):
        events = [START, *(text(0, f) for f in fragments), block_stop(0), stop(reason)]
        assert deltas(events, STRUCTURED) == [ROLE, (released, None), ({}, finish)]

    def test_text_beside_other_tool_calls_is_released_as_content(self):
        call = [tool_start(1, "a", "get_time"), tool_input(1, "{}")]
        events = [START, text(0, "Checking."), *call, stop("tool_use")]
        assert deltas(events, STRUCTURED)[-2:] == [({"content": "Checking."}, None), ({}, "tool_calls")]

    def test_the_openai_sdk_reports_a_refusal(self):
        events = [START, text(0, "I "), text(0, "cannot."), block_stop(0), stop()]
        state = ChatCompletionStreamState(response_format=Answer)
        for chunk in chunks(events, STRUCTURED):
            state.handle_chunk(ChatCompletionChunk.model_validate(chunk))
        message = state.get_final_completion().choices[0].message
        # content is "" (the role chunk's), not None: parse() sees the refusal first.
        assert (message.content, message.refusal, message.parsed) == ("", "I cannot.", None)


def accumulate(chunk_list: list[dict]) -> tuple[dict, str | None, dict | None]:
    """Rebuild the message, finish reason and usage from chunks, as an SDK would."""
    message: dict = {"role": "assistant", "content": ""}
    calls: dict[int, dict] = {}
    finish, usage = None, None
    for chunk in chunk_list:
        usage = chunk.get("usage") or usage
        for choice in chunk["choices"]:
            finish = choice["finish_reason"] or finish
            delta = choice["delta"]
            message["content"] += delta.get("content") or ""
            if "reasoning_content" in delta:
                message["reasoning_content"] = (
                    message.get("reasoning_content", "") + delta["reasoning_content"]
                )
            if "refusal" in delta:
                message["refusal"] = message.get("refusal", "") + delta["refusal"]
            for block in delta.get("thinking_blocks", []):
                blocks = message.setdefault("thinking_blocks", [])
                assert block["index"] == len(blocks)  # one delta per block, numbered in order
                blocks.append({key: value for key, value in block.items() if key != "index"})
            for part in delta.get("tool_calls", []):
                entry = calls.setdefault(
                    part["index"],
                    {"id": part.get("id"), "type": "function", "function": {"name": None, "arguments": ""}},
                )
                entry["function"]["name"] = part["function"].get("name", entry["function"]["name"])
                entry["function"]["arguments"] += part["function"]["arguments"]
    result = {"role": "assistant", "content": message["content"] or None}
    if calls:
        result["tool_calls"] = [calls[k] for k in sorted(calls)]
    for key in ("reasoning_content", "thinking_blocks"):
        if message.get(key):
            result[key] = message[key]
    result["refusal"] = message.get("refusal")
    return result, finish, usage


RESPONSES = {
    "text": ([{"text": "Hello world"}], "end_turn"),
    "max-tokens": ([{"text": "Hello"}], "max_tokens"),
    "tools": (
        [
            {"text": "Checking."},
            {
                "toolUse": {
                    "toolUseId": "a",
                    "name": "get_weather",
                    "input": {"city": "Paris", "units": ["C"]},
                }
            },
            {"toolUse": {"toolUseId": "b", "name": "get_time", "input": {}}},
        ],
        "tool_use",
    ),
    "reasoning": (
        [
            {"reasoningContent": {"reasoningText": {"text": "Think é.", "signature": "s1"}}},
            {"reasoningContent": {"redactedContent": b"\xff\x00"}},
            {"text": "42"},
        ],
        "end_turn",
    ),
    "structured": (
        [{"toolUse": {"toolUseId": "t", "name": "final_answer", "input": {"answer": "Paris"}}}],
        "tool_use",
    ),
    "structured-declined": ([{"text": "No."}], "end_turn"),
    "structured-as-json-text": ([{"text": '```json\n{"answer": "Paris"}\n```'}], "end_turn"),
    "structured-beside-a-tool": (
        [{"text": "Checking."}, {"toolUse": {"toolUseId": "a", "name": "get_time", "input": {}}}],
        "tool_use",
    ),
    "empty": ([], "end_turn"),
}


class TestParity:
    @pytest.mark.parametrize("name", list(RESPONSES))
    def test_accumulated_chunks_equal_the_completion(self, name):
        content, reason = RESPONSES[name]
        call = STRUCTURED if name.startswith("structured") else PLAIN
        response = {
            "output": {"message": {"role": "assistant", "content": content}},
            "stopReason": reason,
            "usage": {"inputTokens": 7, "outputTokens": 3, "totalTokens": 10},
            "metrics": {"latencyMs": 5},
        }
        ids = {"model": "m", "call": call, "completion_id": "c", "created": 1}
        completion = converse_to_openai(response, **ids)
        streamed = converse_stream_to_chunks(
            events_from_converse_response(response), include_usage=True, **ids
        )
        message, finish, usage = accumulate(list(streamed))
        expected = completion["choices"][0]
        assert (message, finish, usage) == (
            expected["message"],
            expected["finish_reason"],
            completion["usage"],
        )

    def test_synthetic_events_have_the_converse_stream_shape(self):
        response = {
            "output": {
                "message": {
                    "role": "assistant",
                    "content": [
                        {"text": "Hi"},
                        {"toolUse": {"toolUseId": "a", "name": "f", "input": {"x": 1}}},
                    ],
                }
            },
            "stopReason": "tool_use",
            "usage": {"inputTokens": 1, "outputTokens": 2, "totalTokens": 3},
            "metrics": {"latencyMs": 9},
        }
        assert list(events_from_converse_response(response)) == [
            START,
            text(0, "Hi"),
            block_stop(0),
            tool_start(1, "a", "f"),
            tool_input(1, json.dumps({"x": 1})),
            block_stop(1),
            stop("tool_use"),
            {
                "metadata": {
                    "usage": {"inputTokens": 1, "outputTokens": 2, "totalTokens": 3},
                    "metrics": {"latencyMs": 9},
                }
            },
        ]
