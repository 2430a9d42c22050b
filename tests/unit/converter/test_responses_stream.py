"""ResponsesStream and converse_to_response: events in order, whole items, and parity."""

from __future__ import annotations

import pytest

from app.converse.call import ConverseCall
from app.converse.events import events_from_converse_response
from app.converter.reasoning_codec import ReasoningCodec
from app.converter.responses_items import Toolbox, ToolRef, build_toolbox
from app.converter.responses_response import ResponseContext, converse_to_response
from app.converter.responses_stream import ResponsesStream
from app.errors import RateLimitError, UpstreamError

CODEC = ReasoningCodec(b"k" * 32)
PLAIN = ConverseCall(kwargs={})
STRUCTURED = ConverseCall(kwargs={}, structured_tool="Answer")
USAGE = {"inputTokens": 10, "outputTokens": 5, "totalTokens": 15, "cacheReadInputTokens": 4}
SIGNED = {"reasoningText": {"text": "Hmm.", "signature": "sig-1"}}


def context(call: ConverseCall = PLAIN, toolbox: Toolbox | None = None) -> ResponseContext:
    return ResponseContext(
        response_id="resp_abc",
        created_at=1700000000,
        model="claude",
        body={"model": "claude", "input": "Hi"},
        call=call,
        toolbox=toolbox or Toolbox(),
        codec=CODEC,
        family="claude-thinking",
        store=False,
    )


def answer(blocks: list[dict], stop: str = "end_turn") -> dict:
    return {
        "output": {"message": {"role": "assistant", "content": blocks}},
        "stopReason": stop,
        "usage": USAGE,
    }


def stream(events, ctx: ResponseContext | None = None) -> list[dict]:
    return list(ResponsesStream(ctx or context()).events(iter(events)))


def shape(events: list[dict]) -> list[tuple]:
    """Each event's type with the indexes clients check."""
    keys = ("output_index", "content_index", "summary_index")
    return [(e["type"], *(e[k] for k in keys if k in e)) for e in events]


