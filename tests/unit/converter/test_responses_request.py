"""responses_to_converse: whole Converse kwargs for Responses input items and tools."""

from __future__ import annotations

import pytest

from app.catalogue import ModelInfo
from app.converse.structured import STRUCTURED_DESCRIPTION
from app.converse.turns import CONVERSATION_START
from app.converter.reasoning_codec import ReasoningCodec
from app.converter.responses_items import ToolRef, bedrock_name
from app.converter.responses_request import input_items, responses_to_converse
from app.errors import InvalidRequestError
from app.schemas.responses import ResponseCreateRequest

CLAUDE = ModelInfo(
    id="us.anthropic.claude-3-7-sonnet-20250219-v1:0",
    foundation_id="anthropic.claude-3-7-sonnet-20250219-v1:0",
    input_modalities=frozenset({"TEXT", "IMAGE"}),
)
NOVA = ModelInfo(id="amazon.nova-pro-v1:0", foundation_id="amazon.nova-pro-v1:0")
CUSTOM_MODEL = ModelInfo(id="acme.chat-v1", foundation_id="acme.chat-v1")
LLAMA = ModelInfo(id="meta.llama3-8b-instruct-v1:0", foundation_id="meta.llama3-8b-instruct-v1:0")
CODEC = ReasoningCodec(b"k" * 32)
SIGNED = {"reasoningContent": {"reasoningText": {"text": "Look it up.", "signature": "sig-1"}}}
SEALED = CODEC.seal([SIGNED["reasoningContent"]], CLAUDE.family.name)
EMPTY = {"type": "object", "properties": {}}
WEATHER = {"type": "function", "name": "get_weather", "parameters": {"type": "object", "properties": {}}}


def spec(name: str, description: str | None = None, schema: dict | None = None) -> dict:
    body: dict = {"name": name}
    if description:
        body["description"] = description
    body["inputSchema"] = {"json": schema or EMPTY}
    return {"toolSpec": body}


def kwargs(body: dict, model: ModelInfo = CUSTOM_MODEL) -> dict:
    loaded = ResponseCreateRequest().load({"model": model.id, **body})
    items = input_items(loaded.get("input") or [])
    return responses_to_converse(loaded, model, _no_image, CODEC, items=items).call.kwargs


def _no_image(url: str) -> tuple[bytes, str]:
    return b"png", "png"


def user(text: str) -> dict:
    return {"role": "user", "content": [{"text": text}]}


class TestMessages:
    @pytest.mark.parametrize(
        ("body", "system", "messages"),
        [
            ({"input": "Hi"}, None, [user("Hi")]),
            ({"input": "Hi", "instructions": "Be brief."}, [{"text": "Be brief."}], [user("Hi")]),
            (
                {
                    "input": [
                        {"role": "developer", "content": "Rules."},
                        {
                            "type": "message",
                            "role": "system",
                            "content": [{"type": "input_text", "text": "More."}],
                        },
                        {"role": "user", "content": [{"type": "input_text", "text": "Hi"}]},
                        {"role": "developer", "content": "Late rule."},
                    ],
                    "instructions": "Be brief.",
                },
                [{"text": "Be brief."}, {"text": "Rules."}, {"text": "More."}],
                [{"role": "user", "content": [{"text": "Hi"}, {"text": "Late rule."}]}],
            ),
            (
                {
                    "input": [
                        {"role": "assistant", "content": "Hello!"},
                        {
                            "type": "message",
                            "id": "msg_1",
                            "status": "completed",
                            "role": "assistant",
                            "content": [
                                {"type": "output_text", "text": " How can I help?", "annotations": []}
                            ],
                        },
                        {"role": "user", "content": "Weather?"},
                    ]
                },
                None,
                [
                    user(CONVERSATION_START),
                    {"role": "assistant", "content": [{"text": "Hello!"}, {"text": " How can I help?"}]},
                    user("Weather?"),
                ],
            ),
        ],
        ids=["string input", "instructions", "leading system and developer", "assistant items with ids"],
    )
    def test_messages_become_system_and_alternating_turns(self, body, system, messages):
        result = kwargs(body)
        assert result.get("system") == system
        assert result["messages"] == messages

    def test_image_part_becomes_an_image_block(self):
        body = {
            "input": [
                {
                    "role": "user",
                    "content": [
                        {"type": "input_text", "text": "What is it?"},
                        {"type": "input_image", "image_url": "data:image/png;base64,cG5n", "detail": "auto"},
                    ],
                }
            ]
        }
        image = {"image": {"format": "png", "source": {"bytes": b"png"}}}
        assert kwargs(body, CLAUDE)["messages"] == [
            {"role": "user", "content": [{"text": "What is it?"}, image]}
        ]

    def test_max_output_tokens_defaults_to_the_models_own_maximum(self):
        assert kwargs({"input": "Hi"}, NOVA)["inferenceConfig"] == {"maxTokens": 10000}
        assert kwargs({"input": "Hi", "max_output_tokens": 50}, NOVA)["inferenceConfig"] == {"maxTokens": 50}
        assert "inferenceConfig" not in kwargs({"input": "Hi"}, CUSTOM_MODEL)


