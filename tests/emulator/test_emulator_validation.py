"""Each Bedrock rejection the emulator reproduces: request -> ValidationException fragment."""

import json
import urllib.error
import urllib.request

import pytest
from emulator_helpers import HAIKU, SONNET_37

from app.emulator.thinking import sign

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 8
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 8
SCHEMA = {"json": {"type": "object", "properties": {}}}
TOOL = {"toolSpec": {"name": "lookup", "inputSchema": SCHEMA}}
TOOLS = {"tools": [TOOL]}
THINK = {"thinking": {"type": "enabled", "budget_tokens": 1024}}
SONNET_45 = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
DEEPSEEK = "us.deepseek.r1-v1:0"


def msg(role: str, *blocks) -> dict:
    return {"role": role, "content": [{"text": b} if isinstance(b, str) else b for b in blocks]}


def tool_use(tool_id="t1", name="lookup") -> dict:
    return {"toolUse": {"toolUseId": tool_id, "name": name, "input": {}}}


def tool_result(tool_id="t1") -> dict:
    return {"toolResult": {"toolUseId": tool_id, "content": [{"text": "ok"}]}}


def image(fmt="png", data=PNG) -> dict:
    return {"image": {"format": fmt, "source": {"bytes": data}}}


def req(*messages, model=HAIKU, **kwargs) -> dict:
    return {"modelId": model, "messages": list(messages or [msg("user", "hi")]), **kwargs}


def tool_turns(first_assistant_block=None, model=SONNET_37, **kwargs) -> dict:
    assistant = [b for b in (first_assistant_block, tool_use()) if b]
    return req(
        msg("user", "use a tool"),
        {"role": "assistant", "content": assistant},
        msg("user", tool_result()),
        model=model,
        toolConfig=TOOLS,
        inferenceConfig={"maxTokens": 4096},
        additionalModelRequestFields=THINK,
        **kwargs,
    )


def reasoning(text="Thinking about: use a tool", signature=None) -> dict:
    block = {"text": text}
    if signature is not False:
        block["signature"] = signature or sign(text)
    return {"reasoningContent": {"reasoningText": block}}


