"""Codex CLI itself (``codex exec``, pinned in tests/clients) against the gateway.

Codex is pointed at the gateway with a custom model provider speaking the Responses API,
exactly as the README's ``config.toml`` shows. The prompt carries the emulator's
directives, so the model calls Codex's own shell tool, then answers from its output.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import API_KEY
from tests.http.helpers_chat import CLAUDE, CLAUDE_37

pytestmark = pytest.mark.e2e

CODEX = Path(__file__).resolve().parents[1] / "clients" / "node_modules" / ".bin" / "codex"
CONFIG = """\
model = "{model}"
model_provider = "bedrock-gateway"
model_reasoning_effort = "{effort}"

[model_providers.bedrock-gateway]
name = "Bedrock Gateway"
base_url = "{base_url}"
env_key = "BEDROCK_GATEWAY_API_KEY"
wire_api = "responses"
"""


@pytest.fixture
def codex(gateway_url, tmp_path):
    if not CODEX.exists():
        pytest.skip("Codex CLI is not installed: run `npm ci --prefix tests/clients`")

    def run(prompt: str, model: str = CLAUDE, effort: str = "none") -> list[dict]:
        home, work = tmp_path / "codex-home", tmp_path / "work"
        home.mkdir(exist_ok=True)
        work.mkdir(exist_ok=True)
        (home / "config.toml").write_text(CONFIG.format(model=model, effort=effort, base_url=gateway_url))
        env = {**os.environ, "CODEX_HOME": str(home), "BEDROCK_GATEWAY_API_KEY": API_KEY}
        command = [
            str(CODEX),
            "exec",
            "--json",
            "--skip-git-repo-check",
            "--dangerously-bypass-approvals-and-sandbox",
        ]
        done = subprocess.run(
            [*command, "-C", str(work), prompt],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            stdin=subprocess.DEVNULL,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        return [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]

    return run


def _items(events: list[dict], kind: str) -> list[dict]:
    return [e["item"] for e in events if e["type"] == "item.completed" and e["item"]["type"] == kind]


def test_codex_answers_a_text_turn(codex):
    events = codex("@@reply Hello from Bedrock.")
    assert [item["text"] for item in _items(events, "agent_message")] == ["Hello from Bedrock."]
    assert events[-1]["type"] == "turn.completed"


def test_codex_runs_its_shell_tool_and_answers_from_the_output(codex):
    events = codex('@@tool exec_command {"cmd": "echo codex-tool-ok"}')
    commands = _items(events, "command_execution")
    assert [(c["aggregated_output"], c["exit_code"]) for c in commands] == [("codex-tool-ok\n", 0)]
    (answer,) = _items(events, "agent_message")
    assert answer["text"].startswith("Tool results: ") and answer["text"].endswith("codex-tool-ok")
    assert events[-1]["type"] == "turn.completed"


def test_codex_with_thinking_replays_its_reasoning_through_the_tool_turn(codex):
    events = codex('@@reasoning Run it.\n@@tool exec_command {"cmd": "echo thought-ok"}', CLAUDE_37, "low")
    assert [c["aggregated_output"] for c in _items(events, "command_execution")] == ["thought-ok\n"]
    assert _items(events, "reasoning")[0]["text"] == "Run it."
    assert _items(events, "agent_message")[0]["text"].endswith("thought-ok")
    assert events[-1]["type"] == "turn.completed"
