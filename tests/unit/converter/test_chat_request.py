"""openai_to_converse: whole Converse kwargs for validated Chat Completions bodies."""

from __future__ import annotations

from dataclasses import replace

import pytest

from app.catalogue import ModelInfo
from app.converse.blocks import EMPTY_TOOL_RESULT, bedrock_tool_id
from app.converse.call import ConverseCall
from app.converse.controls import Deployment
from app.converse.structured import (
    JSON_OBJECT_DESCRIPTION,
    JSON_OBJECT_INSTRUCTION,
    JSON_OBJECT_TOOL,
    STRUCTURED_DESCRIPTION,
)
from app.converse.tools import STRUCTURED_INSTRUCTION
from app.converse.turns import CONVERSATION_START
from app.converter.chat_request import openai_to_converse
from app.errors import InvalidRequestError
from app.schemas.chat import ChatCompletionRequest

CLAUDE = ModelInfo(
    id="us.anthropic.claude-3-7-sonnet-20250219-v1:0",
    foundation_id="anthropic.claude-3-7-sonnet-20250219-v1:0",
    input_modalities=frozenset({"TEXT", "IMAGE"}),
)
CLAUDE_45 = ModelInfo(
    id="us.anthropic.claude-sonnet-4-5-20250929-v1:0",
    foundation_id="anthropic.claude-sonnet-4-5-20250929-v1:0",
    input_modalities=frozenset({"TEXT", "IMAGE"}),
)
CLAUDE_3 = ModelInfo(
    id="anthropic.claude-3-haiku-20240307-v1:0",
    foundation_id="anthropic.claude-3-haiku-20240307-v1:0",
)
NOVA = ModelInfo(id="amazon.nova-pro-v1:0", foundation_id="amazon.nova-pro-v1:0")
TITAN = ModelInfo(id="amazon.titan-text-express-v1", foundation_id="amazon.titan-text-express-v1")
DEEPSEEK = ModelInfo(id="us.deepseek.r1-v1:0", foundation_id="deepseek.r1-v1:0")
CUSTOM = ModelInfo(id="acme.chat-v1", foundation_id="acme.chat-v1")
LLAMA = ModelInfo(id="meta.llama3-1-70b-instruct-v1:0", foundation_id="meta.llama3-1-70b-instruct-v1:0")

WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather for a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    },
}
WEATHER_SPEC = {
    "toolSpec": {
        "name": "get_weather",
        "description": "Weather for a city",
        "inputSchema": {"json": WEATHER["function"]["parameters"]},
    }
}
TIME = {"type": "function", "function": {"name": "get_time"}}
TIME_SPEC = {"toolSpec": {"name": "get_time", "inputSchema": {"json": {"type": "object", "properties": {}}}}}
SIGNED = {"type": "thinking", "thinking": "I should look it up.", "signature": "sig-1"}
SIGNED_BLOCK = {"reasoningContent": {"reasoningText": {"text": "I should look it up.", "signature": "sig-1"}}}


def fake_image(url: str) -> tuple[bytes, str]:
    return b"IMG:" + url.encode(), "png"


def refusing_image(url: str) -> tuple[bytes, str]:
    raise InvalidRequestError("Unsupported image format.")


def convert(
    model: ModelInfo = CLAUDE, *, caching: bool = False, load_image=fake_image, **body
) -> ConverseCall:
    loaded = ChatCompletionRequest().load({"model": "client-model", **body})
    return openai_to_converse(loaded, model, load_image, deployment=Deployment(prompt_caching=caching))


def kwargs(model: ModelInfo = CLAUDE, **body) -> dict:
    return convert(model, **body).kwargs


def user(content) -> dict:
    return {"role": "user", "content": content}


def assistant(content=None, **fields) -> dict:
    return {"role": "assistant", "content": content, **fields}


def call(call_id: str, name: str = "get_weather", arguments: str = '{"city": "Paris"}') -> dict:
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}


def tool(call_id: str, content="18C") -> dict:
    return {"role": "tool", "tool_call_id": call_id, "content": content}


def text_turn(role: str, *texts: str) -> dict:
    return {"role": role, "content": [{"text": text} for text in texts]}


def raises(model: ModelInfo = CLAUDE, **body) -> InvalidRequestError:
    with pytest.raises(InvalidRequestError) as caught:
        convert(model, **body)
    return caught.value


