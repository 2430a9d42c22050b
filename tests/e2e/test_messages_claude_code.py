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


def claude_code_env(base_url: str, home: str) -> dict[str, str]:
    """The variables the README gives for Claude Code, with telemetry and updates off."""
    keep = ("PATH", "LANG", "TMPDIR")
    return {
        **{name: os.environ[name] for name in keep if name in os.environ},
        "HOME": home,
        "ANTHROPIC_BASE_URL": base_url,
        "ANTHROPIC_AUTH_TOKEN": API_KEY,
        "ANTHROPIC_MODEL": "claude-opus-4-6",
        "ANTHROPIC_DEFAULT_HAIKU_MODEL": "claude-haiku-4-5",
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
        "DISABLE_TELEMETRY": "1",
        "DISABLE_AUTOUPDATER": "1",
        "DISABLE_ERROR_REPORTING": "1",
    }


@pytest.mark.skipif(not CLAUDE.exists(), reason="Claude Code is not installed in tests/clients")
def test_claude_code_answers_a_prompt_through_the_gateway(gateway_url, bedrock_emulator, tmp_path):
    base_url = gateway_url.removesuffix("/v1")
    home = tmp_path / "home"
    home.mkdir()
    result = subprocess.run(
        [str(CLAUDE), "-p", "Say hello there"],
        env=claude_code_env(base_url, str(home)),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr + result.stdout
    assert "hello there" in result.stdout.lower()
    (call,) = [r for r in bedrock_emulator.requests(limit=50) if r["operation"].startswith("InvokeModel")]
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