class TestToolItems:
    def test_parallel_calls_and_outputs_group_into_one_turn_each(self):
        body = {
            "tools": [WEATHER],
            "input": [
                {"role": "user", "content": "Paris and Rome?"},
                {
                    "type": "function_call",
                    "call_id": "c1",
                    "name": "get_weather",
                    "arguments": '{"city":"Paris"}',
                },
                {
                    "type": "function_call",
                    "call_id": "c2",
                    "name": "get_weather",
                    "arguments": '{"city":"Rome"}',
                },
                {"type": "function_call_output", "call_id": "c1", "output": "sunny"},
                {
                    "type": "function_call_output",
                    "call_id": "c2",
                    "output": [{"type": "input_text", "text": "rain"}],
                },
            ],
        }
        assert kwargs(body)["messages"] == [
            user("Paris and Rome?"),
            {
                "role": "assistant",
                "content": [
                    {"toolUse": {"toolUseId": "c1", "name": "get_weather", "input": {"city": "Paris"}}},
                    {"toolUse": {"toolUseId": "c2", "name": "get_weather", "input": {"city": "Rome"}}},
                ],
            },
            {
                "role": "user",
                "content": [
                    {"toolResult": {"toolUseId": "c1", "content": [{"text": "sunny"}]}},
                    {"toolResult": {"toolUseId": "c2", "content": [{"text": "rain"}]}},
                ],
            },
        ]

    def test_tool_history_without_tools_is_sent_as_text(self):
        body = {
            "input": [
                {"role": "user", "content": "Weather?"},
                {"type": "function_call", "call_id": "c1", "name": "get_weather", "arguments": "{}"},
                {"type": "function_call_output", "call_id": "c1", "output": "sunny"},
            ]
        }
        result = kwargs(body)
        assert "toolConfig" not in result
        assert result["messages"] == [
            user("Weather?"),
            {"role": "assistant", "content": [{"text": "[called tool get_weather with {}]"}]},
            {"role": "user", "content": [{"text": "[tool result for c1: sunny]"}]},
        ]

    def test_codex_items_become_tool_use_of_their_tools(self):
        body = {
            "tools": [
                {"type": "custom", "name": "apply_patch", "description": "Edit files."},
                {"type": "local_shell"},
                {"type": "namespace", "name": "mcp__docs", "tools": [{"type": "function", "name": "search"}]},
            ],
            "input": [
                {"role": "user", "content": "Go"},
                {
                    "type": "custom_tool_call",
                    "call_id": "p1",
                    "name": "apply_patch",
                    "input": "*** Begin Patch",
                },
                {
                    "type": "local_shell_call",
                    "call_id": "s1",
                    "status": "completed",
                    "action": {"type": "exec", "command": ["ls"], "working_directory": "/tmp", "env": {}},
                },
                {
                    "type": "function_call",
                    "call_id": "m1",
                    "namespace": "mcp__docs",
                    "name": "search",
                    "arguments": '{"q": "x"}',
                },
                {"type": "custom_tool_call_output", "call_id": "p1", "output": "Done"},
                {"type": "local_shell_call_output", "call_id": "s1", "output": "a.txt"},
                {"type": "function_call_output", "call_id": "m1", "output": "found"},
            ],
        }
        result = kwargs(body)
        assert [tool["toolSpec"]["name"] for tool in result["toolConfig"]["tools"]] == [
            "apply_patch",
            "local_shell",
            "mcp__docs__search",
        ]
        assert result["messages"][1] == {
            "role": "assistant",
            "content": [
                {
                    "toolUse": {
                        "toolUseId": "p1",
                        "name": "apply_patch",
                        "input": {"input": "*** Begin Patch"},
                    }
                },
                {
                    "toolUse": {
                        "toolUseId": "s1",
                        "name": "local_shell",
                        "input": {"command": ["ls"], "workdir": "/tmp"},
                    }
                },
                {"toolUse": {"toolUseId": "m1", "name": "mcp__docs__search", "input": {"q": "x"}}},
            ],
        }

    def test_additional_tools_item_is_hoisted_and_hosted_tools_dropped(self):
        body = {
            "tools": [{"type": "web_search"}, {"type": "image_generation"}],
            "input": [
                {"type": "additional_tools", "role": "developer", "tools": [WEATHER]},
                {"role": "user", "content": "Hi"},
                {"type": "web_search_call", "id": "ws_1", "status": "completed"},
            ],
        }
        result = kwargs(body)
        assert result["toolConfig"] == {"tools": [spec("get_weather")]}
        assert result["messages"] == [user("Hi")]

    def test_tool_choice_forcing_a_hosted_tool_is_refused(self):
        with pytest.raises(InvalidRequestError) as caught:
            kwargs({"input": "Hi", "tools": [{"type": "web_search"}], "tool_choice": {"type": "web_search"}})
        assert caught.value.param == "tool_choice"

    def test_tool_choice_names_a_function(self):
        body = {"input": "Hi", "tools": [WEATHER], "tool_choice": {"type": "function", "name": "get_weather"}}
        assert kwargs(body)["toolConfig"]["toolChoice"] == {"tool": {"name": "get_weather"}}

    def test_long_namespaced_names_are_hashed_the_same_way_both_ways(self):
        ref = ToolRef("function", "x" * 60, "mcp__server")
        assert bedrock_name(ref) == bedrock_name(ToolRef("function", "x" * 60, "mcp__server"))
        assert len(bedrock_name(ref)) <= 64
        assert bedrock_name(ref) != bedrock_name(ToolRef("function", "x" * 60, "mcp__other"))


