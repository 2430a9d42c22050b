"""Codex CLI 0.171.0's captured requests, replayed through the gateway to the emulator."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import AUTH
from tests.http.helpers_chat import CLAUDE, CLAUDE_37, DEEPSEEK, LLAMA, NOVA_PRO

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "codex_requests"
CAPTURED = sorted(path.name for path in FIXTURES.glob("*.json"))


def captured(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())["body"]


def replay(client, body: dict) -> list[dict]:
    response = client.post("/v1/responses", json=body, headers=AUTH)
    assert response.status_code == 200, response.get_data(as_text=True)
    frames = b"".join(response.response).decode().strip().split("\n\n")
    return [json.loads(frame.split("data: ", 1)[1]) for frame in frames if not frame.startswith(":")]


@pytest.mark.parametrize("name", CAPTURED)
@pytest.mark.parametrize("model", [CLAUDE, CLAUDE_37, NOVA_PRO, LLAMA, DEEPSEEK])
def test_every_captured_request_completes(client, name, model):
    events = replay(client, {**captured(name), "model": model})
    assert events[0]["type"] == "response.created"
    assert events[-1]["type"] == "response.completed"
    assert events[-1]["response"]["usage"]["input_tokens_details"]["cached_tokens"] >= 0


def test_namespace_tools_are_offered_flattened_and_hosted_tools_dropped(client):
    body = captured("text_turn.json")
    body["input"][-1]["content"][0]["text"] = "@@echo"
    events = replay(client, {**body, "model": CLAUDE})
    sent = json.loads(events[-1]["response"]["output"][0]["content"][0]["text"])
    names = [tool["toolSpec"]["name"] for tool in sent["toolConfig"]["tools"] if "toolSpec" in tool]
    namespace = next(tool for tool in body["tools"] if tool["type"] == "namespace")
    assert [f"{namespace['name']}__{tool['name']}" for tool in namespace["tools"]] == [
        name for name in names if name.startswith(namespace["name"])
    ]
    assert "web_search" not in names
    developer = [item for item in body["input"] if item.get("role") == "developer"]
    assert [block["text"] for block in sent["system"] if "text" in block] == [
        part["text"] for item in developer for part in item["content"]
    ]


def test_a_namespaced_call_comes_back_with_its_namespace(client):
    body = captured("text_turn.json")
    namespace = next(tool for tool in body["tools"] if tool["type"] == "namespace")
    member = namespace["tools"][0]["name"]
    body["input"][-1]["content"][0]["text"] = f"@@tool {namespace['name']}__{member} {{}}"
    events = replay(client, {**body, "model": CLAUDE})
    done = [e["item"] for e in events if e["type"] == "response.output_item.done"]
    assert [(item["type"], item["namespace"], item["name"]) for item in done] == [
        ("function_call", namespace["name"], member)
    ]


def test_a_custom_tool_call_comes_back_as_custom_tool_call(client):
    body = captured("known_model_turn_1.json")
    body["input"][-1]["content"][0]["text"] = (
        '@@tool apply_patch {"input": "*** Begin Patch\\n*** End Patch\\n"}'
    )
    events = replay(client, {**body, "model": CLAUDE})
    done = [e["item"] for e in events if e["type"] == "response.output_item.done"]
    assert [(item["type"], item["name"], item["input"]) for item in done] == [
        ("custom_tool_call", "apply_patch", "*** Begin Patch\n*** End Patch\n")
    ]
