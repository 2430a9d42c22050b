"""Each refusal Bedrock gives a Claude Messages body on InvokeModel: body -> message."""

import base64
import json

import pytest
from emulator_helpers import SONNET_45, claude_body, claude_events, invoke_claude

from app.emulator.thinking import sign

HAIKU_3 = "anthropic.claude-3-haiku-20240307-v1:0"
SONNET_35_V2 = "us.anthropic.claude-3-5-sonnet-20241022-v2:0"
OPUS_46 = "global.anthropic.claude-opus-4-6-v1"
PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\x00" * 8).decode()
TOOL = {"name": "lookup", "input_schema": {"type": "object"}}
EPHEMERAL = {"type": "ephemeral"}
THINKING = {"type": "enabled", "budget_tokens": 1024}
BILLING = "x-anthropic-billing-header: cc_version=2.1.332; cc_entrypoint=sdk-cli;"


def without(body: dict, key: str) -> dict:
    return {k: v for k, v in body.items() if k != key}


def tool_turns(first_block: dict | None, **fields) -> dict:
    """user -> assistant (first_block?, tool_use t1) -> user tool_result, with tools."""
    assistant = [
        b for b in (first_block, {"type": "tool_use", "id": "t1", "name": "lookup", "input": {}}) if b
    ]
    body = claude_body("use a tool", tools=[TOOL], **fields)
    body["messages"] += [
        {"role": "assistant", "content": assistant},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1", "content": "ok"}]},
    ]
    return body


def thinking_block(text: str = "I will look it up", signature: str | None = None) -> dict:
    return {"type": "thinking", "thinking": text, "signature": signature or sign(text)}


def image(source: dict) -> dict:
    return {"role": "user", "content": [{"type": "text", "text": "see"}, {"type": "image", "source": source}]}


def cached_texts(count: int) -> list[dict]:
    return [{"type": "text", "text": f"part {i}", "cache_control": EPHEMERAL} for i in range(count)]