class TestReasoning:
    def test_sealed_reasoning_is_replayed_before_the_tool_call(self):
        body = {
            "tools": [WEATHER],
            "reasoning": {"effort": "low"},
            "input": [
                {"role": "user", "content": "Weather?"},
                {"type": "reasoning", "id": "rs_1", "summary": [], "encrypted_content": SEALED},
                {"type": "function_call", "call_id": "c1", "name": "get_weather", "arguments": "{}"},
                {"type": "function_call_output", "call_id": "c1", "output": "sunny"},
            ],
        }
        result = kwargs(body, CLAUDE)
        assert result["additionalModelRequestFields"]["thinking"]["type"] == "enabled"
        assert result["messages"][1]["content"] == [
            SIGNED,
            {"toolUse": {"toolUseId": "c1", "name": "get_weather", "input": {}}},
        ]

    @pytest.mark.parametrize(
        "encrypted",
        [None, "gAAAAABforeign", SEALED[:-4] + "AAAA", CODEC.seal([SIGNED["reasoningContent"]], "nova")],
        ids=["missing", "foreign", "altered", "other family"],
    )
    def test_unreplayable_reasoning_turns_thinking_off(self, encrypted):
        body = {
            "tools": [WEATHER],
            "reasoning": {"effort": "low"},
            "input": [
                {"role": "user", "content": "Weather?"},
                {"type": "reasoning", "summary": [], "encrypted_content": encrypted},
                {"type": "function_call", "call_id": "c1", "name": "get_weather", "arguments": "{}"},
                {"type": "function_call_output", "call_id": "c1", "output": "sunny"},
            ],
        }
        result = kwargs(body, CLAUDE)
        assert "thinking" not in result.get("additionalModelRequestFields", {})
        assert result["messages"][1]["content"] == [
            {"toolUse": {"toolUseId": "c1", "name": "get_weather", "input": {}}}
        ]


