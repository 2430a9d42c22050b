"""The README's run command: gateway + built-in emulator, usable by the OpenAI SDK at once."""

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request

import pytest

from app.local import LOCAL_KEY, free_port
from tests.e2e.conftest import ROOT

pytestmark = pytest.mark.e2e


def _read_banner(process: subprocess.Popen, deadline: float = 60.0) -> str:
    lines, stop = [], time.monotonic() + deadline
    while time.monotonic() < stop:
        line = process.stdout.readline()
        if not line and process.poll() is not None:
            break
        lines.append(line)
        if "OPENAI_API_KEY" in line:
            return "".join(lines)
    raise AssertionError("no banner: " + "".join(lines))


def test_local_run_starts_gateway_and_emulator_and_says_how_to_connect():
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "API_KEY"))}
    env.update({"PORT": str(port), "ACCESS_LOG": "", "PYTHONUNBUFFERED": "1"})
    process = subprocess.Popen(
        [sys.executable, "-m", "app.local"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )
    try:
        banner = _read_banner(process)
        assert f"export OPENAI_BASE_URL=http://localhost:{port}/api/v1" in banner
        assert f"export OPENAI_API_KEY={LOCAL_KEY}" in banner
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/api/v1/models", headers={"Authorization": f"Bearer {LOCAL_KEY}"}
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            ids = [model["id"] for model in json.loads(response.read())["data"]]
        assert "anthropic.claude-3-5-sonnet-20240620-v1:0" in ids
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
        process.stdout.close()
