"""converse_to_openai: whole chat.completion objects for Converse responses."""

from __future__ import annotations

import pytest

from app.converse.call import ConverseCall
from app.converter.chat_response import converse_to_openai
from app.errors import UpstreamError
from app.tokens import count_tokens

PLAIN = ConverseCall(kwargs={})
STRUCTURED = ConverseCall(kwargs={}, structured_tool="final_answer")
JSON_OBJECT = ConverseCall(kwargs={}, json_object=True)
USAGE = {"inputTokens": 10, "outputTokens": 5, "totalTokens": 15}
OPENAI_USAGE = {
    "prompt_tokens": 10,
    "completion_tokens": 5,
    "total_tokens": 15,
    "prompt_tokens_details": {"cached_tokens": 0},
    "completion_tokens_details": {"reasoning_tokens": 0},
}
WEATHER_USE = {"toolUse": {"toolUseId": "tooluse_1", "name": "get_weather", "input": {"city": "Paris"}}}
WEATHER_CALL = {
    "id": "tooluse_1",
    "type": "function",
    "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
}


def response(content: list[dict], stop: str = "end_turn", usage: dict = USAGE) -> dict:
    return {
        "output": {"message": {"role": "assistant", "content": content}},
        "stopReason": stop,
        "usage": usage,
        "metrics": {"latencyMs": 12},
    }


def convert(
    content: list[dict], stop: str = "end_turn", call: ConverseCall = PLAIN, usage: dict = USAGE
) -> dict:
    return converse_to_openai(
        response(content, stop, usage),
        model="gpt-4o",
        call=call,
        completion_id="chatcmpl-1",
        created=1700000000,
    )


def message(content, refusal=None, **fields) -> dict:
    return {"role": "assistant", "content": content, **fields, "refusal": refusal}


class TestCompletion:
    def test_text_answer_is_a_whole_chat_completion(self):
        assert convert([{"text": "Hello"}, {"text": " world"}]) == {
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "created": 1700000000,
            "model": "gpt-4o",
            "system_fingerprint": "fp_bedrock",
            "choices": [
                {"index": 0, "message": message("Hello world"), "logprobs": None, "finish_reason": "stop"}
            ],
            "usage": OPENAI_USAGE,
        }

    @pytest.mark.parametrize(
        ("content", "stop", "expected"),
        [
            ([WEATHER_USE], "tool_use", message(None, tool_calls=[WEATHER_CALL])),
            (
                [{"text": "Checking."}, WEATHER_USE],
                "tool_use",
                message("Checking.", tool_calls=[WEATHER_CALL]),
            ),
            ([], "end_turn", message(None)),
        ],
        ids=["tool-call-only", "text-then-tool-call", "empty"],
    )
    def test_message_content_and_tool_calls(self, content, stop, expected):
        assert convert(content, stop)["choices"][0]["message"] == expected

    @pytest.mark.parametrize(
        ("stop", "finish"),
        [
            ("end_turn", "stop"),
            ("stop_sequence", "stop"),
            ("max_tokens", "length"),
            ("model_context_window_exceeded", "length"),
            ("content_filtered", "content_filter"),
            ("guardrail_intervened", "content_filter"),
            ("malformed_model_output", "stop"),
            ("something_new", "stop"),
        ],
    )
    def test_stop_reasons_map_to_finish_reasons(self, stop, finish):
        assert convert([{"text": "x"}], stop)["choices"][0]["finish_reason"] == finish

    def test_tool_use_stop_is_tool_calls(self):
        assert convert([WEATHER_USE], "tool_use")["choices"][0]["finish_reason"] == "tool_calls"


class TestReasoning:
    def test_reasoning_becomes_reasoning_content_and_signed_blocks(self):
        content = [
            {"reasoningContent": {"reasoningText": {"text": "Let me think.", "signature": "sig-1"}}},
            {"reasoningContent": {"redactedContent": b"\x00\x01\x02"}},
            {"text": "42"},
        ]
        result = convert(content)
        assert result["choices"][0]["message"] == message(
            "42",
            reasoning_content="Let me think.",
            thinking_blocks=[
                {"type": "thinking", "thinking": "Let me think.", "signature": "sig-1"},
                {"type": "redacted_thinking", "data": "AAEC"},
            ],
        )
        assert result["usage"]["completion_tokens_details"] == {
            "reasoning_tokens": count_tokens("Let me think.")
        }

    def test_unsigned_reasoning_has_no_thinking_blocks(self):
        content = [{"reasoningContent": {"reasoningText": {"text": "hmm"}}}, {"text": "ok"}]
        assert convert(content)["choices"][0]["message"] == message("ok", reasoning_content="hmm")


