"""``/docs`` in a real headless browser (Debian's chromium): Swagger UI renders every route, offline.

CI installs chromium (.ci/run); the test fails rather than skips without it.
"""

from __future__ import annotations

import shutil
import subprocess

import pytest

pytestmark = pytest.mark.e2e


def chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    assert path, "chromium is not installed: apt-get install chromium (.ci/run does)"
    return path


def rendered_dom(url: str) -> str:
    """The page's DOM once its scripts have run (virtual time lets Swagger UI fetch and render)."""
    argv = [
        chromium(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--virtual-time-budget=20000",
        "--dump-dom",
        url,
    ]
    result = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def test_the_docs_page_renders_every_api_route_from_the_gateway_alone(gateway_url):
    root = gateway_url.removesuffix("/v1")
    dom = rendered_dom(root + "/docs")
    assert "Bedrock Gateway" in dom
    for path in (
        "/v1/chat/completions",
        "/api/v1/embeddings",
        "/v1/messages",
        "/v1/models/{model_id}",
        "/health/ready",
    ):
        assert f'data-path="{path}"' in dom, path
    assert "Create a chat completion" in dom
    assert "validator.swagger.io" not in dom
