"""Codex CLI itself (``codex exec``, pinned in tests/clients) against the gateway.

Codex is pointed at the gateway with a custom model provider speaking the Responses API,
exactly as the README's ``config.toml`` shows. The prompt carries the emulator's
directives, so the model calls Codex's own shell tool, then answers from its output.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from app.local import free_port
from tests.conftest import API_KEY
from tests.e2e.conftest import start_gunicorn, stop
from tests.http.helpers_chat import CLAUDE, CLAUDE_37

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
CODEX = ROOT / "tests" / "clients" / "node_modules" / ".bin" / "codex"
README_URL = "http://localhost:8000/v1"


def readme_block(language: str, after: str) -> str:
    """The first ``language`` code block of the README after the line ``after``."""
    text = (ROOT / "README.md").read_text()
    rest = text[text.index(after) :]
    start = rest.index(f"```{language}\n") + len(language) + 4
    return rest[start : rest.index("```", start)]


CONFIG = readme_block("toml", "Codex CLI (`~/.codex/config.toml`)")


@pytest.fixture(scope="module")
def quick_heartbeat_url(gateway_env):
    """A gateway that sends a keep-alive after half a second of Bedrock's silence."""
    port = free_port()
    process = start_gunicorn({**gateway_env, "SSE_HEARTBEAT_SECONDS": "0.5"}, port)
    yield f"http://127.0.0.1:{port}/v1"
    stop(process)


@pytest.fixture
def codex(gateway_url, tmp_path):
    return _codex(gateway_url, tmp_path)


def _codex(gateway_url: str, tmp_path: Path, extra_config: str = ""):
    if not CODEX.exists():
        pytest.skip("Codex CLI is not installed: run `npm ci --prefix tests/clients`")

    def run(prompt: str, model: str = CLAUDE, effort: str = "none") -> list[dict]:
        home, work = tmp_path / "codex-home", tmp_path / "work"
        home.mkdir(exist_ok=True)
        work.mkdir(exist_ok=True)
        config = CONFIG.replace(README_URL, gateway_url)
        config = re.sub(r'^model = ".*"', f'model = "{model}"', config, flags=re.M)
        config = re.sub(
            r'^model_reasoning_effort = ".*"', f'model_reasoning_effort = "{effort}"', config, flags=re.M
        )
        (home / "config.toml").write_text(config + extra_config)
        # HOME too: Codex runs commands in a login shell, which would read the machine's profile.
        env = {**os.environ, "HOME": str(home), "CODEX_HOME": str(home), "BEDROCK_GATEWAY_API_KEY": API_KEY}
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


def test_the_readme_agents_sdk_snippet_runs_as_written(gateway_url):
    snippet = readme_block("python", "The OpenAI Agents SDK:")
    snippet = snippet.replace(README_URL, gateway_url).replace("sk-local-bedrock-gateway", API_KEY)
    done = subprocess.run(
        [sys.executable, "-c", snippet], capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout == "Echo: What is the weather in Paris?\n"


def test_codex_applies_a_patch_through_its_custom_tool(codex, tmp_path):
    # gpt-* names reach DEFAULT_MODEL: Codex then uses its own metadata and offers apply_patch
    # as a free-form custom tool.
    patch = "*** Begin Patch\\n*** Add File: hello.txt\\n+hello\\n*** End Patch\\n"
    events = codex(f'@@tool apply_patch {{"input": "{patch}"}}', "gpt-5.5", "low")
    changes = _items(events, "file_change")
    assert [(c["status"], [change["kind"] for change in c["changes"]]) for c in changes] == [
        ("completed", ["add"])
    ]
    assert (tmp_path / "work" / "hello.txt").read_text() == "hello\n"
    assert _items(events, "agent_message")[0]["text"].endswith("A hello.txt")


def test_codex_retries_after_a_mid_stream_throttle_and_completes(codex):
    fault = f"@@fault ThrottlingException when=midstream after=2 times=1 id={uuid.uuid4().hex}"
    events = codex(f"@@words 5\n{fault}")
    retries = [e["message"] for e in events if e["type"] == "error"]
    assert len(retries) == 1 and "Please try again in 1s." in retries[0]
    assert [item["text"] for item in _items(events, "agent_message")] == ["word1 word2 word3 word4 word5"]
    assert events[-1]["type"] == "turn.completed"


def test_codex_waits_through_a_silence_longer_than_its_idle_timeout(quick_heartbeat_url, tmp_path):
    # Codex gives up after stream_idle_timeout_ms without an event (SSE comments do not count);
    # the gateway's response.in_progress keep-alives carry it through a 3 s pause.
    codex = _codex(quick_heartbeat_url, tmp_path, "stream_idle_timeout_ms = 1500\nstream_max_retries = 0\n")
    events = codex("@@words 2\n@@latency token=3000")
    assert [item["text"] for item in _items(events, "agent_message")] == ["word1 word2"]
    assert events[-1]["type"] == "turn.completed"