class TestEventOrder:
    @pytest.mark.parametrize(
        ("blocks", "expected"),
        [
            (
                [{"text": "Hello"}],
                [
                    ("response.output_item.added", 0),
                    ("response.content_part.added", 0, 0),
                    ("response.output_text.delta", 0, 0),
                    ("response.output_text.done", 0, 0),
                    ("response.content_part.done", 0, 0),
                    ("response.output_item.done", 0),
                ],
            ),
            (
                [
                    {"reasoningContent": SIGNED},
                    {"text": "Hi"},
                    {"toolUse": {"toolUseId": "t1", "name": "f", "input": {"a": 1}}},
                ],
                [
                    ("response.output_item.added", 0),
                    ("response.reasoning_summary_part.added", 0, 0),
                    ("response.reasoning_summary_text.delta", 0, 0),
                    ("response.reasoning_summary_text.done", 0, 0),
                    ("response.reasoning_summary_part.done", 0, 0),
                    ("response.output_item.done", 0),
                    ("response.output_item.added", 1),
                    ("response.content_part.added", 1, 0),
                    ("response.output_text.delta", 1, 0),
                    ("response.output_text.done", 1, 0),
                    ("response.content_part.done", 1, 0),
                    ("response.output_item.done", 1),
                    ("response.output_item.added", 2),
                    ("response.function_call_arguments.delta", 2),
                    ("response.function_call_arguments.done", 2),
                    ("response.output_item.done", 2),
                ],
            ),
            (
                [
                    {"toolUse": {"toolUseId": "t1", "name": "f", "input": {}}},
                    {"toolUse": {"toolUseId": "t2", "name": "f", "input": {}}},
                ],
                [
                    ("response.output_item.added", 0),
                    ("response.function_call_arguments.delta", 0),
                    ("response.function_call_arguments.done", 0),
                    ("response.output_item.done", 0),
                    ("response.output_item.added", 1),
                    ("response.function_call_arguments.delta", 1),
                    ("response.function_call_arguments.done", 1),
                    ("response.output_item.done", 1),
                ],
            ),
        ],
        ids=["text", "reasoning text and call", "parallel calls"],
    )
    def test_items_open_before_their_deltas_and_indexes_are_dense(self, blocks, expected):
        events = stream(events_from_converse_response(answer(blocks)))
        assert shape(events) == [
            ("response.created",),
            ("response.in_progress",),
            *expected,
            ("response.completed",),
        ]
        assert [e["sequence_number"] for e in events] == list(range(len(events)))

    @pytest.mark.parametrize(
        ("stop", "terminal", "status", "incomplete", "error"),
        [
            ("max_tokens", "response.incomplete", "incomplete", {"reason": "max_output_tokens"}, None),
            ("guardrail_intervened", "response.incomplete", "incomplete", {"reason": "content_filter"}, None),
            (
                "model_context_window_exceeded",
                "response.failed",
                "failed",
                None,
                {
                    "code": "context_length_exceeded",
                    "message": "The conversation exceeds the model's context window.",
                },
            ),
        ],
    )
    def test_stop_reasons_choose_the_terminal_event(self, stop, terminal, status, incomplete, error):
        last = stream(events_from_converse_response(answer([{"text": "x"}], stop)))[-1]
        assert (last["type"], last["response"]["status"]) == (terminal, status)
        assert (last["response"]["incomplete_details"], last["response"]["error"]) == (incomplete, error)

    @pytest.mark.parametrize(
        ("blocks", "stop", "statuses"),
        [
            ([{"text": "cut sh"}], "max_tokens", ["incomplete"]),
            ([{"reasoningContent": SIGNED}, {"text": "cut sh"}], "max_tokens", [None, "incomplete"]),
            ([{"text": "whole"}], "end_turn", ["completed"]),
            ([{"text": "blocked"}], "guardrail_intervened", ["incomplete"]),
        ],
    )
    def test_the_message_a_limit_cut_off_is_incomplete_streamed_and_not(self, blocks, stop, statuses):
        events = stream(events_from_converse_response(answer(blocks, stop)))
        done = [e["item"].get("status") for e in events if e["type"] == "response.output_item.done"]
        final = events[-1]["response"]["output"]
        whole = converse_to_response(answer(blocks, stop), context())["output"]
        assert done == [item.get("status") for item in final] == statuses
        assert whole == final

    @pytest.mark.parametrize(
        ("error", "code", "message"),
        [
            (
                RateLimitError("Amazon Bedrock: Too many requests.", retry_after=3),
                "rate_limit_exceeded",
                "Amazon Bedrock: Too many requests. Please try again in 3s.",
            ),
            (UpstreamError("Amazon Bedrock: model error"), "server_error", "Amazon Bedrock: model error"),
        ],
    )
    def test_mid_stream_error_ends_in_response_failed(self, error, code, message):
        def failing():
            yield {"messageStart": {"role": "assistant"}}
            yield {"contentBlockDelta": {"delta": {"text": "partial"}, "contentBlockIndex": 0}}
            raise error

        events = stream(failing())
        assert [e["sequence_number"] for e in events] == list(range(len(events)))
        assert shape(events)[-3:] == [
            ("response.content_part.added", 0, 0),
            ("response.output_text.delta", 0, 0),
            ("response.failed",),
        ]
        assert events[-1]["response"]["error"] == {"code": code, "message": message}
        assert events[-1]["response"]["status"] == "failed"

    def test_error_before_the_first_event_is_raised_before_any_event(self):
        def failing():
            raise RateLimitError("slow down")
            yield {}

        events = ResponsesStream(context()).events(failing())
        with pytest.raises(RateLimitError):
            next(events)