REFUSALS = {
    "no anthropic_version": (
        without(claude_body(), "anthropic_version"),
        SONNET_45,
        "Malformed input request: #: required key [anthropic_version] not found, "
        "please reformat your input and try again.",
    ),
    "first-party anthropic_version": (
        claude_body(anthropic_version="2023-06-01"),
        SONNET_45,
        "#/anthropic_version: 2023-06-01 is not a valid enum value",
    ),
    "no max_tokens": (without(claude_body(), "max_tokens"), SONNET_45, "required key [max_tokens] not found"),
    "model in the body": (
        claude_body(model="claude-sonnet-4-5"),
        SONNET_45,
        "model: Extra inputs are not permitted",
    ),
    "stream in the body": (claude_body(stream=True), SONNET_45, "stream: Extra inputs are not permitted"),
    "context_management without its beta": (
        claude_body(context_management={"edits": [{"type": "clear_thinking_20251015", "keep": "all"}]}),
        SONNET_45,
        "context_management: Extra inputs are not permitted",
    ),
    "top-level cache_control": (
        claude_body(cache_control=EPHEMERAL),
        SONNET_45,
        "cache_control: Extra inputs",
    ),
    "claude-code beta": (
        claude_body(anthropic_beta=["claude-code-20250219"]),
        SONNET_45,
        "invalid beta flag",
    ),
    "first-party advanced-tool-use beta": (
        claude_body(anthropic_beta=["advanced-tool-use-2025-11-20"]),
        SONNET_45,
        "invalid beta flag",
    ),
    "beta of another model": (
        claude_body(anthropic_beta=["effort-2025-11-24"]),
        SONNET_45,
        "invalid beta flag",
    ),
    "any beta on Claude 3 Haiku": (
        claude_body(anthropic_beta=["interleaved-thinking-2025-05-14"]),
        HAIKU_3,
        "invalid beta flag",
    ),
    "billing header in a system block": (
        claude_body(system=[{"type": "text", "text": BILLING}, {"type": "text", "text": "be brief"}]),
        SONNET_45,
        "x-anthropic-billing-header is a reserved keyword and may not be used in the system prompt.",
    ),
    "billing header in a system string": (claude_body(system=BILLING), SONNET_45, "reserved keyword"),
    "tool defer_loading": (
        claude_body(tools=[{**TOOL, "defer_loading": True}]),
        SONNET_45,
        "tools.0.custom.defer_loading: Extra inputs are not permitted",
    ),
    "tool eager_input_streaming": (
        claude_body(tools=[TOOL, {**TOOL, "name": "b", "eager_input_streaming": True}]),
        SONNET_45,
        "tools.1.custom.eager_input_streaming: Extra inputs are not permitted",
    ),
    "tool input_examples without the tool-examples beta": (
        claude_body(tools=[{**TOOL, "input_examples": [{}]}]),
        OPUS_46,
        "tools.0.custom.input_examples: Extra inputs are not permitted",
    ),
    "tool without input_schema": (
        claude_body(tools=[{"name": "lookup"}]),
        SONNET_45,
        "tools.0.custom.input_schema: Field required",
    ),
    "duplicate tool names": (claude_body(tools=[TOOL, TOOL]), SONNET_45, "tools: Tool names must be unique."),
    "cache_control scope": (
        claude_body(
            system=[{"type": "text", "text": "rules", "cache_control": {**EPHEMERAL, "scope": "global"}}]
        ),
        SONNET_45,
        "system.0.cache_control.ephemeral.scope: Extra inputs are not permitted",
    ),
    "cache_control ttl before Claude 4.5": (
        claude_body(system=[{"type": "text", "text": "rules", "cache_control": {**EPHEMERAL, "ttl": "1h"}}]),
        SONNET_35_V2,
        "system.0.cache_control.ephemeral.ttl: Extra inputs are not permitted",
    ),
    "five cache breakpoints": (
        claude_body(
            system=cached_texts(3),
            tools=[{**TOOL, "cache_control": EPHEMERAL}],
            messages=[{"role": "user", "content": cached_texts(1)}],
        ),
        SONNET_45,
        "A maximum of 4 blocks with cache_control may be provided. Found 5.",
    ),
    "system role inside messages": (
        claude_body(
            messages=[
                {"role": "user", "content": "hi"},
                {"role": "system", "content": [{"type": "text", "text": "env"}]},
            ]
        ),
        SONNET_45,
        "messages.1.role: Input should be 'user' or 'assistant'",
    ),
    "empty text block": (
        claude_body(messages=[{"role": "user", "content": [{"type": "text", "text": ""}]}]),
        SONNET_45,
        "messages: text content blocks must be non-empty",
    ),
    "whitespace text block": (
        claude_body(messages=[{"role": "user", "content": " \n"}]),
        SONNET_45,
        "messages: text content blocks must contain non-whitespace text",
    ),
    "empty user content": (
        claude_body(messages=[{"role": "user", "content": []}]),
        SONNET_45,
        "messages.0: all messages must have non-empty content except for the optional final "
        "assistant message",
    ),
    "url image source": (
        claude_body(messages=[image({"type": "url", "url": "https://example.com/a.png"})]),
        SONNET_45,
        "messages.0.content.1.image.source: Input tag 'url' found using 'type' does not match any of "
        "the expected tags: 'base64'",
    ),
    "image bytes not of the declared type": (
        claude_body(messages=[image({"type": "base64", "media_type": "image/jpeg", "data": PNG})]),
        SONNET_45,
        "messages.0.content.1.image.source.base64.data: The image was specified using the image/jpeg "
        "media type, but the image appears to be a image/png image",
    ),
    "url document source": (
        claude_body(
            messages=[
                {
                    "role": "user",
                    "content": [
                        {"type": "document", "source": {"type": "url", "url": "https://example.com/a.pdf"}},
                    ],
                }
            ]
        ),
        SONNET_45,
        "messages.0.content.0.document.source: Input tag 'url' found",
    ),
    "tool_use history without tools": (
        without(tool_turns(None), "tools"),
        SONNET_45,
        "Requests which include `tool_use` or `tool_result` blocks must define tools.",
    ),
    "tool_result without its tool_use": (
        claude_body(
            tools=[TOOL],
            messages=[
                {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t9", "content": "x"}]},
            ],
        ),
        SONNET_45,
        "messages.0.content.0: unexpected `tool_use_id` found in `tool_result` blocks: t9.",
    ),
    "tool_use without its tool_result": (
        claude_body(
            tools=[TOOL],
            messages=[
                {"role": "user", "content": "go"},
                {
                    "role": "assistant",
                    "content": [{"type": "tool_use", "id": "t1", "name": "lookup", "input": {}}],
                },
                {"role": "user", "content": "next"},
            ],
        ),
        SONNET_45,
        "messages.2: `tool_use` ids were found without `tool_result` blocks immediately after: t1.",
    ),
    "max_tokens over the model's limit": (
        claude_body(max_tokens=64001),
        SONNET_45,
        "max_tokens: 64001 > 64000, which is the maximum allowed number of output tokens for "
        "claude-sonnet-4-5-20250929",
    ),
    "temperature and top_p on Sonnet 4.5": (
        claude_body(temperature=0.5, top_p=0.9),
        SONNET_45,
        "temperature and top_p cannot both be specified for this model.",
    ),
    "adaptive thinking before Opus 4.6": (
        claude_body(thinking={"type": "adaptive"}),
        SONNET_45,
        "thinking: Input tag 'adaptive' found using 'type' does not match any of the expected tags: "
        "'disabled', 'enabled'",
    ),
    "output_config before Opus 4.6": (
        claude_body(output_config={"effort": "high"}),
        SONNET_45,
        "output_config: Extra inputs are not permitted",
    ),
    "output_config format": (
        claude_body(output_config={"format": {"type": "json_schema"}}),
        OPUS_46,
        "output_config.format: Extra inputs are not permitted",
    ),
    "thinking budget below 1024": (
        claude_body(thinking={"type": "enabled", "budget_tokens": 1000}),
        SONNET_45,
        "thinking.enabled.budget_tokens: Input should be greater than or equal to 1024",
    ),
    "thinking budget not below max_tokens": (
        claude_body(max_tokens=2000, thinking={"type": "enabled", "budget_tokens": 2000}),
        SONNET_45,
        "`max_tokens` must be greater than `thinking.budget_tokens`",
    ),
    "thinking with temperature below 1": (
        claude_body(temperature=0.2, thinking=THINKING),
        SONNET_45,
        "`temperature` may only be set to 1 when thinking is enabled.",
    ),
    "thinking with a forced tool": (
        claude_body(tools=[TOOL], tool_choice={"type": "any"}, thinking=THINKING),
        SONNET_45,
        "Thinking may not be enabled when tool_choice forces tool use.",
    ),
    "thinking on Claude 3 Haiku": (
        claude_body(thinking=THINKING),
        HAIKU_3,
        "thinking: Extra inputs are not permitted",
    ),
    "thinking with a tool turn that has no thinking block": (
        tool_turns(None, thinking=THINKING),
        SONNET_45,
        "messages.1.content.0.type: Expected `thinking` or `redacted_thinking`, but found `tool_use`. "
        "When `thinking` is enabled, a final `assistant` message must start with a thinking block",
    ),
    "thinking text changed after signing": (
        tool_turns(thinking_block("edited", sign("original")), thinking=THINKING),
        SONNET_45,
        "messages.1.content.0: Invalid `signature` in `thinking` block",
    ),
    "thinking block without signature": (
        tool_turns({"type": "thinking", "thinking": "x"}, thinking=THINKING),
        SONNET_45,
        "messages.1.content.0.thinking.signature: Field required",
    ),
    "final assistant prefill ending in whitespace": (
        claude_body(messages=[{"role": "user", "content": "hi"}, {"role": "assistant", "content": "Sure "}]),
        SONNET_45,
        "messages: final assistant content cannot end with trailing whitespace",
    ),
    "whitespace stop sequence": (
        claude_body(stop_sequences=["\n"]),
        SONNET_45,
        "stop_sequences: each stop sequence must contain non-whitespace",
    ),
}


@pytest.mark.parametrize(("body", "model", "message"), REFUSALS.values(), ids=REFUSALS.keys())
def test_bedrock_refuses_the_body_on_invoke_and_on_stream(runtime, body, model, message):
    with pytest.raises(runtime.exceptions.ValidationException) as info:
        invoke_claude(runtime, body, model=model)
    assert message in info.value.response["Error"]["Message"]
    with pytest.raises(runtime.exceptions.ValidationException, match=".") as stream_info:
        claude_events(runtime, body, model=model)
    assert stream_info.value.response["Error"]["Message"] == info.value.response["Error"]["Message"]


ACCEPTED = {
    "defer_loading with the tool-search beta": (
        claude_body(
            anthropic_beta=["tool-search-tool-2025-10-19"],
            tools=[TOOL, {**TOOL, "name": "b", "defer_loading": True}],
        ),
        SONNET_45,
    ),
    "input_examples with the tool-examples beta": (
        claude_body(anthropic_beta=["tool-examples-2025-10-29"], tools=[{**TOOL, "input_examples": [{}]}]),
        OPUS_46,
    ),
    "context_management with its beta": (
        claude_body(
            anthropic_beta=["context-management-2025-06-27"],
            context_management={"edits": [{"type": "clear_thinking_20251015", "keep": "all"}]},
            thinking=THINKING,
        ),
        SONNET_45,
    ),
    "cache ttl on Sonnet 4.5": (
        claude_body(system=[{"type": "text", "text": "rules", "cache_control": {**EPHEMERAL, "ttl": "1h"}}]),
        SONNET_45,
    ),
    "four cache breakpoints": (claude_body(system=cached_texts(4)), SONNET_45),
    "adaptive thinking, effort and omitted display on Opus 4.6": (
        claude_body(
            thinking={"type": "adaptive", "display": "omitted"},
            output_config={"effort": "medium"},
            anthropic_beta=["effort-2025-11-24"],
        ),
        OPUS_46,
    ),
    "interleaved thinking budget up to max_tokens": (
        claude_body(
            max_tokens=32000,
            anthropic_beta=["interleaved-thinking-2025-05-14"],
            thinking={"type": "enabled", "budget_tokens": 32000},
        ),
        SONNET_45,
    ),
    "redacted thinking opening the tool turn": (
        tool_turns({"type": "redacted_thinking", "data": "b3BhcXVl"}, thinking=THINKING),
        SONNET_45,
    ),
    "thinking history ignored when thinking is off": (tool_turns(None), SONNET_45),
    "consecutive user turns": (claude_body("one", "two"), SONNET_45),
    "base64 image and pdf document": (
        claude_body(
            messages=[
                {
                    "role": "user",
                    "content": [
                        {
                            "type": "image",
                            "source": {"type": "base64", "media_type": "image/png", "data": PNG},
                        },
                        {
                            "type": "document",
                            "source": {
                                "type": "base64",
                                "media_type": "application/pdf",
                                "data": base64.b64encode(b"%PDF-1.4").decode(),
                            },
                        },
                        {"type": "text", "text": "describe"},
                    ],
                }
            ]
        ),
        SONNET_45,
    ),
    "metadata user_id": (claude_body(metadata={"user_id": json.dumps({"session_id": "s"})}), SONNET_45),
}


@pytest.mark.parametrize(("body", "model"), ACCEPTED.values(), ids=ACCEPTED.keys())
def test_bedrock_accepts_the_body(runtime, body, model):
    message, _ = invoke_claude(runtime, body, model=model)
    assert message["type"] == "message"


def _paths(value, prefix=()):
    """Every position in a JSON value, as a tuple of keys and indexes."""
    yield prefix
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        yield from _paths(item, (*prefix, key))


def _replaced(body: dict, path: tuple, value) -> dict:
    copy = json.loads(json.dumps(body))
    target = copy
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return copy


FULL_BODY = tool_turns(
    thinking_block(),
    thinking=THINKING,
    system=[{"type": "text", "text": "rules", "cache_control": EPHEMERAL}],
    anthropic_beta=["interleaved-thinking-2025-05-14"],
    tool_choice={"type": "auto"},
    metadata={"user_id": "u"},
    stop_sequences=["END"],
)


def test_any_field_of_the_wrong_type_is_a_validation_exception_never_a_server_error(raw_runtime):
    invoke_claude(raw_runtime, FULL_BODY)
    outcomes = set()
    for path in list(_paths(FULL_BODY))[1:]:
        for wrong in (None, 0, "", [], {}):
            try:
                invoke_claude(raw_runtime, _replaced(FULL_BODY, path, wrong))
                outcomes.add("accepted")
            except raw_runtime.exceptions.ValidationException:
                outcomes.add("ValidationException")
    assert outcomes == {"accepted", "ValidationException"}
