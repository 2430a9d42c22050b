"""Claude Code's captured requests (tests/fixtures/claude_code_requests.json), replayed through
the gateway as sent: the strict emulator accepts what the gateway makes of every one of them."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from app import create_app
from app.emulator.thinking import sign
from tests.conftest import API_KEY
from tests.http.test_messages import sse_events

FIXTURE = json.loads((Path(__file__).parents[1] / "fixtures" / "claude_code_requests.json").read_text())
# Claude Code's default model in this version is newer than the emulator's catalogue; the
# other runs send every name Claude Code uses to one Converse model (DeepSeek R1 has no tools).
CLAUDE_MAP = {"claude-opus-5-5": "claude-opus-4-6"}
OTHER_MODELS = ["amazon.nova-pro-v1:0", "us.deepseek.r1-v1:0", "us.meta.llama3-1-70b-instruct-v1:0"]


def every_name_to(model: str) -> dict[str, str]:
    return {"claude-opus-5-5": model, "claude-sonnet-4-5-20250929": model}


@pytest.fixture(
    scope="module",
    params=[CLAUDE_MAP, *(every_name_to(model) for model in OTHER_MODELS)],
    ids=["claude", "nova", "deepseek-r1", "llama-3.1"],
)
def served(request, settings):
    """A client of a gateway with that map, and the count header its count_tokens answers carry."""
    client = create_app(settings.replace(anthropic_model_map=request.param)).test_client()
    return client, None if request.param is CLAUDE_MAP else "estimate"


def replayed(request: dict) -> tuple[dict, dict | None]:
    """The captured headers with our key, and the body with the emulator's own thinking signatures."""
    headers = {**request["headers"], "Authorization": f"Bearer {API_KEY}"}
    body = copy.deepcopy(request["body"])
    for message in (body or {}).get("messages", []):
        for block in message["content"] if isinstance(message["content"], list) else []:
            if block.get("type") == "thinking":
                block["signature"] = sign(block["thinking"])
    return headers, body


@pytest.mark.parametrize("request_", FIXTURE["requests"], ids=[r["label"] for r in FIXTURE["requests"]])
def test_every_captured_request_is_answered(served, request_):
    client, count_header = served
    headers, body = replayed(request_)
    response = client.open(request_["path"], method=request_["method"], headers=headers, json=body)
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    if request_["path"].startswith("/v1/messages/count_tokens"):
        # Bedrock counts for Claude; for Nova, which it cannot count for, the gateway estimates.
        assert response.headers.get("x-gateway-token-count") == count_header
        assert response.get_json()["input_tokens"] > 0
    elif request_["path"].startswith("/v1/messages"):
        events = sse_events(response)
        assert [events[0][0], events[-1][0]] == ["message_start", "message_stop"]
    else:
        ids = [model["id"] for model in response.get_json()["data"]]
        assert "claude-opus-4-6" in ids
