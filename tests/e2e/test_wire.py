"""Raw HTTP against gunicorn+gevent: framing the SDKs never exercise, and very long streams."""

from __future__ import annotations

import gzip
import json
import socket
from urllib.parse import urlsplit

import httpx
import pytest

from tests.conftest import API_KEY
from tests.http.helpers_chat import CLAUDE, user

pytestmark = pytest.mark.e2e

HEADERS = {"Authorization": f"Bearer {API_KEY}"}
CHAT = {"model": CLAUDE, "messages": [user("@@reply on the wire")]}


@pytest.fixture(scope="module")
def http(gateway_url):
    with httpx.Client(base_url=gateway_url, headers=HEADERS, timeout=60) as client:
        yield client


def raw_exchange(gateway_url: str, head: str, body: bytes, *, wait_for_continue: bool = False) -> bytes:
    """Send ``head`` (request line and headers) then ``body`` on a socket; the whole reply."""
    url = urlsplit(gateway_url)
    with socket.create_connection((url.hostname, url.port), timeout=10) as sock:
        sock.sendall(head.replace("PATH", url.path).encode() + b"\r\n")
        if wait_for_continue:
            assert sock.recv(4096).startswith(b"HTTP/1.1 100 Continue")
        sock.sendall(body)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    return received


def test_expect_100_continue_gets_continue_then_the_answer(gateway_url):
    body = json.dumps(CHAT).encode()
    head = (
        "POST PATH/chat/completions HTTP/1.1\r\nHost: gateway\r\nConnection: close\r\n"
        f"Authorization: Bearer {API_KEY}\r\nContent-Type: application/json\r\n"
        f"Expect: 100-continue\r\nContent-Length: {len(body)}\r\n"
    )
    reply = raw_exchange(gateway_url, head, body, wait_for_continue=True)
    status, _, payload = reply.partition(b"\r\n\r\n")
    assert status.startswith(b"HTTP/1.1 200")
    assert json.loads(payload)["choices"][0]["message"]["content"] == "on the wire"


def test_a_chunked_request_body_is_read(gateway_url):
    body = json.dumps(CHAT).encode()
    head = (
        "POST PATH/chat/completions HTTP/1.1\r\nHost: gateway\r\nConnection: close\r\n"
        f"Authorization: Bearer {API_KEY}\r\nTransfer-Encoding: chunked\r\n"
    )
    chunked = b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in (body[:10], body[10:])) + b"0\r\n\r\n"
    reply = raw_exchange(gateway_url, head, chunked)
    assert reply.startswith(b"HTTP/1.1 200")
    assert b'"content":"on the wire"' in reply


@pytest.mark.parametrize("content_type", ["text/plain", None])
def test_json_without_a_json_content_type(http, content_type):
    headers = {"Content-Type": content_type} if content_type else {}
    response = http.post("/chat/completions", content=json.dumps(CHAT), headers=headers)
    assert response.json()["choices"][0]["message"]["content"] == "on the wire"


def test_a_gzipped_body(http):
    raw = gzip.compress(json.dumps(CHAT).encode())
    response = http.post("/chat/completions", content=raw, headers={"Content-Encoding": "gzip"})
    assert response.json()["choices"][0]["message"]["content"] == "on the wire"


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/models/", 200),
        ("POST", "/chat/completions/", 200),
        ("HEAD", "/models", 200),
        ("OPTIONS", "/chat/completions", 204),
        ("GET", "/chat/completions", 405),
        ("PUT", "/embeddings", 405),
        ("GET", "/nowhere", 404),
    ],
)
def test_methods_and_paths_never_answer_html(http, method, path, status):
    response = http.request(method, path, json=CHAT if method == "POST" else None)
    assert response.status_code == status
    assert "html" not in response.headers.get("content-type", "")
    if status >= 400:
        assert set(response.json()["error"]) == {"message", "type", "param", "code"}


def test_the_api_key_header_works_without_authorization(gateway_url):
    response = httpx.get(gateway_url + "/models", headers={"api-key": API_KEY}, timeout=10)
    assert response.status_code == 200


def test_a_very_long_stream_arrives_whole_and_in_order(http):
    body = {
        "model": CLAUDE,
        "messages": [user("@@words 8000")],
        "max_tokens": 8192,
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    words, events = [], 0
    with http.stream("POST", "/chat/completions", json=body) as response:
        for line in response.iter_lines():
            if not line.startswith("data: "):
                continue
            events += 1
            if line == "data: [DONE]":
                break
            chunk = json.loads(line[len("data: ") :])
            if chunk["choices"]:
                words.append(chunk["choices"][0]["delta"].get("content") or "")
            else:
                usage = chunk["usage"]
    assert "".join(words).split() == [f"word{i}" for i in range(1, 8001)]
    assert usage["completion_tokens"] == 8000
    assert events == 8000 + 4  # role, words, finish, usage, [DONE]


@pytest.mark.parametrize(
    ("head", "status"),
    [
        ("GET PATH/models HTTP/1.1\r\nHost: x\r\nX-Big: " + "a" * 9000 + "\r\n", b"431"),
        ("GET PATH/" + "m" * 5000 + " HTTP/1.1\r\nHost: x\r\n", b"414"),
        ("BREW PATH/models HTTP/9.9\r\nHost: x\r\n", b"400"),
    ],
    ids=["header-too-large", "request-line-too-long", "bad-http-version"],
)
def test_errors_gunicorn_answers_itself_are_openai_json(gateway_url, head, status):
    reply = raw_exchange(gateway_url, head, b"")
    status_line, _, rest = reply.partition(b"\r\n")
    headers, _, body = rest.partition(b"\r\n\r\n")
    assert status_line.split()[1] == status
    assert b"Content-Type: application/json" in headers
    assert set(json.loads(body)["error"]) == {"message", "type", "param", "code"}