class TestItems:
    def test_codex_tools_come_back_as_their_own_items(self):
        box = build_toolbox(
            [
                ({"type": "custom", "name": "apply_patch"}, "tools[0]"),
                ({"type": "local_shell"}, "tools[1]"),
                (
                    {
                        "type": "namespace",
                        "name": "mcp__docs",
                        "tools": [{"type": "function", "name": "search"}],
                    },
                    "tools[2]",
                ),
            ]
        )
        blocks = [
            {"toolUse": {"toolUseId": "p1", "name": "apply_patch", "input": {"input": "*** Begin Patch"}}},
            {
                "toolUse": {
                    "toolUseId": "s1",
                    "name": "local_shell",
                    "input": {"command": ["ls"], "workdir": "/w"},
                }
            },
            {"toolUse": {"toolUseId": "m1", "name": "mcp__docs__search", "input": {"q": "x"}}},
        ]
        output = converse_to_response(answer(blocks, "tool_use"), context(toolbox=box))["output"]
        assert output == [
            {
                "id": "fc_abc000",
                "type": "custom_tool_call",
                "status": "completed",
                "call_id": "p1",
                "name": "apply_patch",
                "input": "*** Begin Patch",
            },
            {
                "id": "fc_abc001",
                "type": "local_shell_call",
                "status": "completed",
                "call_id": "s1",
                "action": {"type": "exec", "command": ["ls"], "env": {}, "working_directory": "/w"},
            },
            {
                "id": "fc_abc002",
                "type": "function_call",
                "status": "completed",
                "arguments": '{"q": "x"}',
                "call_id": "m1",
                "name": "search",
                "namespace": "mcp__docs",
            },
        ]

    def test_reasoning_item_carries_sealed_signed_blocks(self):
        response = converse_to_response(answer([{"reasoningContent": SIGNED}, {"text": "Hi"}]), context())
        reasoning = response["output"][0]
        assert reasoning["summary"] == [{"type": "summary_text", "text": "Hmm."}]
        assert CODEC.open(reasoning["encrypted_content"], "claude-thinking") == [{"reasoningContent": SIGNED}]
        assert response["usage"] == {
            "input_tokens": 14,
            "input_tokens_details": {"cached_tokens": 4, "cache_write_tokens": 0},
            "output_tokens": 5,
            "output_tokens_details": {"reasoning_tokens": 2},
            "total_tokens": 19,
        }

    @pytest.mark.parametrize(
        ("blocks", "content"),
        [
            (
                [
                    {"text": "Let me answer."},
                    {"toolUse": {"toolUseId": "t", "name": "Answer", "input": {"a": 1}}},
                ],
                [{"type": "output_text", "text": '{"a": 1}', "annotations": [], "logprobs": []}],
            ),
            (
                [{"text": '```json\n{"a": 2}\n```'}],
                [{"type": "output_text", "text": '{"a": 2}', "annotations": [], "logprobs": []}],
            ),
            (
                [{"text": "I cannot help with that."}],
                [{"type": "refusal", "refusal": "I cannot help with that."}],
            ),
        ],
        ids=["schema tool", "JSON text", "refusal"],
    )
    def test_structured_output_is_the_message_text(self, blocks, content):
        ctx = context(STRUCTURED)
        output = converse_to_response(answer(blocks), ctx)["output"]
        assert [item["content"] for item in output] == [content]
        streamed = stream(events_from_converse_response(answer(blocks)), ctx)
        assert streamed[-1]["response"]["output"] == output


@pytest.mark.parametrize(
    "blocks",
    [
        [{"text": "Hello"}, {"text": " world"}],
        [
            {"reasoningContent": SIGNED},
            {"text": "Hi"},
            {"toolUse": {"toolUseId": "t1", "name": "f", "input": {"a": 1}}},
        ],
        [{"reasoningContent": {"redactedContent": b"\x00\x01"}}, {"text": "Hi"}],
        [{"toolUse": {"toolUseId": "t1", "name": "f", "input": {}}}, {"text": "after"}],
    ],
    ids=["texts", "reasoning text call", "redacted", "text after call"],
)
def test_streamed_completed_response_equals_the_non_streaming_one(blocks):
    ctx = context(toolbox=build_toolbox([({"type": "function", "name": "f"}, "tools[0]")]))
    expected = converse_to_response(answer(blocks), ctx)
    events = stream(events_from_converse_response(answer(blocks)), ctx)
    assert events[-1]["response"] == expected
    done = [e["item"] for e in events if e["type"] == "response.output_item.done"]
    assert done == expected["output"]


def test_unknown_tool_name_comes_back_as_a_plain_function_call():
    assert Toolbox().ref("made_up") == ToolRef("function", "made_up")


def test_a_keep_alive_is_an_in_progress_event_numbered_in_turn():
    responses = ResponsesStream(context())
    first = list(responses.events(iter([{"messageStart": {"role": "assistant"}}])))[:2]
    beat = responses.keep_alive()
    assert (beat["type"], beat["sequence_number"]) == (
        "response.in_progress",
        first[-1]["sequence_number"] + 2,
    )
    assert beat["response"]["status"] == "in_progress"
