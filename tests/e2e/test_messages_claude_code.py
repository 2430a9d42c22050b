"""Claude Code itself (``claude -p``, pinned in tests/clients) through the gateway under
gunicorn+gevent: its betas, tools, billing header and count_tokens calls are accepted by the
emulator, which is as strict as Bedrock about them."""

from __future__ import annotations

import os
import subprocess

import pytest

from tests.conftest import API_KEY
from tests.e2e.conftest import ROOT

pytestmark = pytest.mark.e2e

CLAUDE = ROOT / "tests" / "clients" / "node_modules" / ".bin" / "claude"
needs_claude_code = pytest.mark.skipif(not CLAUDE.exists(), reason="npm has not installed tests/clients")


def claude_code_env(base_url: str, home: str, model: str) -> dict[str, str]:
    """The variables the README gives for Claude Code, with telemetry and updates off."""
    keep = ("PATH", "LANG", "TMPDIR")
    return {
        **{name: os.environ[name] for name in keep if name in os.environ},
        "HOME": home,
        "ANTHROPIC_BASE_URL": base_url,
        "ANTHROPIC_AUTH_TOKEN": API_KEY,
        "ANTHROPIC_MODEL": model,
        "ANTHROPIC_DEFAULT_HAIKU_MODEL": "claude-haiku-4-5",
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
        "DISABLE_TELEMETRY": "1",
        "DISABLE_AUTOUPDATER": "1",
        "DISABLE_ERROR_REPORTING": "1",
    }


def run_claude(gateway_url: str, tmp_path, model: str) -> subprocess.CompletedProcess:
    home = tmp_path / "home"
    home.mkdir()
    return subprocess.run(
        [str(CLAUDE), "-p", "Say hello there"],
        env=claude_code_env(gateway_url.removesuffix("/v1"), str(home), model),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=180,
    )


def bedrock_calls(emulator, prefix: str) -> list[dict]:
    return [r for r in emulator.requests(limit=50) if r["operation"].startswith(prefix)]


@needs_claude_code
def test_claude_code_answers_a_prompt_on_claude(gateway_url, bedrock_emulator, tmp_path):
    result = run_claude(gateway_url, tmp_path, "claude-opus-4-6")
    assert result.returncode == 0, result.stderr + result.stdout
    assert "hello there" in result.stdout.lower()
    (call,) = bedrock_calls(bedrock_emulator, "InvokeModel")
    assert (call["operation"], call["modelId"]) == (
        "InvokeModelWithResponseStream",
        "global.anthropic.claude-opus-4-6-v1",
    )
    # What Claude Code sends beyond this is what Bedrock refuses: the sanitizer dropped it.
    assert set(call["body"]) <= {
        "anthropic_beta", "anthropic_version", "context_management", "max_tokens", "messages",
        "metadata", "output_config", "system", "thinking", "tools",
    }  # fmt: skip
    assert "claude-code-20250219" not in call["body"]["anthropic_beta"]
    assert not any("x-anthropic-billing-header" in block["text"] for block in call["body"]["system"])


@needs_claude_code
def test_claude_code_answers_a_prompt_on_nova(gateway_url, bedrock_emulator, tmp_path):
    result = run_claude(gateway_url, tmp_path, "amazon.nova-pro-v1:0")
    assert result.returncode == 0, result.stderr + result.stdout
    assert "hello there" in result.stdout.lower()
    calls = bedrock_calls(bedrock_emulator, "Converse")
    assert calls and {call["modelId"] for call in calls} == {"amazon.nova-pro-v1:0"}
    assert not bedrock_calls(bedrock_emulator, "InvokeModel")
