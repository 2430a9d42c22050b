"""Claude Code's captured requests against the emulator's Bedrock rules.

tests/fixtures/claude_code_requests.json holds what `claude -p` (npm @anthropic-ai/claude-code,
the version pinned in tests/clients/package.json) sent to a local capture server. Forwarded
as they are, Bedrock refuses them; after the few steps a gateway's sanitizer takes (below)
the same bodies are accepted, on InvokeModel, its stream and CountTokens.
"""

import copy
import json
from pathlib import Path

import pytest
from emulator_helpers import claude_events, invoke_claude

from app.emulator import catalogue
from app.emulator.thinking import sign

FIXTURE = json.loads((Path(__file__).parents[1] / "fixtures" / "claude_code_requests.json").read_text())
REQUESTS = {request["label"]: request for request in FIXTURE["requests"]}
DEFAULT_TURN = REQUESTS["messages: default model, first turn"]
TOOL_TURN = REQUESTS["messages: claude-sonnet-4-5, tool-result turn with thinking"]
COUNTS = [r for r in FIXTURE["requests"] if r["path"].startswith("/v1/messages/count_tokens")]
# Claude Code's model name -> the Bedrock id a gateway would pick.
TARGETS = {
    "claude-opus-5-5": "global.anthropic.claude-opus-4-6-v1",
    "claude-sonnet-4-5-20250929": "global.anthropic.claude-sonnet-4-5-20250929-v1:0",
}
BETA_RENAMES = {"advanced-tool-use-2025-11-20": "tool-search-tool-2025-10-19"}
BILLING = "x-anthropic-billing-header"


def model_of(target: str) -> catalogue.Model:
    return catalogue.model_of(catalogue.profile(target))


def forwarded(request: dict) -> dict:
    """The body as a naive gateway forwards it: model and stream out, betas and version in."""
    body = {k: v for k, v in request["body"].items() if k not in ("model", "stream")}
    betas = request["headers"]["anthropic-beta"].split(",")
    return {"anthropic_version": "bedrock-2023-05-31", "anthropic_beta": betas, **copy.deepcopy(body)}


def keep_betas(body: dict, model: catalogue.Model) -> None:
    renamed = [BETA_RENAMES.get(beta, beta) for beta in body["anthropic_beta"]]
    body["anthropic_beta"] = [beta for beta in renamed if beta in model.betas]


def drop_billing_header(body: dict) -> None:
    if "system" in body:
        body["system"] = [block for block in body["system"] if not block["text"].startswith(BILLING)]


def fold_system_turns(body: dict) -> None:
    """Claude Code's mid-conversation `system` turns become top-level system text."""
    for message in [m for m in body["messages"] if m["role"] == "system"]:
        body.setdefault("system", []).extend(message["content"])
        body["messages"].remove(message)


def drop_unsupported_fields(body: dict, model: catalogue.Model) -> None:
    if "context-management-2025-06-27" not in body["anthropic_beta"]:
        body.pop("context_management", None)
    if not model.can("effort"):
        body.pop("output_config", None)
    for tool in body.get("tools", []):
        if "tool-search-tool-2025-10-19" not in body["anthropic_beta"]:
            tool.pop("defer_loading", None)
        tool.pop("eager_input_streaming", None)


def sanitized(request: dict, target: str, skip: str = "") -> dict:
    """What a reasonable sanitizer sends to Bedrock; `skip` leaves one step out."""
    model = model_of(target)
    body = forwarded(request)
    steps = {
        "betas": lambda: keep_betas(body, model),
        "billing header": lambda: drop_billing_header(body),
        "system turns": lambda: fold_system_turns(body),
        "fields": lambda: drop_unsupported_fields(body, model),
    }
    for name, step in steps.items():
        if name != skip:
            step()
    return body


def bedrock_signed(body: dict) -> dict:
    """The capture server's thinking signatures replaced by ones the emulator issued."""
    for message in body["messages"]:
        for block in message["content"] if isinstance(message["content"], list) else []:
            if block.get("type") == "thinking":
                block["signature"] = sign(block["thinking"])
    return body


MESSAGES = [(DEFAULT_TURN, "claude-opus-5-5"), (TOOL_TURN, "claude-sonnet-4-5-20250929")]