class TestStructuredOutput:
    def test_json_schema_format_becomes_a_forced_tool(self):
        schema = {"type": "object", "properties": {"answer": {"type": "string"}}, "required": ["answer"]}
        body = {
            "input": "Hi",
            "text": {"format": {"type": "json_schema", "name": "Answer", "schema": schema}},
        }
        assert kwargs(body)["toolConfig"] == {
            "tools": [spec("Answer", STRUCTURED_DESCRIPTION, schema)],
            "toolChoice": {"tool": {"name": "Answer"}},
        }


class TestRefusals:
    @pytest.mark.parametrize(
        ("body", "param"),
        [
            ({"input": [{"type": "item_reference", "id": "msg_1"}]}, "input[0].id"),
            ({"input": [{"role": "tool", "content": "x"}]}, "input[0].role"),
            ({"input": [{"type": "function_call", "name": "f", "arguments": "{}"}]}, "input[0].call_id"),
            (
                {"input": [{"type": "function_call", "call_id": "c", "name": "f", "arguments": "[1]"}]},
                "input[0].arguments",
            ),
            (
                {"input": [{"role": "user", "content": [{"type": "input_file", "file_id": "f"}]}]},
                "input[0].content[0]",
            ),
        ],
    )
    def test_bad_items_name_the_offending_field(self, body, param):
        with pytest.raises(InvalidRequestError) as caught:
            kwargs(body)
        assert caught.value.param == param


class TestCaching:
    def test_prompt_cache_key_adds_cache_points_for_models_with_prompt_caching(self):
        body = {"input": "Hi", "instructions": "Rules.", "tools": [WEATHER], "prompt_cache_key": "session-1"}
        result = kwargs(body, CLAUDE)
        point = {"cachePoint": {"type": "default"}}
        assert result["system"] == [{"text": "Rules."}, point]
        assert result["toolConfig"]["tools"] == [spec("get_weather"), point]
        assert result["messages"] == [{"role": "user", "content": [{"text": "Hi"}, point]}]

    def test_models_without_prompt_caching_get_no_cache_points(self):
        body = {"input": "Hi", "instructions": "Rules.", "prompt_cache_key": "session-1"}
        assert kwargs(body, CUSTOM_MODEL)["system"] == [{"text": "Rules."}]


class TestModelsWithoutTools:
    def test_offered_tools_are_left_out_and_past_calls_sent_as_text(self):
        body = {
            "tools": [WEATHER],
            "input": [
                {"role": "user", "content": "Weather?"},
                {"type": "function_call", "call_id": "c1", "name": "get_weather", "arguments": "{}"},
                {"type": "function_call_output", "call_id": "c1", "output": "sunny"},
            ],
        }
        result = kwargs(body, LLAMA)
        assert "toolConfig" not in result
        assert result["messages"][1] == {
            "role": "assistant",
            "content": [{"text": "[called tool get_weather with {}]"}],
        }

    def test_a_tool_choice_that_insists_is_refused(self):
        with pytest.raises(InvalidRequestError) as caught:
            kwargs({"input": "Hi", "tools": [WEATHER], "tool_choice": "required"}, LLAMA)
        assert caught.value.param == "tool_choice"
