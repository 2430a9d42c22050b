"""Keep-alives while Bedrock is silent, and the drain: readiness 503, open streams ended cleanly.

Through gunicorn (real SIGTERM, real gevent) in tests/e2e/test_operability.py.
"""

from __future__ import annotations

import json
import threading
import time

import pytest

from app.drain import DRAIN
from tests.conftest import AUTH, unstamped
from tests.http.helpers_chat import CLAUDE, URL, accumulate, user

KEEP_ALIVE = ": keep-alive"


def events_of(raw: bytes) -> list:
    """Each SSE event of a body: ``data:`` payloads (dicts or ``[DONE]``) and comments as-is."""
    events = []
    for event in raw.decode().split("\n\n"):
        if event.startswith(":"):
            events.append(event)
        elif event:
            data = event.removeprefix("data: ")
            events.append(data if data == "[DONE]" else json.loads(data))
    return events


@pytest.fixture
def drain():
    """The process's drain state, reset afterwards."""
    yield DRAIN
    DRAIN.started = DRAIN.deadline = None


def stream(client, prompt: str):
    body = {"model": CLAUDE, "messages": [user(prompt)], "stream": True}
    response = client.post(URL, json=body, headers=AUTH)
    assert response.status_code == 200
    return response


def test_keep_alive_comments_fill_a_pause_and_the_answer_is_unchanged(make_app):
    client = make_app(sse_heartbeat_seconds=0.3).test_client()
    response = stream(client, "@@words 2\n@@latency token=1000")
    raw = response.get_data()
    response.close()
    events = events_of(raw)
    pings = [index for index, event in enumerate(events) if event == KEEP_ALIVE]
    assert 2 <= len(pings) <= 4
    assert events[-1] == "[DONE]" and min(pings) > 0  # never before the first chunk
    chunks = [event for event in events if isinstance(event, dict)]
    assert accumulate(chunks)["message"] == {"role": "assistant", "content": "word1 word2"}


def test_no_keep_alives_when_bedrock_keeps_talking_or_when_disabled(make_app):
    for heartbeat, prompt in (
        (5.0, "@@words 20\n@@latency token=10"),
        (0.0, "@@words 2\n@@latency token=500"),
    ):
        client = make_app(sse_heartbeat_seconds=heartbeat).test_client()
        response = stream(client, prompt)
        assert KEEP_ALIVE.encode() not in response.get_data()
        response.close()


def test_readiness_turns_503_when_draining_while_liveness_stays_200(client, drain):
    assert (client.get("/health/ready").status_code, client.get("/health").status_code) == (200, 200)
    drain.begin(graceful_timeout=30)
    ready = client.get("/health/ready")
    assert (ready.status_code, ready.get_json()) == (503, {"status": "draining"})
    assert client.get("/health").status_code == 200


def test_a_stream_open_at_the_drain_deadline_ends_with_server_shutting_down(make_app, drain):
    client = make_app(sse_heartbeat_seconds=15).test_client()
    response = stream(client, "@@words 3\n@@latency token=4000")
    iterator = iter(response.response)
    first = next(iterator)
    started = time.monotonic()
    threading.Timer(0.2, drain.begin, kwargs={"graceful_timeout": 1.0}).start()
    rest = b"".join(iterator)
    response.close()
    assert time.monotonic() - started < 3.0  # at the deadline (0.2 s + 1 s - 0.5 s), not after the pause
    events = events_of(first + rest)
    assert rest.endswith(b"\n\n") and "[DONE]" not in events
    assert unstamped(events[-1]) == {
        "error": {
            "message": "The server is restarting; retry the request.",
            "type": "server_error",
            "param": None,
            "code": "server_shutting_down",
        }
    }