CASES = {
    "unknown model": (req(model="acme.nothing-v1:0"), "The provided model identifier is invalid."),
    "profile-only model by bare id": (
        req(model="anthropic.claude-3-7-sonnet-20250219-v1:0"),
        "Invocation of model ID anthropic.claude-3-7-sonnet-20250219-v1:0 with on-demand "
        "throughput isn't supported. Retry your request with the ID or ARN of an inference "
        "profile that contains this model.",
    ),
    "embedding model": (req(model="cohere.embed-english-v3"), "supported text or chat model"),
    "no messages": ({"modelId": HAIKU, "messages": []}, "must start with a user message"),
    "assistant first": (req(msg("assistant", "hi")), "must start with a user message"),
    "same role twice": (
        req(msg("user", "a"), msg("user", "b")),
        "must alternate between user and assistant roles",
    ),
    "blank text": (
        req(msg("user", "ok"), msg("assistant", "  \n "), msg("user", "x")),
        "The text field in the ContentBlock object at messages.1.content.0 is blank",
    ),
    "empty content": (
        req({"role": "user", "content": []}),
        "content field in the Message object at messages.0 is empty",
    ),
    "blank system": (req(system=[{"text": " "}]), "SystemContentBlock object at system.0 is blank"),
    "unknown role": (
        req({"role": "bot", "content": [{"text": "x"}]}),
        "enum value set: [user, assistant, system]",
    ),
    "tool use without toolConfig": (
        req(msg("user", "a"), msg("assistant", tool_use()), msg("user", tool_result())),
        "toolConfig field must be defined when using toolUse and toolResult",
    ),
    "tool result id mismatch": (
        req(
            msg("user", "a"),
            msg("assistant", tool_use("t1")),
            msg("user", tool_result("t1"), tool_result("t9")),
            toolConfig=TOOLS,
        ),
        "The toolUseId t9 in the toolResult block at messages.2.content.1 doesn't match",
    ),
    "unanswered tool use": (
        req(msg("user", "a"), msg("assistant", tool_use("t1")), msg("user", "no result"), toolConfig=TOOLS),
        "toolUse ids were found without toolResult blocks immediately after: t1",
    ),
    "empty tools": (
        req(toolConfig={"tools": []}),
        "at 'toolConfig.tools' failed to satisfy constraint: "
        "Member must have length greater than or equal to 1",
    ),
    "bad tool name": (
        req(toolConfig={"tools": [{"toolSpec": {"name": "get weather", "inputSchema": SCHEMA}}]}),
        "regular expression pattern: [a-zA-Z0-9_-]+",
    ),
    "tool name too long": (
        req(toolConfig={"tools": [{"toolSpec": {"name": "x" * 65, "inputSchema": SCHEMA}}]}),
        "length less than or equal to 64",
    ),
    "duplicate tool names": (req(toolConfig={"tools": [TOOL, TOOL]}), "Tool names must be unique"),
    "toolChoice unknown tool": (
        req(toolConfig={**TOOLS, "toolChoice": {"tool": {"name": "other"}}}),
        "The tool other in toolChoice isn't defined",
    ),
    "schema not object": (
        req(toolConfig={"tools": [{"toolSpec": {"name": "f", "inputSchema": {"json": {"type": "array"}}}}]}),
        "toolConfig.tools.0.toolSpec.inputSchema.json.type: Input should be 'object'",
    ),
    "image format": (req(msg("user", "x", image("bmp"))), "enum value set: [png, jpeg, gif, webp]"),
    "image magic mismatch": (
        req(msg("user", "x", image("png", JPEG))),
        "specified using the image/png media type, but the image appears to be a image/jpeg",
    ),
    "image not an image": (req(msg("user", "x", image("gif", b"plain text"))), "not a valid image"),
    "image to text-only model": (
        req(msg("user", "x", image()), model="meta.llama3-8b-instruct-v1:0"),
        "doesn't support the image content block",
    ),
    "tools to model without tools": (
        req(model="meta.llama3-8b-instruct-v1:0", toolConfig=TOOLS),
        "This model doesn't support tool use.",
    ),
    "system to model without system": (
        req(model="ai21.j2-ultra-v1", system=[{"text": "s"}]),
        "This model doesn't support system messages.",
    ),
    "cache point without caching": (
        req(system=[{"text": "s"}, {"cachePoint": {"type": "default"}}]),
        "did not allow prompt caching",
    ),
    "maxTokens zero": (
        req(inferenceConfig={"maxTokens": 0}),
        "'inferenceConfig.maxTokens' failed to satisfy "
        "constraint: Member must have value greater than or equal to 1",
    ),
    "temperature too high": (req(inferenceConfig={"temperature": 1.5}), "value less than or equal to 1"),
    "topP negative": (req(inferenceConfig={"topP": -0.1}), "value greater than or equal to 0"),
    "maxTokens over model limit": (
        req(inferenceConfig={"maxTokens": 4097}),
        "exceeds the model limit of 4096",
    ),
    "thinking on non-thinking model": (
        req(additionalModelRequestFields=THINK),
        "thinking: Extra inputs are not permitted",
    ),
    "thinking budget too small": (
        req(
            model=SONNET_37,
            additionalModelRequestFields={"thinking": {"type": "enabled", "budget_tokens": 512}},
        ),
        "budget_tokens: Input should be greater than or equal to 1024",
    ),
    "thinking budget not below maxTokens": (
        req(model=SONNET_37, inferenceConfig={"maxTokens": 1024}, additionalModelRequestFields=THINK),
        "`max_tokens` must be greater than `thinking.budget_tokens`",
    ),
    "thinking with temperature": (
        req(model=SONNET_37, inferenceConfig={"temperature": 0.5}, additionalModelRequestFields=THINK),
        "`temperature` may only be set to 1 when thinking is enabled.",
    ),
    "thinking with low topP": (
        req(model=SONNET_37, inferenceConfig={"topP": 0.9}, additionalModelRequestFields=THINK),
        "`top_p` must be greater than or equal to 0.95",
    ),
    "thinking with top_k": (
        req(model=SONNET_37, additionalModelRequestFields={**THINK, "top_k": 5}),
        "`top_k` may not be set when thinking is enabled.",
    ),
    "thinking with forced tool": (
        req(
            model=SONNET_37,
            additionalModelRequestFields=THINK,
            toolConfig={**TOOLS, "toolChoice": {"any": {}}},
        ),
        "Thinking may not be enabled when tool_choice forces tool use.",
    ),
    "thinking tool turn without reasoning": (
        tool_turns(),
        "Expected `thinking` or `redacted_thinking`, but found `toolUse`",
    ),
    "thinking reasoning without signature": (
        tool_turns(reasoning(signature=False)),
        "messages.1.content.0.thinking.signature: Field required",
    ),
    "thinking tampered reasoning": (
        tool_turns(reasoning(signature=sign("something else"))),
        "messages.1.content.0: Invalid `signature` in `thinking` block",
    ),
    "sonnet 4.5 temperature and topP": (
        req(model=SONNET_45, inferenceConfig={"temperature": 0.2, "topP": 0.9}),
        "temperature and top_p cannot both be specified for this model.",
    ),
    "deepseek unknown field": (
        req(model=DEEPSEEK, additionalModelRequestFields={"reasoning_effort": "high"}),
        "extraneous key [reasoning_effort] is not permitted",
    ),
    "deepseek thinking field": (
        req(model=DEEPSEEK, additionalModelRequestFields=THINK),
        "extraneous key [thinking] is not permitted",
    ),
    "content block with two members": (
        req(msg("user", {"text": "a", "cachePoint": {"type": "default"}})),
        "exactly one member set",
    ),
    "content block with no member": (req(msg("user", {})), "exactly one member set"),
}


@pytest.mark.parametrize(("request_kwargs", "fragment"), list(CASES.values()), ids=list(CASES))
def test_bedrock_rejects_with_validation_exception(raw_runtime, request_kwargs, fragment):
    with pytest.raises(raw_runtime.exceptions.ValidationException) as info:
        raw_runtime.converse(**request_kwargs)
    assert fragment in info.value.response["Error"]["Message"]
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_same_rules_apply_to_converse_stream(raw_runtime):
    request_kwargs, fragment = CASES["same role twice"]
    with pytest.raises(raw_runtime.exceptions.ValidationException, match=fragment):
        raw_runtime.converse_stream(**request_kwargs)


def post(url: str, body: bytes) -> tuple[int, dict]:
    request = urllib.request.Request(url, data=body, method="POST")
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def test_unknown_top_level_member_is_rejected(emulator):
    body = {"messages": [msg("user", "hi")], "temperature": 0.5}
    status, payload = post(f"{emulator.url}/model/{HAIKU}/converse", json.dumps(body).encode())
    assert status == 400
    assert "extraneous key [temperature]" in payload["message"]


def test_malformed_json_body_is_rejected(emulator):
    status, payload = post(f"{emulator.url}/model/{HAIKU}/converse", b"{not json")
    assert status == 400
    assert payload["message"].startswith("Malformed input request")


def test_valid_request_accepted_by_raw_client(raw_runtime):
    response = raw_runtime.converse(**req())
    assert response["stopReason"] == "end_turn"
