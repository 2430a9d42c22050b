"""Anthropic Messages ↔ Converse for models other than Claude: request, answer and stream."""

from __future__ import annotations

import base64

import pytest

from app.catalogue import ModelInfo
from app.converter.messages_request import messages_to_converse
from app.converter.messages_response import converse_to_message
from app.converter.messages_stream import converse_stream_to_events
from app.errors import InvalidRequestError
from tests.unit.converter.image_bytes import png

NOVA = ModelInfo(
    id="us.amazon.nova-pro-v1:0",
    foundation_id="amazon.nova-pro-v1:0",
    input_modalities=frozenset({"TEXT", "IMAGE"}),
)
LLAMA_TEXT = ModelInfo(id="meta.llama3-8b-instruct-v1:0", foundation_id="meta.llama3-8b-instruct-v1:0")
WEATHER = {
    "name": "get_weather",
    "description": "Weather",
    "input_schema": {"type": "object", "properties": {}},
}
WEATHER_SPEC = {
    "toolSpec": {
        "name": "get_weather",
        "description": "Weather",
        "inputSchema": {"json": {"type": "object", "properties": {}}},
    }
}


class NoFetch:
    def __call__(self, url):
        raise AssertionError("no fetch expected")

    def fetch(self, url):
        raise AssertionError("no fetch expected")


def kwargs(body: dict, model: ModelInfo = NOVA) -> dict:
    return messages_to_converse({"model": "m", "max_tokens": 100, **body}, model, NoFetch()).kwargs


