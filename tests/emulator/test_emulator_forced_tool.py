"""A forced tool choice always gets a toolUse, as on Bedrock; its input is a minimal schema instance."""

import pytest
from emulator_helpers import HAIKU, ask, reply_text

from app.emulator.minimal_input import minimal_input


def spec(name: str, schema: dict) -> dict:
    return {"toolSpec": {"name": name, "inputSchema": {"json": schema}}}


PERSON = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "age": {"type": "integer"}, "note": {"type": "string"}},
    "required": ["name", "age"],
}
TOOLS = [spec("get_time", {"type": "object", "properties": {}}), spec("Person", PERSON)]


def tool_uses(response: dict) -> list[dict]:
    return [b["toolUse"] for b in response["output"]["message"]["content"] if "toolUse" in b]


class TestForcedChoice:
    @pytest.mark.parametrize(
        ("choice", "name", "expected"),
        [
            ({"tool": {"name": "Person"}}, "Person", {"name": "name", "age": 0}),
            ({"any": {}}, "get_time", {}),
        ],
        ids=["named-tool", "any-calls-the-first"],
    )
    def test_a_forced_choice_calls_the_tool_with_a_minimal_input(self, runtime, choice, name, expected):
        response = ask(runtime, "Who?", toolConfig={"tools": TOOLS, "toolChoice": choice})
        (use,) = tool_uses(response)
        assert (use["name"], use["input"], response["stopReason"]) == (name, expected, "tool_use")
        assert reply_text(response) == ""

    def test_the_call_is_deterministic(self, runtime):
        config = {"tools": TOOLS, "toolChoice": {"tool": {"name": "Person"}}}
        first, second = (ask(runtime, "Who?", toolConfig=config) for _ in range(2))
        assert tool_uses(first) == tool_uses(second)

    def test_it_streams_as_a_tool_use(self, runtime):
        config = {"tools": TOOLS, "toolChoice": {"tool": {"name": "Person"}}}
        stream = runtime.converse_stream(
            modelId=HAIKU, messages=[{"role": "user", "content": [{"text": "Who?"}]}], toolConfig=config
        )["stream"]
        events = list(stream)
        start = next(e["contentBlockStart"]["start"]["toolUse"] for e in events if "contentBlockStart" in e)
        fragments = [
            e["contentBlockDelta"]["delta"]["toolUse"]["input"]
            for e in events
            if "toolUse" in e.get("contentBlockDelta", {}).get("delta", {})
        ]
        assert (start["name"], "".join(fragments)) == ("Person", '{"name": "name", "age": 0}')
        assert events[-2]["messageStop"]["stopReason"] == "tool_use"

    @pytest.mark.parametrize("choice", [None, {"auto": {}}], ids=["no-choice", "auto"])
    def test_an_unforced_choice_answers_text(self, runtime, choice):
        config = {"tools": TOOLS} if choice is None else {"tools": TOOLS, "toolChoice": choice}
        response = ask(runtime, "Who?", toolConfig=config)
        assert (reply_text(response), tool_uses(response)) == ("Echo: Who?", [])

    @pytest.mark.parametrize(
        ("directive", "text"),
        [
            ("@@reply not json", "not json"),
            ("@@words 2", "word1 word2"),
        ],
        ids=["reply", "words"],
    )
    def test_a_text_directive_still_scripts_a_text_answer(self, runtime, directive, text):
        config = {"tools": TOOLS, "toolChoice": {"any": {}}}
        response = ask(runtime, directive, toolConfig=config)
        assert (reply_text(response), tool_uses(response), response["stopReason"]) == (text, [], "end_turn")

    def test_a_tool_directive_scripts_the_call(self, runtime):
        config = {"tools": TOOLS, "toolChoice": {"tool": {"name": "Person"}}}
        response = ask(runtime, '@@tool Person {"name": "Ann", "age": 7}', toolConfig=config)
        assert [(u["name"], u["input"]) for u in tool_uses(response)] == [
            ("Person", {"name": "Ann", "age": 7})
        ]


DEFS = {
    "$defs": {
        "Pet": {
            "type": "object",
            "properties": {"kind": {"enum": ["cat", "dog"]}, "tags": {"type": "array"}},
            "required": ["kind", "tags"],
        }
    }
}


class TestMinimalInput:
    @pytest.mark.parametrize(
        ("schema", "expected"),
        [
            (PERSON, {"name": "name", "age": 0}),
            ({"type": "object"}, {}),
            ({"properties": {"a": {"type": "boolean"}}, "required": ["a"]}, {"a": False}),
            (
                {
                    "type": "object",
                    "properties": {
                        "s": {"type": "string"},
                        "i": {"type": "integer"},
                        "n": {"type": "number"},
                        "b": {"type": "boolean"},
                        "a": {"type": "array", "items": {"type": "string"}},
                        "z": {"type": "null"},
                    },
                    "required": ["s", "i", "n", "b", "a", "z"],
                },
                {"s": "s", "i": 0, "n": 0, "b": False, "a": [], "z": None},
            ),
            (
                {
                    "type": "object",
                    "properties": {
                        "o": {"type": "object", "properties": {"x": {"type": "string"}}, "required": ["x"]}
                    },
                    "required": ["o"],
                },
                {"o": {"x": "x"}},
            ),
            (
                {
                    "type": "object",
                    "properties": {
                        "color": {"type": "string", "enum": ["red", "blue"]},
                        "version": {"const": 2},
                        "maybe": {"anyOf": [{"type": "integer"}, {"type": "null"}]},
                        "one": {"oneOf": [{"type": "boolean"}, {"type": "string"}]},
                        "types": {"type": ["string", "null"]},
                    },
                    "required": ["color", "version", "maybe", "one", "types"],
                },
                {"color": "red", "version": 2, "maybe": 0, "one": False, "types": "types"},
            ),
            (
                {
                    **DEFS,
                    "type": "object",
                    "properties": {"pet": {"$ref": "#/$defs/Pet"}},
                    "required": ["pet"],
                },
                {"pet": {"kind": "cat", "tags": []}},
            ),
            (
                {
                    "definitions": DEFS["$defs"],
                    "type": "object",
                    "properties": {
                        "pets": {"type": "array", "items": {"$ref": "#/definitions/Pet"}, "minItems": 1}
                    },
                    "required": ["pets"],
                },
                {"pets": [{"kind": "cat", "tags": []}]},
            ),
            (
                {
                    "type": "object",
                    "properties": {
                        "when": {"type": "string", "format": "date-time"},
                        "code": {"type": "string", "minLength": 6, "maxLength": 8},
                        "count": {"type": "integer", "minimum": 1},
                        "score": {"type": "number", "exclusiveMaximum": 0},
                    },
                    "required": ["when", "code", "count", "score"],
                },
                {"when": "1970-01-01T00:00:00Z", "code": "codexx", "count": 1, "score": -1},
            ),
        ],
        ids=[
            "required-only",
            "empty-object",
            "untyped-object-with-properties",
            "every-scalar-type",
            "nested-object",
            "enum-const-anyof-oneof-type-list",
            "ref-to-defs",
            "ref-to-definitions-in-array-min-items",
            "format-length-and-bounds",
        ],
    )
    def test_minimal_instances(self, schema, expected):
        assert minimal_input(schema) == expected

    def test_a_required_recursion_ends(self):
        node = {"properties": {"next": {"$ref": "#/$defs/Node"}}, "required": ["next"]}
        value = minimal_input({"$ref": "#/$defs/Node", "$defs": {"Node": node}})
        depth = 0
        while isinstance(value, dict):
            value, depth = value["next"], depth + 1
        assert value is None and depth > 1