class TestSystemPrompt:
    def test_instructions_alone_are_sent_as_the_user_turn(self):
        assert kwargs(messages=[{"role": "system", "content": "Say hello."}]) == {
            "modelId": CLAUDE.id,
            "messages": [text_turn("user", "Say hello.")],
        }

    @pytest.mark.parametrize(
        ("messages", "system"),
        [
            ([{"role": "system", "content": "Be brief."}, user("hi")], [{"text": "Be brief."}]),
            (
                [{"role": "system", "content": "A"}, user("hi"), {"role": "developer", "content": "B"}],
                [{"text": "A"}, {"text": "B"}],
            ),
            (
                [
                    {
                        "role": "system",
                        "content": [{"type": "text", "text": "A"}, {"type": "text", "text": " "}],
                    },
                    user("hi"),
                ],
                [{"text": "A"}],
            ),
        ],
        ids=["system", "system-and-developer-in-order", "text-parts-blank-dropped"],
    )
    def test_system_and_developer_messages_become_system_blocks(self, messages, system):
        assert kwargs(messages=messages) == {
            "modelId": CLAUDE.id,
            "messages": [text_turn("user", "hi")],
            "system": system,
        }

    def test_blank_system_prompt_sends_no_system(self):
        assert kwargs(messages=[{"role": "system", "content": "  "}, user("hi")]) == {
            "modelId": CLAUDE.id,
            "messages": [text_turn("user", "hi")],
        }

    def test_family_without_system_prompt_gets_it_in_the_first_user_turn(self):
        assert kwargs(TITAN, messages=[{"role": "system", "content": "Be brief."}, user("hi")]) == {
            "modelId": TITAN.id,
            "messages": [text_turn("user", "Be brief.", "hi")],
        }


class TestTurnMerging:
    @pytest.mark.parametrize(
        ("messages", "turns"),
        [
            ([user("a"), user("b")], [text_turn("user", "a", "b")]),
            (
                [user("a"), assistant("x"), assistant("y"), user("b")],
                [text_turn("user", "a"), text_turn("assistant", "x", "y"), text_turn("user", "b")],
            ),
            ([user("a"), assistant("  "), user("b")], [text_turn("user", "a", "b")]),
            ([user("a"), assistant(None), user("")], [text_turn("user", "a")]),
            (
                [assistant("Hello!"), user("hi")],
                [
                    text_turn("user", CONVERSATION_START),
                    text_turn("assistant", "Hello!"),
                    text_turn("user", "hi"),
                ],
            ),
            (
                [user("Say hi"), assistant("Hi there  \n")],
                [text_turn("user", "Say hi"), text_turn("assistant", "Hi there")],
            ),
            (
                [
                    user(
                        [
                            {"type": "text", "text": "a"},
                            {"type": "text", "text": ""},
                            {"type": "text", "text": "b"},
                        ]
                    )
                ],
                [text_turn("user", "a", "b")],
            ),
            (
                [user("a"), assistant(None, refusal="I cannot."), user("b")],
                [text_turn("user", "a"), text_turn("assistant", "I cannot."), text_turn("user", "b")],
            ),
            (
                [user("a"), assistant("x", refusal="I cannot."), user("b")],
                [text_turn("user", "a"), text_turn("assistant", "x"), text_turn("user", "b")],
            ),
        ],
        ids=[
            "consecutive-users",
            "consecutive-assistants",
            "blank-assistant-dropped-then-users-merge",
            "null-and-empty-dropped",
            "assistant-first-gets-a-user-turn",
            "final-assistant-prefill-loses-trailing-whitespace",
            "blank-text-parts-dropped",
            "a-returned-refusal-is-the-assistant-text",
            "content-wins-over-refusal",
        ],
    )
    def test_turns_alternate_and_carry_no_blank_text(self, messages, turns):
        assert kwargs(messages=messages)["messages"] == turns

    def test_tool_results_lead_a_merged_user_turn(self):
        messages = [
            user("weather?"),
            assistant(tool_calls=[call("call_1")]),
            user("also this"),
            tool("call_1"),
        ]
        assert kwargs(messages=messages, tools=[WEATHER])["messages"][2] == {
            "role": "user",
            "content": [
                {"toolResult": {"toolUseId": "call_1", "content": [{"text": "18C"}]}},
                {"text": "also this"},
            ],
        }

    def test_assistant_text_and_tool_calls_stay_one_turn_text_first(self):
        messages = [
            user("weather?"),
            assistant(
                "Let me check.", tool_calls=[call("call_1"), call("call_2", arguments='{"city": "Rome"}')]
            ),
        ]
        assert kwargs(messages=messages, tools=[WEATHER])["messages"][1] == {
            "role": "assistant",
            "content": [
                {"text": "Let me check."},
                {"toolUse": {"toolUseId": "call_1", "name": "get_weather", "input": {"city": "Paris"}}},
                {"toolUse": {"toolUseId": "call_2", "name": "get_weather", "input": {"city": "Rome"}}},
            ],
        }

    @pytest.mark.parametrize(
        "messages",
        [[{"role": "system", "content": " "}], [user("   ")], [user(""), assistant(" ")]],
        ids=["blank-system-only", "blank-user", "all-blank"],
    )
    def test_no_user_or_assistant_content_is_refused(self, messages):
        error = raises(messages=messages)
        assert (error.param, error.status) == ("messages", 400)