class TestRequest:
    def test_system_sampling_and_text(self):
        body = {
            "system": [{"type": "text", "text": "Be brief.", "cache_control": {"type": "ephemeral"}}],
            "messages": [{"role": "user", "content": "Hi"}],
            "temperature": 0.2,
            "top_k": 40,
            "stop_sequences": ["END"],
        }
        assert kwargs(body) == {
            "modelId": NOVA.id,
            "messages": [{"role": "user", "content": [{"text": "Hi"}]}],
            "system": [{"text": "Be brief."}, {"cachePoint": {"type": "default"}}],
            "inferenceConfig": {"maxTokens": 100, "temperature": 0.2, "stopSequences": ["END"]},
            "additionalModelRequestFields": {"inferenceConfig": {"topK": 40}},
        }

    def test_tool_loop_with_tool_result_and_error_status(self):
        messages = [
            {"role": "user", "content": "Weather in Paris?"},
            {
                "role": "assistant",
                "content": [
                    {"type": "text", "text": "Checking."},
                    {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Paris"}},
                ],
            },
            {
                "role": "user",
                "content": [
                    {"type": "tool_result", "tool_use_id": "toolu_1", "content": "boom", "is_error": True}
                ],
            },
        ]
        result = kwargs({"messages": messages, "tools": [WEATHER], "tool_choice": {"type": "any"}})
        assert result["messages"] == [
            {"role": "user", "content": [{"text": "Weather in Paris?"}]},
            {
                "role": "assistant",
                "content": [
                    {"text": "Checking."},
                    {"toolUse": {"toolUseId": "toolu_1", "name": "get_weather", "input": {"city": "Paris"}}},
                ],
            },
            {
                "role": "user",
                "content": [
                    {"toolResult": {"toolUseId": "toolu_1", "content": [{"text": "boom"}], "status": "error"}}
                ],
            },
        ]
        assert result["toolConfig"] == {"tools": [WEATHER_SPEC], "toolChoice": {"any": {}}}

    def test_base64_image_and_text_document(self):
        raw = png(2, 2)
        content = [
            {
                "type": "image",
                "source": {
                    "type": "base64",
                    "media_type": "image/png",
                    "data": base64.b64encode(raw).decode(),
                },
            },
            {
                "type": "document",
                "title": "notes.txt!",
                "source": {"type": "text", "media_type": "text/plain", "data": "hi"},
            },
            {"type": "text", "text": "Describe."},
        ]
        assert kwargs({"messages": [{"role": "user", "content": content}]})["messages"][0]["content"] == [
            {"image": {"format": "png", "source": {"bytes": raw}}},
            {"document": {"format": "txt", "name": "notes txt", "source": {"bytes": b"hi"}}},
            {"text": "Describe."},
        ]

    def test_thinking_is_ignored_where_the_model_does_not_think(self):
        result = kwargs(
            {
                "messages": [{"role": "user", "content": "Hi"}],
                "thinking": {"type": "enabled", "budget_tokens": 1024},
            }
        )
        assert "additionalModelRequestFields" not in result

    @pytest.mark.parametrize(
        ("body", "param", "fragment"),
        [
            (
                {
                    "messages": [
                        {
                            "role": "user",
                            "content": [{"type": "image", "source": {"type": "file", "file_id": "f"}}],
                        }
                    ]
                },
                "messages[0].content[0].source.type",
                "Files API",
            ),
            (
                {
                    "messages": [{"role": "user", "content": "x"}],
                    "tools": [{"type": "bash_20250124", "name": "bash"}],
                },
                "tools[0].type",
                "Claude models only",
            ),
            (
                {"messages": [{"role": "user", "content": [{"type": "search_result", "content": []}]}]},
                "messages[0].content[0].type",
                "search_result",
            ),
        ],
    )
    def test_what_the_model_cannot_take_is_a_clear_400(self, body, param, fragment):
        with pytest.raises(InvalidRequestError) as caught:
            kwargs(body)
        assert caught.value.param == param
        assert fragment in caught.value.message

    def test_images_for_a_text_only_model_are_a_400(self):
        content = [{"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "AAAA"}}]
        with pytest.raises(InvalidRequestError, match="does not accept image input"):
            kwargs({"messages": [{"role": "user", "content": content}]}, LLAMA_TEXT)


class TestResponse:
    def test_text_tool_use_reasoning_and_usage(self):
        response = {
            "output": {
                "message": {
                    "role": "assistant",
                    "content": [
                        {"reasoningContent": {"reasoningText": {"text": "hmm"}}},
                        {"text": "Sure."},
                        {"toolUse": {"toolUseId": "t1", "name": "get_weather", "input": {"city": "Paris"}}},
                    ],
                }
            },
            "stopReason": "tool_use",
            "usage": {"inputTokens": 10, "outputTokens": 5, "cacheReadInputTokens": 3},
        }
        assert converse_to_message(response, model="nova", message_id="msg_1") == {
            "id": "msg_1",
            "type": "message",
            "role": "assistant",
            "model": "nova",
            "content": [
                {"type": "thinking", "thinking": "hmm", "signature": ""},
                {"type": "text", "text": "Sure."},
                {"type": "tool_use", "id": "t1", "name": "get_weather", "input": {"city": "Paris"}},
            ],
            "stop_reason": "tool_use",
            "stop_sequence": None,
            "usage": {
                "input_tokens": 10,
                "output_tokens": 5,
                "cache_creation_input_tokens": 0,
                "cache_read_input_tokens": 3,
            },
        }


class TestStream:
    def test_blocks_open_before_deltas_with_dense_indexes_and_usage_after_stop(self):
        events = [
            {"messageStart": {"role": "assistant"}},
            {"contentBlockDelta": {"contentBlockIndex": 0, "delta": {"reasoningContent": {"text": "hmm"}}}},
            {"contentBlockStop": {"contentBlockIndex": 0}},
            {"contentBlockDelta": {"contentBlockIndex": 1, "delta": {"text": "Hi"}}},
            {"contentBlockStop": {"contentBlockIndex": 1}},
            {
                "contentBlockStart": {
                    "contentBlockIndex": 5,
                    "start": {"toolUse": {"toolUseId": "t1", "name": "w"}},
                }
            },
            {"contentBlockDelta": {"contentBlockIndex": 5, "delta": {"toolUse": {"input": "{}"}}}},
            {"contentBlockStop": {"contentBlockIndex": 5}},
            {"messageStop": {"stopReason": "tool_use"}},
            {"metadata": {"usage": {"inputTokens": 7, "outputTokens": 2}}},
        ]
        marks = []
        out = list(
            converse_stream_to_events(
                events, model="nova", message_id="msg_1", on_first_token=lambda: marks.append(1)
            )
        )
        assert out[0]["type"] == "message_start" and out[0]["message"]["model"] == "nova"
        assert out[1:] == [
            {
                "type": "content_block_start",
                "index": 0,
                "content_block": {"type": "thinking", "thinking": "", "signature": ""},
            },
            {
                "type": "content_block_delta",
                "index": 0,
                "delta": {"type": "thinking_delta", "thinking": "hmm"},
            },
            {"type": "content_block_stop", "index": 0},
            {"type": "content_block_start", "index": 1, "content_block": {"type": "text", "text": ""}},
            {"type": "content_block_delta", "index": 1, "delta": {"type": "text_delta", "text": "Hi"}},
            {"type": "content_block_stop", "index": 1},
            {
                "type": "content_block_start",
                "index": 2,
                "content_block": {"type": "tool_use", "id": "t1", "name": "w", "input": {}},
            },
            {
                "type": "content_block_delta",
                "index": 2,
                "delta": {"type": "input_json_delta", "partial_json": "{}"},
            },
            {"type": "content_block_stop", "index": 2},
            {
                "type": "message_delta",
                "delta": {"stop_reason": "tool_use", "stop_sequence": None},
                "usage": {
                    "input_tokens": 7,
                    "output_tokens": 2,
                    "cache_creation_input_tokens": 0,
                    "cache_read_input_tokens": 0,
                },
            },
            {"type": "message_stop"},
        ]
        assert marks == [1]

    def test_a_stream_without_metadata_still_ends(self):
        events = [{"contentBlockDelta": {"contentBlockIndex": 0, "delta": {"text": "Hi"}}}]
        out = list(converse_stream_to_events(events, model="m", message_id="msg_1"))
        assert [event["type"] for event in out] == [
            "message_start",
            "content_block_start",
            "content_block_delta",
            "content_block_stop",
            "message_delta",
            "message_stop",
        ]


class TestModelsWithoutTools:
    HISTORY = [
        {"role": "user", "content": "Weather?"},
        {
            "role": "assistant",
            "content": [{"type": "tool_use", "id": "t1", "name": "get_weather", "input": {}}],
        },
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1", "content": "sunny"}]},
    ]

    def test_offered_tools_are_left_out_and_past_calls_go_as_text(self):
        result = kwargs({"messages": self.HISTORY, "tools": [WEATHER]}, LLAMA_TEXT)
        assert "toolConfig" not in result
        assert result["messages"] == [
            {"role": "user", "content": [{"text": "Weather?"}]},
            {"role": "assistant", "content": [{"text": "[called tool get_weather with {}]"}]},
            {"role": "user", "content": [{"text": "[tool result for t1: sunny]"}]},
        ]

    def test_a_tool_choice_that_insists_is_a_400(self):
        with pytest.raises(InvalidRequestError, match="does not support tools") as caught:
            kwargs({"messages": self.HISTORY, "tools": [WEATHER], "tool_choice": {"type": "any"}}, LLAMA_TEXT)
        assert caught.value.param == "tool_choice"