def test_fixture_is_claude_code_traffic():
    assert FIXTURE["client"] == "@anthropic-ai/claude-code 2.1.332"
    assert {r["path"] for r in FIXTURE["requests"]} == {
        "/v1/messages?beta=true",
        "/v1/messages/count_tokens?beta=true",
        "/v1/models?limit=1000",
    }
    assert TOOL_TURN["body"]["system"][0]["text"].startswith(BILLING)


@pytest.mark.parametrize(("request_", "name"), MESSAGES, ids=["default", "tool turn"])
def test_forwarded_as_is_bedrock_refuses_the_betas(runtime, request_, name):
    with pytest.raises(runtime.exceptions.ValidationException, match="^.*: invalid beta flag$"):
        invoke_claude(runtime, forwarded(request_), model=TARGETS[name])


SKIPPED_STEP = {
    "betas": (TOOL_TURN, "invalid beta flag"),
    "billing header": (
        TOOL_TURN,
        "x-anthropic-billing-header is a reserved keyword and may not be used in the system prompt.",
    ),
    "system turns": (DEFAULT_TURN, "messages.1.role: Input should be 'user' or 'assistant'"),
}


@pytest.mark.parametrize(("skip", "case"), SKIPPED_STEP.items(), ids=SKIPPED_STEP.keys())
def test_each_sanitizer_step_avoids_a_bedrock_refusal(runtime, skip, case):
    request, message = case
    target = TARGETS[request["body"]["model"]]
    with pytest.raises(runtime.exceptions.ValidationException) as info:
        invoke_claude(runtime, bedrock_signed(sanitized(request, target, skip=skip)), model=target)
    assert info.value.response["Error"]["Message"] == message


def test_without_the_renamed_tool_search_beta_defer_loading_is_refused(runtime):
    target = TARGETS["claude-sonnet-4-5-20250929"]
    body = bedrock_signed(sanitized(TOOL_TURN, target))
    body["anthropic_beta"].remove("tool-search-tool-2025-10-19")
    with pytest.raises(runtime.exceptions.ValidationException) as info:
        invoke_claude(runtime, body, model=target)
    assert info.value.response["Error"]["Message"] == (
        "tools.10.custom.defer_loading: Extra inputs are not permitted"
    )


def test_context_management_without_its_beta_is_refused(runtime):
    target = TARGETS["claude-sonnet-4-5-20250929"]
    body = bedrock_signed(sanitized(TOOL_TURN, target))
    body["anthropic_beta"].remove("context-management-2025-06-27")
    with pytest.raises(runtime.exceptions.ValidationException, match="context_management: Extra inputs"):
        invoke_claude(runtime, body, model=target)


def test_a_thinking_signature_bedrock_did_not_issue_is_refused(runtime):
    target = TARGETS["claude-sonnet-4-5-20250929"]
    with pytest.raises(runtime.exceptions.ValidationException) as info:
        invoke_claude(runtime, sanitized(TOOL_TURN, target), model=target)
    assert (
        info.value.response["Error"]["Message"]
        == "messages.1.content.0: Invalid `signature` in `thinking` block"
    )


@pytest.mark.parametrize(("request_", "name"), MESSAGES, ids=["default", "tool turn"])
def test_sanitized_bodies_are_accepted_on_invoke_and_stream(runtime, request_, name):
    target = TARGETS[name]
    body = bedrock_signed(sanitized(request_, target))
    message, _ = invoke_claude(runtime, body, model=target)
    assert message["content"][0]["type"] == "thinking"
    assert message["content"][-1]["type"] == "text"
    events = claude_events(runtime, body, model=target)
    assert [events[0]["type"], events[-1]["type"]] == ["message_start", "message_stop"]
    assert events[0]["message"]["usage"]["input_tokens"] == message["usage"]["input_tokens"]


@pytest.mark.parametrize("request_", COUNTS, ids=[r["label"] for r in COUNTS])
def test_count_tokens_bodies_are_counted_by_count_tokens(runtime, request_):
    body = {**sanitized(request_, TARGETS[request_["body"]["model"]]), "max_tokens": 1}
    foundation_id = "anthropic.claude-sonnet-4-5-20250929-v1:0"
    counted = runtime.count_tokens(modelId=foundation_id, input={"invokeModel": {"body": json.dumps(body)}})
    assert counted["inputTokens"] > 1
