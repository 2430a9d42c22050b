"""Hostile Responses requests: always a 2xx or an OpenAI-shaped 4xx, never a 5xx."""

from __future__ import annotations

import json

from hypothesis import event, given
from hypothesis import strategies as st

from tests.http.helpers_chat import CLAUDE, CLAUDE_37, LLAMA
from tests.http.test_fuzz import FUZZ, hostile_text, image_urls, json_values, maybe, send_json

TERMINAL = {"response.completed", "response.incomplete", "response.failed"}

part = st.fixed_dictionaries(
    {"type": maybe(st.sampled_from(["input_text", "output_text", "input_image", "refusal", "input_file"]))},
    optional={"text": maybe(hostile_text), "image_url": maybe(image_urls), "refusal": json_values},
)
content = maybe(hostile_text | st.lists(part, max_size=3))
item = st.fixed_dictionaries(
    {},
    optional={
        "type": maybe(
            st.sampled_from(
                [
                    "message",
                    "function_call",
                    "function_call_output",
                    "reasoning",
                    "custom_tool_call",
                    "custom_tool_call_output",
                    "local_shell_call",
                    "additional_tools",
                    "web_search_call",
                    "item_reference",
                ]
            )
        ),
        "role": maybe(st.sampled_from(["user", "assistant", "system", "developer", "tool"])),
        "content": content,
        "call_id": maybe(hostile_text),
        "name": maybe(hostile_text),
        "namespace": json_values,
        "arguments": maybe(st.sampled_from(["{}", '{"a": 1}', "[1]", "not json", ""])),
        "output": maybe(hostile_text | st.lists(part, max_size=2)),
        "input": json_values,
        "action": json_values,
        "encrypted_content": maybe(st.sampled_from(["bgw1.abc.def", "bgw1.", "gAAAA"])),
        "tools": json_values,
        "id": json_values,
    },
)
tool = st.fixed_dictionaries(
    {"type": maybe(st.sampled_from(["function", "custom", "namespace", "local_shell", "web_search"]))},
    optional={
        "name": maybe(st.sampled_from(["f", "get_weather", "bad name!", ""])),
        "parameters": json_values,
        "tools": json_values,
        "description": json_values,
    },
)
responses_body = st.fixed_dictionaries(
    {
        "model": st.sampled_from([CLAUDE, CLAUDE_37, LLAMA]),
        "input": maybe(hostile_text | st.lists(item, max_size=5)),
    },
    optional={
        "instructions": maybe(hostile_text),
        "tools": maybe(st.lists(tool, max_size=3)),
        "tool_choice": maybe(
            st.sampled_from(["auto", "none", "required", {"type": "function", "name": "f"}])
        ),
        "text": json_values,
        "reasoning": maybe(
            st.fixed_dictionaries({"effort": maybe(st.sampled_from(["low", "high", "none"]))})
        ),
        "max_output_tokens": maybe(st.integers(min_value=-5, max_value=100_000)),
        "stream": maybe(st.booleans()),
        "store": json_values,
        "previous_response_id": json_values,
        "prompt_cache_key": json_values,
    },
)


def assert_responses_answer(response) -> None:
    body = response.get_data()
    event(f"status {response.status_code}")
    assert response.status_code < 500, body[:1000]
    if response.status_code >= 400:
        assert set(json.loads(body)["error"]) == {"message", "type", "param", "code"}
    elif response.mimetype == "text/event-stream":
        frames = [frame for frame in body.decode().split("\n\n") if frame.startswith("event: ")]
        assert json.loads(frames[-1].split("data: ", 1)[1])["type"] in TERMINAL
    else:
        assert json.loads(body)["object"] == "response"


@FUZZ
@given(body=responses_body)
def test_responses_survives_hostile_bodies(client, body):
    assert_responses_answer(send_json(client, "/v1/responses", body))


def test_a_forced_tool_choice_whose_name_is_not_a_string_is_a_400(client):
    tools = [{"type": "function", "name": "f", "parameters": {"type": "object"}}]
    for choice in ({"type": "function", "name": 7}, {"type": "function", "name": ["f"]},
                   {"type": "allowed_tools", "mode": "auto", "tools": [3]}):  # fmt: skip
        body = {"model": CLAUDE, "input": "hi", "tools": tools, "tool_choice": choice}
        response = send_json(client, "/v1/responses", body)
        assert (response.status_code, response.get_json()["error"]["param"].split(".")[0]) == (
            400,
            "tool_choice",
        ), response.get_data(as_text=True)


def test_malformed_custom_and_namespace_tools_are_a_2xx_or_a_400(client):
    cases = [
        ({"type": "custom", "name": "x", "format": -5}, 200),
        ({"type": "custom", "name": "x", "description": 5, "format": {"type": "grammar"}}, 200),
        ({"type": "namespace", "name": "ns", "tools": 7}, 400),
    ]
    for tool, status in cases:
        body = {"model": CLAUDE, "input": "hi", "tools": [tool]}
        response = send_json(client, "/v1/responses", body)
        assert response.status_code == status, response.get_data(as_text=True)


def test_tool_lists_that_are_not_arrays_are_a_400_naming_them(client):
    cases = [
        (
            {"input": [{"type": "additional_tools", "tools": -5}, {"role": "user", "content": "hi"}]},
            "input[0].tools",
        ),
        (
            {"input": "hi", "tool_choice": {"type": "allowed_tools", "mode": "auto", "tools": 5}},
            "tool_choice.tools",
        ),
    ]
    for fields, param in cases:
        response = send_json(client, "/v1/responses", {"model": CLAUDE, **fields})
        assert (response.status_code, response.get_json()["error"]["param"]) == (400, param)