class TestImages:
    def test_image_part_becomes_image_bytes_from_the_loader(self):
        messages = [
            user(
                [
                    {"type": "text", "text": "What is this?"},
                    {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}},
                ]
            )
        ]
        assert kwargs(messages=messages)["messages"] == [
            {
                "role": "user",
                "content": [
                    {"text": "What is this?"},
                    {"image": {"format": "png", "source": {"bytes": b"IMG:data:image/png;base64,AAAA"}}},
                ],
            }
        ]

    def test_loader_error_names_the_image_url(self):
        messages = [
            user("hi"),
            assistant("yes"),
            user(
                [
                    {"type": "text", "text": "t"},
                    {"type": "image_url", "image_url": {"url": "https://x/y.bmp"}},
                ]
            ),
        ]
        error = raises(messages=messages, load_image=refusing_image)
        assert (error.param, error.message) == (
            "messages[2].content[1].image_url.url",
            "Unsupported image format.",
        )

    def test_image_for_a_text_only_model_is_refused(self):
        messages = [user([{"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}])]
        error = raises(NOVA, messages=messages)
        assert (error.param, error.message) == (
            "messages[0].content[0]",
            "The model `amazon.nova-pro-v1:0` does not accept image input.",
        )


class TestTools:
    def test_tools_become_tool_specs(self):
        assert kwargs(messages=[user("hi")], tools=[WEATHER, TIME]) == {
            "modelId": CLAUDE.id,
            "messages": [text_turn("user", "hi")],
            "toolConfig": {"tools": [WEATHER_SPEC, TIME_SPEC]},
        }

    def test_schema_without_type_is_made_an_object(self):
        loose = {
            "type": "function",
            "function": {"name": "f", "description": "", "parameters": {"properties": {}}},
        }
        assert kwargs(messages=[user("hi")], tools=[loose])["toolConfig"] == {
            "tools": [
                {"toolSpec": {"name": "f", "inputSchema": {"json": {"type": "object", "properties": {}}}}}
            ]
        }

    @pytest.mark.parametrize(
        ("tools", "param", "fragment"),
        [
            (
                [{"type": "function", "function": {"name": "get weather"}}],
                "tools[0].function.name",
                "1-64 characters",
            ),
            (
                [TIME, {"type": "function", "function": {"name": "x" * 65}}],
                "tools[1].function.name",
                "1-64 characters",
            ),
            ([TIME, TIME], "tools[1].function.name", "Duplicate tool name `get_time`"),
            (
                [{"type": "function", "function": {"name": "f", "parameters": {"type": "array"}}}],
                "tools[0].function.parameters",
                "type object",
            ),
        ],
        ids=["space-in-name", "name-too-long", "duplicate", "not-an-object-schema"],
    )
    def test_bad_tools_are_refused_before_bedrock(self, tools, param, fragment):
        error = raises(messages=[user("hi")], tools=tools)
        assert error.param == param and fragment in error.message

    def test_tools_for_a_family_without_tools_are_refused(self):
        error = raises(TITAN, messages=[user("hi")], tools=[WEATHER])
        assert (error.param, error.message) == (
            "tools",
            "The model `amazon.titan-text-express-v1` does not support tools.",
        )

    def test_tool_call_ids_bedrock_refuses_are_mapped_the_same_on_both_sides(self):
        odd = "call.1:abc/def"
        messages = [user("weather?"), assistant(tool_calls=[call(odd)]), tool(odd)]
        turns = kwargs(messages=messages, tools=[WEATHER])["messages"]
        mapped = bedrock_tool_id(odd)
        assert (
            turns[1]["content"][0]["toolUse"]["toolUseId"],
            turns[2]["content"][0]["toolResult"]["toolUseId"],
        ) == (mapped, mapped)
        assert mapped.startswith("call_") and len(mapped) <= 64 and mapped == bedrock_tool_id(odd)

    @pytest.mark.parametrize(
        ("arguments", "expected"),
        [("", {}), ("  ", {}), ('{"city": "Paris"}', {"city": "Paris"})],
    )
    def test_tool_call_arguments_become_input_objects(self, arguments, expected):
        messages = [user("q"), assistant(tool_calls=[call("c1", arguments=arguments)]), tool("c1")]
        assert (
            kwargs(messages=messages, tools=[WEATHER])["messages"][1]["content"][0]["toolUse"]["input"]
            == expected
        )

    @pytest.mark.parametrize(
        ("arguments", "message"),
        [("{city: Paris", "not valid JSON"), ("[1, 2]", "must be a JSON object")],
    )
    def test_bad_tool_call_arguments_name_their_path(self, arguments, message):
        messages = [user("q"), assistant(tool_calls=[call("c0"), call("c1", arguments=arguments)])]
        error = raises(messages=messages, tools=[WEATHER])
        assert error.param == "messages[1].tool_calls[1].function.arguments" and message in error.message

    @pytest.mark.parametrize(
        ("content", "result"),
        [
            ("", [{"text": EMPTY_TOOL_RESULT}]),
            ('{"temp": 18}', [{"text": '{"temp": 18}'}]),
            ([{"type": "text", "text": "a"}, {"type": "text", "text": "b"}], [{"text": "a"}, {"text": "b"}]),
        ],
        ids=["empty-gets-placeholder", "json-stays-text", "text-parts"],
    )
    def test_tool_messages_become_tool_results(self, content, result):
        messages = [user("q"), assistant(tool_calls=[call("c1")]), tool("c1", content)]
        assert kwargs(messages=messages, tools=[WEATHER])["messages"][2] == {
            "role": "user",
            "content": [{"toolResult": {"toolUseId": "c1", "content": result}}],
        }


class TestToolChoice:
    @pytest.mark.parametrize(
        ("tool_choice", "tool_config"),
        [
            (None, {"tools": [WEATHER_SPEC, TIME_SPEC]}),
            ("auto", {"tools": [WEATHER_SPEC, TIME_SPEC], "toolChoice": {"auto": {}}}),
            ("required", {"tools": [WEATHER_SPEC, TIME_SPEC], "toolChoice": {"any": {}}}),
            (
                {"type": "function", "function": {"name": "get_time"}},
                {"tools": [WEATHER_SPEC, TIME_SPEC], "toolChoice": {"tool": {"name": "get_time"}}},
            ),
            (
                {
                    "type": "allowed_tools",
                    "allowed_tools": {
                        "mode": "required",
                        "tools": [{"type": "function", "function": {"name": "get_time"}}],
                    },
                },
                {"tools": [TIME_SPEC], "toolChoice": {"any": {}}},
            ),
        ],
        ids=["absent", "auto", "required", "named-function", "allowed-tools"],
    )
    def test_tool_choice_maps_to_converse(self, tool_choice, tool_config):
        assert (
            kwargs(messages=[user("hi")], tools=[WEATHER, TIME], tool_choice=tool_choice)["toolConfig"]
            == tool_config
        )

    @pytest.mark.parametrize(
        ("tools", "tool_choice", "param"),
        [
            ([WEATHER], {"type": "function", "function": {"name": "nope"}}, "tool_choice.function.name"),
            ([], "required", "tool_choice"),
            (
                [WEATHER],
                {
                    "type": "allowed_tools",
                    "allowed_tools": {
                        "mode": "auto",
                        "tools": [{"type": "function", "function": {"name": "nope"}}],
                    },
                },
                "tool_choice.allowed_tools.tools[0].function.name",
            ),
        ],
        ids=["unknown-name", "required-without-tools", "allowed-unknown"],
    )
    def test_impossible_tool_choices_are_refused(self, tools, tool_choice, param):
        assert raises(messages=[user("hi")], tools=tools, tool_choice=tool_choice).param == param

    @pytest.mark.parametrize(
        "tool_choice", ["required", {"type": "function", "function": {"name": "get_time"}}]
    )
    def test_a_family_that_only_takes_auto_gets_auto(self, tool_choice):
        config = kwargs(LLAMA, messages=[user("hi")], tools=[WEATHER, TIME], tool_choice=tool_choice)
        assert config["toolConfig"] == {"tools": [WEATHER_SPEC, TIME_SPEC], "toolChoice": {"auto": {}}}

    def test_structured_output_on_such_a_family_asks_for_the_tool_in_words(self):
        schema = {"name": "answer", "schema": {"type": "object", "properties": {}}}
        result = kwargs(
            LLAMA, messages=[user("hi")], response_format={"type": "json_schema", "json_schema": schema}
        )
        assert result["toolConfig"]["toolChoice"] == {"auto": {}}
        assert "answer" in result["system"][-1]["text"]


class TestToolHistoryAsText:
    HISTORY = [
        user("weather?"),
        assistant("Checking.", tool_calls=[call("call_1")]),
        tool("call_1", "18C"),
        user("thanks"),
    ]
    AS_TEXT = [
        text_turn("user", "weather?"),
        text_turn("assistant", "Checking.", '[called tool get_weather with {"city": "Paris"}]'),
        text_turn("user", "[tool result for call_1: 18C]", "thanks"),
    ]

    @pytest.mark.parametrize(
        ("model", "extra"),
        [(CLAUDE, {"tools": [WEATHER], "tool_choice": "none"}), (CLAUDE, {}), (TITAN, {})],
        ids=["tool-choice-none", "no-tools-in-request", "family-without-tools"],
    )
    def test_tool_history_without_tool_config_is_plain_text(self, model, extra):
        assert kwargs(model, messages=self.HISTORY, **extra) == {
            "modelId": model.id,
            "messages": self.AS_TEXT,
        }


class TestStructuredOutput:
    SCHEMA = {"type": "object", "properties": {"answer": {"type": "string"}}, "required": ["answer"]}

    def json_schema(self, name: str = "final_answer") -> dict:
        return {"type": "json_schema", "json_schema": {"name": name, "schema": self.SCHEMA}}

    def structured_spec(self, name: str = "final_answer") -> dict:
        return {
            "toolSpec": {
                "name": name,
                "description": STRUCTURED_DESCRIPTION,
                "inputSchema": {"json": self.SCHEMA},
            }
        }

    def test_json_schema_becomes_a_forced_tool(self):
        result = convert(messages=[user("hi")], response_format=self.json_schema())
        assert result == ConverseCall(
            kwargs={
                "modelId": CLAUDE.id,
                "messages": [text_turn("user", "hi")],
                "toolConfig": {
                    "tools": [self.structured_spec()],
                    "toolChoice": {"tool": {"name": "final_answer"}},
                },
            },
            structured_tool="final_answer",
            json_object=False,
        )

    def test_name_is_sanitised_for_bedrock(self):
        assert (
            convert(messages=[user("hi")], response_format=self.json_schema("my answer.v1")).structured_tool
            == "my_answer_v1"
        )

    def test_with_client_tools_the_model_must_call_some_tool(self):
        result = convert(messages=[user("hi")], tools=[WEATHER], response_format=self.json_schema())
        assert result.kwargs["toolConfig"] == {
            "tools": [WEATHER_SPEC, self.structured_spec()],
            "toolChoice": {"any": {}},
        }

    def test_json_object_forces_an_open_object_tool(self):
        result = convert(messages=[user("hi")], response_format={"type": "json_object"})
        assert result == ConverseCall(
            kwargs={
                "modelId": CLAUDE.id,
                "messages": [text_turn("user", "hi")],
                "toolConfig": {
                    "tools": [
                        {
                            "toolSpec": {
                                "name": JSON_OBJECT_TOOL,
                                "description": JSON_OBJECT_DESCRIPTION,
                                "inputSchema": {"json": {"type": "object"}},
                            }
                        }
                    ],
                    "toolChoice": {"tool": {"name": JSON_OBJECT_TOOL}},
                },
            },
            structured_tool=JSON_OBJECT_TOOL,
            json_object=True,
        )

    def test_json_object_is_asked_in_words_where_no_tool_can_be_forced(self):
        result = convert(LLAMA, messages=[user("hi")], response_format={"type": "json_object"})
        assert result == ConverseCall(
            kwargs={
                "modelId": LLAMA.id,
                "messages": [text_turn("user", "hi")],
                "system": [{"text": JSON_OBJECT_INSTRUCTION}],
            },
            structured_tool=None,
            json_object=True,
        )

    def test_json_object_while_thinking_asks_for_the_tool_in_words(self):
        result = convert(
            messages=[user("hi")],
            response_format={"type": "json_object"},
            reasoning_effort="low",
            max_tokens=4096,
        )
        assert result.kwargs["toolConfig"]["toolChoice"] == {"auto": {}}
        assert result.kwargs["system"] == [{"text": STRUCTURED_INSTRUCTION.format(name=JSON_OBJECT_TOOL)}]
        assert (result.structured_tool, result.json_object, result.thinking) == (JSON_OBJECT_TOOL, True, True)

    def test_text_format_changes_nothing(self):
        assert convert(messages=[user("hi")], response_format={"type": "text"}) == ConverseCall(
            kwargs={"modelId": CLAUDE.id, "messages": [text_turn("user", "hi")]}
        )

    def test_family_without_tools_gets_the_schema_in_words(self):
        result = convert(TITAN, messages=[user("hi")], response_format=self.json_schema())
        instruction = result.kwargs["messages"][0]["content"][0]["text"]
        assert (result.structured_tool, result.json_object) == (None, True)
        assert instruction.startswith(JSON_OBJECT_INSTRUCTION) and '"required": ["answer"]' in instruction


class TestThinking:
    @pytest.mark.parametrize(
        ("effort", "max_tokens", "budget"),
        [
            ("low", 10000, 3000),
            ("minimal", 10000, 3000),
            ("medium", 10000, 6000),
            ("high", 10000, 9999),
            ("xhigh", 10000, 9999),
            ("low", 2000, 1024),
            ("low", 1025, 1024),
        ],
    )
    def test_reasoning_effort_sets_a_thinking_budget(self, effort, max_tokens, budget):
        assert kwargs(messages=[user("hi")], reasoning_effort=effort, max_tokens=max_tokens) == {
            "modelId": CLAUDE.id,
            "messages": [text_turn("user", "hi")],
            "inferenceConfig": {"maxTokens": max_tokens},
            "additionalModelRequestFields": {"thinking": {"type": "enabled", "budget_tokens": budget}},
        }

    def test_without_max_tokens_the_family_default_is_used(self):
        result = kwargs(messages=[user("hi")], reasoning_effort="medium")
        assert (result["inferenceConfig"], result["additionalModelRequestFields"]) == (
            {"maxTokens": 8192},
            {"thinking": {"type": "enabled", "budget_tokens": 4915}},
        )

    @pytest.mark.parametrize(
        ("model", "body", "param", "fragment"),
        [
            (CLAUDE, {"max_tokens": 1024}, "max_tokens", "must exceed 1024"),
            (
                CLAUDE,
                {"max_completion_tokens": 500, "max_tokens": 5000},
                "max_completion_tokens",
                "must exceed 1024",
            ),
        ],
    )
    def test_too_few_tokens_for_thinking_are_refused(self, model, body, param, fragment):
        error = raises(model, messages=[user("hi")], reasoning_effort="low", **body)
        assert error.param == param and fragment in error.message

    def test_family_without_a_default_needs_max_tokens(self):
        family = replace(CLAUDE.family, default_max_tokens=None)
        no_default = ModelInfo(id=CLAUDE.id, foundation_id=CLAUDE.foundation_id, family=family)
        error = raises(no_default, messages=[user("hi")], reasoning_effort="low")
        assert error.param == "max_tokens" and "Set max_tokens" in error.message

    @pytest.mark.parametrize(
        ("model", "effort"),
        [(CLAUDE, "none"), (DEEPSEEK, "high"), (NOVA, "high"), (CLAUDE_3, "low")],
        ids=["none-is-off", "deepseek-always-reasons", "nova-has-no-switch", "claude-3-has-no-thinking"],
    )
    def test_reasoning_effort_is_ignored_where_it_means_nothing(self, model, effort):
        assert kwargs(model, messages=[user("hi")], reasoning_effort=effort) == {
            "modelId": model.id,
            "messages": [text_turn("user", "hi")],
        }

    def test_thinking_drops_sampling_and_unforces_tool_choice(self):
        result = kwargs(
            messages=[user("hi")],
            reasoning_effort="low",
            max_tokens=4000,
            temperature=0.3,
            top_p=0.9,
            top_k=40,
            tools=[WEATHER],
            tool_choice="required",
        )
        assert result == {
            "modelId": CLAUDE.id,
            "messages": [text_turn("user", "hi")],
            "inferenceConfig": {"maxTokens": 4000},
            "toolConfig": {"tools": [WEATHER_SPEC], "toolChoice": {"auto": {}}},
            "additionalModelRequestFields": {"thinking": {"type": "enabled", "budget_tokens": 1200}},
        }

    def test_structured_output_while_thinking_is_asked_for_in_words(self):
        schema = {"type": "object", "properties": {}}
        result = convert(
            messages=[user("hi")],
            reasoning_effort="low",
            max_tokens=4000,
            response_format={"type": "json_schema", "json_schema": {"name": "out", "schema": schema}},
        )
        assert (
            result.structured_tool,
            result.kwargs["system"],
            result.kwargs["toolConfig"]["toolChoice"],
        ) == (
            "out",
            [{"text": STRUCTURED_INSTRUCTION.format(name="out")}],
            {"auto": {}},
        )

    def test_passthrough_thinking_counts_as_thinking(self):
        thinking = {"type": "enabled", "budget_tokens": 2000}
        result = kwargs(messages=[user("hi")], thinking=thinking, temperature=0.5, max_tokens=5000)
        assert (result["inferenceConfig"], result["additionalModelRequestFields"]) == (
            {"maxTokens": 5000},
            {"thinking": thinking},
        )

    def test_signed_thinking_blocks_lead_their_assistant_turn(self):
        messages = [
            user("weather?"),
            assistant(
                "Checking.",
                tool_calls=[call("call_1")],
                thinking_blocks=[SIGNED, {"type": "redacted_thinking", "data": "AAEC"}],
            ),
            tool("call_1"),
        ]
        turns = kwargs(messages=messages, tools=[WEATHER], reasoning_effort="low")["messages"]
        assert turns[1] == {
            "role": "assistant",
            "content": [
                SIGNED_BLOCK,
                {"reasoningContent": {"redactedContent": b"\x00\x01\x02"}},
                {"text": "Checking."},
                {"toolUse": {"toolUseId": "call_1", "name": "get_weather", "input": {"city": "Paris"}}},
            ],
        }

    def test_thinking_is_off_when_the_last_tool_turn_lost_its_signature(self):
        messages = [
            user("weather?"),
            assistant(tool_calls=[call("call_1")], thinking_blocks=[{"type": "thinking", "thinking": "hm"}]),
            tool("call_1"),
        ]
        result = kwargs(
            messages=messages,
            tools=[WEATHER],
            reasoning_effort="low",
            temperature=0.2,
            thinking={"type": "enabled", "budget_tokens": 2000},
        )
        assert "additionalModelRequestFields" not in result and result["inferenceConfig"] == {
            "temperature": 0.2
        }

    def test_thinking_blocks_are_not_sent_when_thinking_is_off(self):
        messages = [user("hi"), assistant("hello", thinking_blocks=[SIGNED]), user("bye")]
        assert kwargs(messages=messages)["messages"][1] == text_turn("assistant", "hello")

    def test_bad_redacted_data_names_its_path(self):
        messages = [
            user("q"),
            assistant("a", thinking_blocks=[{"type": "redacted_thinking", "data": "%%%"}]),
            user("r"),
        ]
        assert (
            raises(messages=messages, reasoning_effort="low").param == "messages[1].thinking_blocks[0].data"
        )


class TestPromptCaching:
    MESSAGES = [{"role": "system", "content": "S"}, user("a"), assistant("b"), user("c")]
    POINT = {"cachePoint": {"type": "default"}}

    @pytest.mark.parametrize(
        ("model", "setting", "control", "system_point", "messages_point"),
        [
            (CLAUDE, True, None, True, True),
            (CLAUDE, False, None, False, False),
            (CLAUDE, False, True, True, True),
            (CLAUDE, True, False, False, False),
            (CLAUDE, False, {"system": True}, True, False),
            (CLAUDE, True, {"messages": False}, True, False),
            (NOVA, False, {"messages": True}, False, True),
            (CLAUDE_3, True, True, False, False),
        ],
        ids=[
            "global",
            "off",
            "request-on",
            "request-off",
            "system-only",
            "override-messages",
            "nova",
            "family-without-caching",
        ],
    )
    def test_cache_points_follow_setting_request_and_family(
        self, model, setting, control, system_point, messages_point
    ):
        body = {"messages": self.MESSAGES} | ({} if control is None else {"prompt_caching": control})
        result = convert(model, caching=setting, **body).kwargs
        assert result["system"] == [{"text": "S"}] + ([self.POINT] if system_point else [])
        assert result["messages"][2]["content"] == [{"text": "c"}] + ([self.POINT] if messages_point else [])
        assert result["messages"][0]["content"] == [{"text": "a"}]


class TestPassthrough:
    def test_top_k_goes_into_novas_own_inference_config(self):
        assert kwargs(NOVA, messages=[user("hi")], top_k=5)["additionalModelRequestFields"] == {
            "inferenceConfig": {"topK": 5}
        }

    def test_unknown_keys_go_to_the_model_and_openai_ones_do_not(self):
        result = kwargs(
            messages=[user("hi")],
            top_k=40,
            anthropic_beta=["context-1m-2025-08-07"],
            user="u-1",
            seed=7,
            store=True,
            metadata={"a": "b"},
            service_tier="auto",
            logit_bias={"1": 2},
            frequency_penalty=0.5,
            presence_penalty=0.5,
            parallel_tool_calls=False,
            modalities=["text"],
            prediction={"type": "content", "content": "x"},
            audio=None,
            verbosity="low",
            web_search_options={},
            prompt_cache_key="k",
            safety_identifier="s",
            stream=True,
            stream_options={"include_usage": True},
            n=1,
            logprobs=False,
            prompt_caching=False,
        )
        assert result["additionalModelRequestFields"] == {
            "top_k": 40,
            "anthropic_beta": ["context-1m-2025-08-07"],
        }

    def test_extra_body_keys_are_passed_through(self):
        result = kwargs(messages=[user("hi")], extra_body={"top_k": 5, "thinking": {"type": "disabled"}})
        assert result["additionalModelRequestFields"] == {"top_k": 5, "thinking": {"type": "disabled"}}


class TestParameters:
    @pytest.mark.parametrize(
        ("model", "body", "config"),
        [
            (CLAUDE, {"max_tokens": 100}, {"maxTokens": 100}),
            (CLAUDE, {"max_tokens": 100, "max_completion_tokens": 200}, {"maxTokens": 200}),
            (CLAUDE, {"temperature": 1.7}, {"temperature": 1.0}),
            (CLAUDE, {"temperature": 0.2, "top_p": 0.9}, {"temperature": 0.2, "topP": 0.9}),
            (CLAUDE_45, {"temperature": 0.2, "top_p": 0.9}, {"temperature": 0.2}),
            (CLAUDE_45, {"top_p": 0.9}, {"topP": 0.9}),
            (CLAUDE, {"stop": "END"}, {"stopSequences": ["END"]}),
            (CLAUDE, {"stop": ["a", "", "\n"]}, {"stopSequences": ["a"]}),
            (CLAUDE, {"stop": ["\n", " \t"]}, None),
            (CLAUDE, {"stop": ["\nUser:", " end "]}, {"stopSequences": ["\nUser:", " end "]}),
            (LLAMA, {"stop": ["a", "", "\n"]}, {"stopSequences": ["a", "\n"]}),
            (NOVA, {"stop": "\n"}, {"stopSequences": ["\n"]}),
            (CUSTOM, {"temperature": None, "stop": None, "max_tokens": None}, None),
        ],
        ids=[
            "max-tokens",
            "max-completion-tokens-wins",
            "temperature-clamped",
            "temperature-and-top-p",
            "exclusive-sampling-keeps-temperature",
            "exclusive-sampling-top-p-alone",
            "stop-string",
            "stop-claude-drops-empty-and-whitespace-only",
            "stop-claude-only-whitespace-sends-none",
            "stop-claude-keeps-sequences-with-text",
            "stop-llama-keeps-whitespace-only",
            "stop-nova-keeps-newline",
            "nulls-send-nothing",
        ],
    )
    def test_parameters_become_inference_config(self, model, body, config):
        assert kwargs(model, messages=[user("hi")], **body).get("inferenceConfig") == config
