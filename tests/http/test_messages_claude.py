"""POST /v1/messages on Claude: InvokeModel with the Anthropic body, through real boto3 against
the emulator, which is as strict as Bedrock about the body (extra fields, betas, billing header).

The emulator's ``@@echo`` answers with the Messages body it received (plus ``modelId``), so
the sanitizer's work is asserted on whole values.
"""

from __future__ import annotations

import base64
import json

import pytest

from app.emulator.thinking import sign
from tests.http.test_messages import ECHO_HELLO_THERE, HEADERS, assert_anthropic_error, post, sse_events

SONNET = "claude-sonnet-4-5-20250929"
GLOBAL_SONNET = "global.anthropic.claude-sonnet-4-5-20250929-v1:0"
CLAUDE_CODE_BETAS = (
    "claude-code-20250219,interleaved-thinking-2025-05-14,context-management-2025-06-27,"
    "per-turn-control-2026-07-01,thinking-token-count-2026-05-13,advanced-tool-use-2025-11-20,effort-2025-11-24"
)
READ_TOOL = {
    "name": "Read",
    "description": "Read a file",
    "input_schema": {"type": "object", "properties": {"path": {"type": "string"}}, "required": ["path"]},
}


def echoed(response) -> dict:
    assert response.status_code == 200, response.get_json()
    texts = [block["text"] for block in response.get_json()["content"] if block["type"] == "text"]
    return json.loads(texts[0])


def test_a_text_answer_names_the_model_as_asked(client):
    body = post(client, {"model": SONNET, "max_tokens": 100, "messages": [{"role": "user", "content": "Hi"}]})
    answer = body.get_json()
    assert answer["model"] == SONNET
    assert answer["content"] == [{"type": "text", "text": "Echo: Hi"}]
    assert answer["usage"]["input_tokens"] == 1


def test_claude_codes_request_is_sanitized_into_one_bedrock_accepts(client):
    body = {
        "model": SONNET,
        "max_tokens": 32000,
        "system": [
            {
                "type": "text",
                "text": "x-anthropic-billing-header: cc_version=2.1.332; cc_entrypoint=sdk-cli;",
            },
            {
                "type": "text",
                "text": "You are Claude Code.",
                "cache_control": {"type": "ephemeral", "scope": "global"},
            },
        ],
        "messages": [
            {
                "role": "user",
                "content": [{"type": "text", "text": "@@echo", "cache_control": {"type": "ephemeral"}}],
            },
            {"role": "system", "content": [{"type": "text", "text": "# Environment: linux"}]},
        ],
        "tools": [
            {**READ_TOOL, "eager_input_streaming": True, "input_examples": [{"path": "a"}]},
            {**READ_TOOL, "name": "Deferred", "defer_loading": True},
        ],
        "thinking": {"type": "enabled", "budget_tokens": 31999, "display": "omitted"},
        "context_management": {"edits": [{"type": "clear_thinking_20251015", "keep": "all"}]},
        "output_config": {"effort": "medium"},
        "metadata": {"user_id": '{"device_id":"0","session_id":"1"}'},
        "stream": False,
    }
    received = echoed(
        post(client, body, "/v1/messages?beta=true", {**HEADERS, "anthropic-beta": CLAUDE_CODE_BETAS})
    )
    assert received == {
        "modelId": GLOBAL_SONNET,
        "anthropic_version": "bedrock-2023-05-31",
        "anthropic_beta": [
            "interleaved-thinking-2025-05-14",
            "context-management-2025-06-27",
            "tool-search-tool-2025-10-19",
        ],
        "max_tokens": 32000,
        "system": [
            {"type": "text", "text": "You are Claude Code.", "cache_control": {"type": "ephemeral"}},
            {"type": "text", "text": "# Environment: linux"},
        ],
        "messages": [
            {
                "role": "user",
                "content": [{"type": "text", "text": "@@echo", "cache_control": {"type": "ephemeral"}}],
            }
        ],
        "tools": [READ_TOOL, {**READ_TOOL, "name": "Deferred", "defer_loading": True}],
        "thinking": {"type": "enabled", "budget_tokens": 31999, "display": "omitted"},
        "context_management": {"edits": [{"type": "clear_thinking_20251015", "keep": "all"}]},
        "metadata": {"user_id": '{"device_id":"0","session_id":"1"}'},
    }


def test_one_million_suffix_and_beta_reach_bedrock(client):
    body = {
        "model": "claude-sonnet-4-5[1m]",
        "max_tokens": 10,
        "messages": [{"role": "user", "content": "@@echo"}],
    }
    received = echoed(post(client, body))
    assert (received["modelId"], received["anthropic_beta"]) == (GLOBAL_SONNET, ["context-1m-2025-08-07"])


def test_the_model_map_overrides_a_name(make_app):
    client = make_app(
        anthropic_model_map={"claude-house": "us.anthropic.claude-3-7-sonnet-20250219-v1:0"}
    ).test_client()
    body = {"model": "claude-house", "max_tokens": 10, "messages": [{"role": "user", "content": "@@echo"}]}
    response = post(client, body)
    assert echoed(response)["modelId"] == "us.anthropic.claude-3-7-sonnet-20250219-v1:0"
    assert response.get_json()["model"] == "claude-house"


