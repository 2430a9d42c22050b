"""Extended thinking with tools: the emulator's signed reasoning round-trips."""

from emulator_helpers import SONNET_37, reply_text, user

TOOLS = {"tools": [{"toolSpec": {"name": "lookup", "inputSchema": {"json": {"type": "object"}}}}]}
THINKING = {
    "inferenceConfig": {"maxTokens": 4096},
    "additionalModelRequestFields": {"thinking": {"type": "enabled", "budget_tokens": 2048}},
    "toolConfig": TOOLS,
}


def test_reasoning_returned_by_emulator_is_accepted_on_the_next_turn(runtime):
    first_turn = [user('find it\n@@tool lookup {"q": "x"}')]
    first = runtime.converse(modelId=SONNET_37, messages=first_turn, **THINKING)
    assistant = first["output"]["message"]
    assert "reasoningContent" in assistant["content"][0]
    tool_id = assistant["content"][1]["toolUse"]["toolUseId"]
    result = {"toolResult": {"toolUseId": tool_id, "content": [{"text": "found"}]}}
    second = runtime.converse(
        modelId=SONNET_37,
        messages=[*first_turn, assistant, {"role": "user", "content": [result]}],
        **THINKING,
    )
    content = second["output"]["message"]["content"]
    assert content[0]["reasoningContent"]["reasoningText"]["text"] == "Thinking about: the tool results"
    assert reply_text(second) == f"Tool results: {tool_id}=found"


def test_redacted_reasoning_satisfies_the_opening_block_rule(runtime):
    assistant = {
        "role": "assistant",
        "content": [
            {"reasoningContent": {"redactedContent": b"opaque"}},
            {"toolUse": {"toolUseId": "t1", "name": "lookup", "input": {}}},
        ],
    }
    result = {"toolResult": {"toolUseId": "t1", "content": [{"text": "ok"}]}}
    messages = [user("go"), assistant, {"role": "user", "content": [result]}]
    response = runtime.converse(modelId=SONNET_37, messages=messages, **THINKING)
    assert response["stopReason"] == "end_turn"


def test_thinking_disabled_ignores_history_without_reasoning(runtime):
    assistant = {
        "role": "assistant",
        "content": [{"toolUse": {"toolUseId": "t1", "name": "lookup", "input": {}}}],
    }
    result = {"toolResult": {"toolUseId": "t1", "content": [{"text": "ok"}]}}
    messages = [user("go"), assistant, {"role": "user", "content": [result]}]
    response = runtime.converse(modelId=SONNET_37, messages=messages, toolConfig=TOOLS)
    assert reply_text(response) == "Tool results: t1=ok"
