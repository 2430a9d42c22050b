"""openai_to_converse against rules Bedrock's models enforce beyond the Converse shapes.

Each row is a request an OpenAI client commonly sends that real Bedrock refused before
the fix: repeated or unpaired tool call ids, prefills while thinking, too many images.
"""

from __future__ import annotations

import pytest

from tests.unit.converter.test_chat_request import (
    CLAUDE,
    NOVA,
    SIGNED,
    SIGNED_BLOCK,
    TIME,
    WEATHER,
    assistant,
    call,
    kwargs,
    raises,
    text_turn,
    tool,
    user,
)

PARIS = {"city": "Paris"}
THINK = {"thinking": {"type": "enabled", "budget_tokens": 1200}}


def use(tool_id: str, name: str = "get_weather", arguments: dict = PARIS) -> dict:
    return {"toolUse": {"toolUseId": tool_id, "name": name, "input": arguments}}


def result(tool_id: str, text: str = "18C") -> dict:
    return {"toolResult": {"toolUseId": tool_id, "content": [{"text": text}]}}


def turn(role: str, *blocks: dict) -> dict:
    return {"role": role, "content": list(blocks)}


class TestToolIdsArePaired:
    @pytest.mark.parametrize(
        ("messages", "turns"),
        [
            (
                # Providers that number calls per turn send call_0 in every turn.
                [
                    user("weather?"),
                    assistant(tool_calls=[call("call_0")]),
                    tool("call_0"),
                    user("and again?"),
                    assistant(tool_calls=[call("call_0")]),
                    tool("call_0", "19C"),
                ],
                [
                    text_turn("user", "weather?"),
                    turn("assistant", use("call_0")),
                    turn("user", result("call_0"), {"text": "and again?"}),
                    turn("assistant", use("call_0_2")),
                    turn("user", result("call_0_2", "19C")),
                ],
            ),
            (
                # A history trimmed to a window keeps a result whose call was cut off.
                [user("weather?"), tool("call_gone"), user("thanks")],
                [text_turn("user", "[tool result for call_gone: 18C]", "weather?", "thanks")],
            ),
            (
                # The user interrupted: the call was never answered.
                [user("weather?"), assistant(tool_calls=[call("call_1")]), user("never mind")],
                [
                    text_turn("user", "weather?"),
                    text_turn("assistant", '[called tool get_weather with {"city": "Paris"}]'),
                    text_turn("user", "never mind"),
                ],
            ),
            (
                # Two parallel calls, one answered.
                [
                    user("weather?"),
                    assistant(tool_calls=[call("a"), call("b", "get_time", "")]),
                    tool("a"),
                ],
                [
                    text_turn("user", "weather?"),
                    turn("assistant", use("a"), {"text": "[called tool get_time with {}]"}),
                    turn("user", result("a")),
                ],
            ),
            (
                # A final, unanswered call stays a call (Bedrock accepts it last).
                [user("weather?"), assistant(tool_calls=[call("a")])],
                [text_turn("user", "weather?"), turn("assistant", use("a"))],
            ),
        ],
        ids=["repeated-id-renamed", "orphan-result", "unanswered-call", "half-answered", "final-call-kept"],
    )
    def test_tool_blocks_bedrock_would_refuse_are_fixed(self, messages, turns):
        assert kwargs(messages=messages, tools=[WEATHER, TIME])["messages"] == turns


class TestPrefillWhileThinking:
    @pytest.mark.parametrize(
        "messages",
        [
            [user("Write JSON"), assistant("{")],
            [
                user("Write JSON"),
                assistant([{"type": "text", "text": "{"}]),
                {"role": "system", "content": "Be terse."},
            ],
        ],
        ids=["string-prefill", "parts-prefill-then-system"],
    )
    def test_an_unsigned_prefill_turns_thinking_off(self, messages):
        result = kwargs(messages=messages, reasoning_effort="low", max_tokens=4000, temperature=0.3)
        assert "additionalModelRequestFields" not in result
        assert result["inferenceConfig"] == {"maxTokens": 4000, "temperature": 0.3}
        assert result["messages"][-1] == text_turn("assistant", "{")

    def test_a_signed_prefill_keeps_thinking(self):
        messages = [user("Go on"), assistant("Partial", thinking_blocks=[SIGNED])]
        result = kwargs(messages=messages, reasoning_effort="low", max_tokens=4000)
        assert result["additionalModelRequestFields"] == THINK
        assert result["messages"][-1] == turn("assistant", SIGNED_BLOCK, {"text": "Partial"})

    def test_a_blank_final_assistant_is_not_a_prefill(self):
        result = kwargs(messages=[user("hi"), assistant(" ")], reasoning_effort="low", max_tokens=4000)
        assert result["additionalModelRequestFields"] == THINK


class TestImageCount:
    def image(self, n: int) -> dict:
        return {"type": "image_url", "image_url": {"url": f"https://example.com/{n}.png"}}

    def test_claude_takes_at_most_twenty_images_in_the_conversation(self):
        first = user([self.image(n) for n in range(15)])
        second = user([{"type": "text", "text": "and these"}, *[self.image(n) for n in range(6)]])
        error = raises(messages=[first, assistant("ok"), second])
        assert error.param == "messages"
        assert f"21 images; `{CLAUDE.id}` takes at most {CLAUDE.family.max_images}" in error.message

    def test_twenty_images_are_fine(self):
        result = kwargs(messages=[user([self.image(n) for n in range(CLAUDE.family.max_images)])])
        assert len(result["messages"][0]["content"]) == CLAUDE.family.max_images

    def test_other_families_are_not_capped_by_the_gateway(self):
        nova = NOVA.__class__(
            id=NOVA.id, foundation_id=NOVA.foundation_id, input_modalities=frozenset({"TEXT", "IMAGE"})
        )
        result = kwargs(nova, messages=[user([self.image(n) for n in range(25)])])
        assert len(result["messages"][0]["content"]) == 25