def test_thinking_and_tools_then_the_second_turn_with_the_signed_thinking(client):
    tools = [READ_TOOL]
    thinking = {"type": "enabled", "budget_tokens": 1024}
    first_body = {
        "model": SONNET,
        "max_tokens": 2048,
        "thinking": thinking,
        "tools": tools,
        "messages": [
            {"role": "user", "content": '@@reasoning Need the file.\n@@tool Read {"path": "a.txt"}'}
        ],
    }
    first = post(client, first_body).get_json()
    assert [block["type"] for block in first["content"]] == ["thinking", "tool_use"]
    assert first["content"][0]["signature"] == sign("Need the file.")
    tool_use = first["content"][1]
    second_body = {
        **first_body,
        "messages": [
            *first_body["messages"],
            {"role": "assistant", "content": first["content"]},
            {
                "role": "user",
                "content": [{"type": "tool_result", "tool_use_id": tool_use["id"], "content": "hello"}],
            },
        ],
    }
    second = post(client, second_body)
    assert second.status_code == 200, second.get_json()
    assert second.get_json()["content"][-1]["type"] == "text"


def test_streaming_relays_bedrocks_events_with_usage_in_message_delta(client):
    body = {
        "model": SONNET,
        "max_tokens": 2048,
        "stream": True,
        "thinking": {"type": "enabled", "budget_tokens": 1024},
        "messages": [{"role": "user", "content": "@@reasoning Think.\n@@usage cache_read=7\nHello there"}],
    }
    events = sse_events(post(client, body))
    assert [name for name, _ in events] == [
        "message_start",
        "content_block_start",
        "content_block_delta",
        "content_block_delta",
        "content_block_stop",
        *ECHO_HELLO_THERE,
        "message_delta",
        "message_stop",
    ]
    assert events[0][1]["message"]["model"] == SONNET
    assert events[3][1]["delta"] == {"type": "signature_delta", "signature": sign("Think.")}
    assert events[-2][1]["usage"]["cache_read_input_tokens"] == 7
    assert events[-1][1] == {"type": "message_stop"}


def test_a_failure_mid_stream_is_an_anthropic_error_event(client):
    body = {
        "model": SONNET,
        "max_tokens": 100,
        "stream": True,
        "messages": [
            {"role": "user", "content": "@@fault ServiceUnavailableException when=midstream after=1\nHi"}
        ],
    }
    name, data = sse_events(post(client, body))[-1]
    assert (name, data["type"], data["error"]["type"]) == ("error", "error", "overloaded_error")


def test_prompt_too_long_reaches_the_client_as_that_exact_text(client):
    body = {
        "model": SONNET,
        "max_tokens": 100,
        "messages": [{"role": "user", "content": "@@context 2\none two three"}],
    }
    response = post(client, body)
    assert_anthropic_error(response, 400, "invalid_request_error")
    assert response.get_json()["error"]["message"] == "prompt is too long: 3 tokens > 2 maximum"


def test_file_sources_are_a_400(client):
    content = [{"type": "document", "source": {"type": "file", "file_id": "file_1"}}]
    body = {"model": SONNET, "max_tokens": 10, "messages": [{"role": "user", "content": content}]}
    assert_anthropic_error(post(client, body), 400, "invalid_request_error", "Files API")


def test_url_image_sources_are_fetched_by_the_gateway(make_app, image_server):
    base, png = image_server
    client = make_app(allow_private_image_urls=True).test_client()
    content = [
        {"type": "image", "source": {"type": "url", "url": base + "/cat.png"}},
        {"type": "text", "text": "@@echo"},
    ]
    body = {"model": SONNET, "max_tokens": 10, "messages": [{"role": "user", "content": content}]}
    assert echoed(post(client, body))["messages"][0]["content"][0] == {
        "type": "image",
        "source": {"type": "base64", "media_type": "image/png", "data": base64.b64encode(png).decode()},
    }


class TestCountTokens:
    def test_bedrock_counts_with_the_bare_foundation_id(self, client):
        body = {
            "model": SONNET,
            "system": "x-anthropic-billing-header: cc_version=1;",
            "messages": [{"role": "user", "content": "one two three"}],
            "tools": [{**READ_TOOL, "eager_input_streaming": True}],
        }
        response = post(
            client,
            body,
            "/v1/messages/count_tokens?beta=true",
            {**HEADERS, "anthropic-beta": CLAUDE_CODE_BETAS},
        )
        assert response.status_code == 200, response.get_json()
        assert "x-gateway-token-count" not in response.headers
        assert response.get_json()["input_tokens"] > 0

    def test_a_model_bedrock_cannot_count_for_gets_a_marked_estimate(self, client):
        body = {
            "model": "claude-3-haiku-20240307",
            "messages": [{"role": "user", "content": "one two three"}],
        }
        response = post(client, body, "/v1/messages/count_tokens")
        assert response.get_json() == {"input_tokens": 3}
        assert response.headers["x-gateway-token-count"] == "estimate"


@pytest.mark.parametrize("model", ["claude-opus-5-5", "anthropic.claude-nope-v1:0"])
def test_an_unknown_claude_is_404(client, model):
    body = {"model": model, "max_tokens": 10, "messages": [{"role": "user", "content": "Hi"}]}
    assert_anthropic_error(post(client, body), 404, "not_found_error", model)


@pytest.mark.parametrize(
    "model",
    [
        "anthropic.claude-3-5-sonnet-20240620-v1:0",
        "us.anthropic.claude-3-7-sonnet-20250219-v1:0",
        "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/teamclaude01",
    ],
)
def test_bedrock_ids_profiles_and_application_profile_arns_go_to_invoke_model_verbatim(client, model):
    body = {"model": model, "max_tokens": 10, "messages": [{"role": "user", "content": "@@echo"}]}
    response = post(client, body)
    assert echoed(response)["modelId"] == model
    assert response.get_json()["model"] == model