class TestStructuredOutput:
    def test_structured_tool_input_is_the_content(self):
        content = [{"toolUse": {"toolUseId": "t1", "name": "final_answer", "input": {"answer": "Paris"}}}]
        choice = convert(content, "tool_use", STRUCTURED)["choices"][0]
        assert (choice["message"], choice["finish_reason"]) == (message('{"answer": "Paris"}'), "stop")

    def test_text_around_the_structured_tool_is_dropped(self):
        content = [
            {"text": "Here:"},
            {"toolUse": {"toolUseId": "t1", "name": "final_answer", "input": {"a": 1}}},
        ]
        assert convert(content, "tool_use", STRUCTURED)["choices"][0]["message"] == message('{"a": 1}')

    @pytest.mark.parametrize(
        ("texts", "stop", "expected"),
        [
            (["I cannot."], "end_turn", {"content": None, "refusal": "I cannot."}),
            (['{"answer": ', '"Paris"}'], "end_turn", {"content": '{"answer": "Paris"}', "refusal": None}),
            (['```json\n{"a": 1}\n```'], "end_turn", {"content": '{"a": 1}', "refusal": None}),
            (['  {"a": 1}\n'], "end_turn", {"content": '{"a": 1}', "refusal": None}),
            (["[1, 2]"], "end_turn", {"content": None, "refusal": "[1, 2]"}),
            (['"Paris"'], "end_turn", {"content": None, "refusal": '"Paris"'}),
            (["```json\n{oops}\n```"], "end_turn", {"content": None, "refusal": "```json\n{oops}\n```"}),
            (['{"answer": "Par'], "max_tokens", {"content": '{"answer": "Par', "refusal": None}),
        ],
        ids=[
            "prose-is-a-refusal",
            "json-object-is-the-content",
            "fenced-json",
            "json-with-whitespace",
            "json-array-is-not-an-answer",
            "json-string-is-not-an-answer",
            "broken-json-in-fence",
            "truncated-stays-content",
        ],
    )
    def test_a_text_answer_instead_of_the_tool(self, texts, stop, expected):
        choice = convert([{"text": t} for t in texts], stop, STRUCTURED)["choices"][0]
        finish = "length" if stop == "max_tokens" else "stop"
        assert (choice["message"], choice["finish_reason"]) == (message(**expected), finish)

    def test_text_beside_other_tool_calls_stays_content(self):
        choice = convert([{"text": "Checking."}, WEATHER_USE], "tool_use", STRUCTURED)["choices"][0]
        assert choice["message"] == message("Checking.", tool_calls=[WEATHER_CALL])

    def test_without_response_format_prose_is_content(self):
        assert convert([{"text": "I cannot."}])["choices"][0]["message"] == message("I cannot.")

    def test_other_tool_calls_stay_tool_calls(self):
        choice = convert([WEATHER_USE], "tool_use", STRUCTURED)["choices"][0]
        assert (choice["message"], choice["finish_reason"]) == (
            message(None, tool_calls=[WEATHER_CALL]),
            "tool_calls",
        )


class TestJsonObject:
    @pytest.mark.parametrize(
        ("text", "content"),
        [
            ('{"a": 1}', '{"a": 1}'),
            ('```json\n{"a": 1}\n```', '{"a": 1}'),
            ("  ```\n[1, 2]\n```  ", "[1, 2]"),
        ],
        ids=["plain", "json-fence", "bare-fence"],
    )
    def test_json_answers_lose_their_fences(self, text, content):
        assert convert([{"text": text}], call=JSON_OBJECT)["choices"][0]["message"]["content"] == content

    @pytest.mark.parametrize("text", ['Sure! {"a": 1}', "", "```json\n{oops}\n```"])
    def test_non_json_answers_are_upstream_errors(self, text):
        with pytest.raises(UpstreamError, match="did not return valid JSON"):
            convert([{"text": text}], call=JSON_OBJECT)


class TestUsage:
    @pytest.mark.parametrize(
        ("usage", "expected"),
        [
            (
                {
                    "inputTokens": 10,
                    "outputTokens": 5,
                    "totalTokens": 115,
                    "cacheReadInputTokens": 80,
                    "cacheWriteInputTokens": 20,
                },
                {
                    "prompt_tokens": 110,
                    "completion_tokens": 5,
                    "total_tokens": 115,
                    "prompt_tokens_details": {"cached_tokens": 80},
                    "completion_tokens_details": {"reasoning_tokens": 0},
                },
            ),
            (
                {},
                {
                    "prompt_tokens": 0,
                    "completion_tokens": 0,
                    "total_tokens": 0,
                    "prompt_tokens_details": {"cached_tokens": 0},
                    "completion_tokens_details": {"reasoning_tokens": 0},
                },
            ),
        ],
        ids=["cache-read-and-write-count-as-prompt", "missing"],
    )
    def test_usage_mapping(self, usage, expected):
        assert convert([{"text": "x"}], usage=usage)["usage"] == expected
