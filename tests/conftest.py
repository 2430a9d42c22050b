"""Shared fixtures: the Bedrock emulator in a thread, a clean environment, the app.

Every gateway test drives real boto3 over real HTTP against the emulator.
"""

from __future__ import annotations

import json
import os
import re
import urllib.request

import pytest

from app import create_app
from app.emulator.serve import start_in_thread
from app.settings import Settings

API_KEY = "sk-test-key"
AUTH = {"Authorization": f"Bearer {API_KEY}"}


def unstamped(body: dict, request_id: str | None = None) -> dict:
    """An error body with its message's ``(request id ...)`` suffix checked and removed."""
    error = dict(body["error"])
    expected = re.escape(request_id) if request_id else "req_[0-9a-f]{32}"
    message, count = re.subn(rf" \(request id {expected}\)$", "", error["message"])
    assert count == 1, (error["message"], request_id)
    return {**body, "error": {**error, "message": message}}


def error_body(response) -> dict:
    """A Flask test response's error body, its message without the (checked) request id."""
    return unstamped(response.get_json(), response.headers["X-Request-Id"])


_AMBIENT = ("AWS_", "API_KEY", "DEFAULT_MODEL", "DEFAULT_EMBEDDING_MODEL", "MODEL_ALIASES", "DISABLE_AUTH")


@pytest.fixture(scope="session")
def emulator():
    server = start_in_thread()
    yield server
    server.stop()


@pytest.fixture(scope="session", autouse=True)
def clean_environ(emulator):
    """No ambient AWS or gateway configuration leaks in; boto3 finds only the emulator."""
    saved = dict(os.environ)
    for name in list(os.environ):
        if name.startswith(_AMBIENT):
            del os.environ[name]
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test",
            "AWS_REGION": "us-east-1",
            "AWS_ENDPOINT_URL_BEDROCK": emulator.url,
            "AWS_ENDPOINT_URL_BEDROCK_RUNTIME": emulator.url,
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "AWS_EC2_METADATA_DISABLED": "true",
        }
    )
    yield
    os.environ.clear()
    os.environ.update(saved)


# BEDROCK_CLIENT=boto3 runs the whole suite on boto3's own client instead of the lean one.
BEDROCK_CLIENT = os.environ.get("BEDROCK_CLIENT", "lean")


@pytest.fixture(scope="session")
def settings(tmp_path_factory) -> Settings:
    return Settings(
        api_keys=(API_KEY,),
        aws_region="us-east-1",
        bedrock_max_attempts=1,
        data_dir=str(tmp_path_factory.mktemp("data")),
        bedrock_client=BEDROCK_CLIENT,
    )


@pytest.fixture(scope="session")
def app(settings):
    return create_app(settings)


@pytest.fixture
def make_app(settings):
    """An app with some settings changed: ``make_app(default_model=...)``."""
    return lambda **changes: create_app(settings.replace(**changes))


@pytest.fixture
def client(app):
    return app.test_client()


class EmulatorControl:
    """The emulator's test-support endpoints."""

    def __init__(self, url: str):
        self.url = url

    def _call(self, path: str, method: str = "GET") -> dict:
        request = urllib.request.Request(
            self.url + path, method=method, data=b"" if method == "POST" else None
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read() or b"{}")

    def reset(self) -> None:
        self._call("/_emulator/reset", "POST")

    def calls(self) -> dict[str, int]:
        return self._call("/_emulator/stats")["calls"]

    def open_streams(self) -> int:
        return self._call("/_emulator/stats")["open_streams"]

    def signers(self) -> list[str]:
        return self._call("/_emulator/signers")

    def requests(self, limit: int = 1) -> list[dict]:
        return self._call(f"/_emulator/requests?limit={limit}")


@pytest.fixture
def bedrock_emulator(emulator) -> EmulatorControl:
    """Emulator controls, with counters and transient faults reset for this test."""
    control = EmulatorControl(emulator.url)
    control.reset()
    return control


@pytest.fixture(scope="session")
def redis_server():
    """A Redis shared by the tests of a session; tests use their own key names."""
    from tests.redis_server import running_redis

    with running_redis() as server:
        yield server
