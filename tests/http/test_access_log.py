"""One access line per request, written when the response closes, with the request's facts."""

from __future__ import annotations

import json
import logging

import pytest

from app.log_format import JsonFormatter, fields_of
from tests.conftest import AUTH
from tests.http.helpers_chat import CLAUDE, URL, user

TRACE = "Root=1-67891233-abcdef012345678912345678;Sampled=1"


@pytest.fixture
def access(caplog):
    """The access lines written so far, as the JSON objects the formatter prints."""
    caplog.set_level(logging.DEBUG, logger="app.access")
    formatter = JsonFormatter()

    def lines() -> list[dict]:
        return [json.loads(formatter.format(r)) for r in caplog.records if r.name == "app.access"]

    return lines


def test_a_completion_writes_one_info_line_with_usage_and_bedrocks_request_id(client, access):
    body = {"model": CLAUDE, "messages": [user("@@usage input=11 output=7 cache_read=3 cache_write=2\nhi")]}
    headers = {**AUTH, "X-Request-Id": "ticket-1", "X-Amzn-Trace-Id": TRACE}
    response = client.post(URL, json=body, headers=headers)
    response.close()
    [line] = access()
    assert line["upstream_request_id"] and line["duration_ms"] >= line["ttfb_ms"] >= 0
    variable = {"ts", "duration_ms", "ttfb_ms", "upstream_request_id"}
    assert {key: value for key, value in line.items() if key not in variable} == {
        "level": "info",
        "logger": "app.access",
        "event": "request",
        "request_id": "ticket-1",
        "trace_id": "1-67891233-abcdef012345678912345678",
        "method": "POST",
        "route": "/v1/chat/completions",
        "status": 200,
        "ttft_ms": None,
        "key_name": "key-1",
        "operation": "chat",
        "model": CLAUDE,
        "resolved_model": CLAUDE,
        "input_tokens": 11,
        "output_tokens": 7,
        "cache_read_tokens": 3,
        "cache_write_tokens": 2,
        "finish_reason": "end_turn",
        "attempts": 1,
        "disconnected": False,
        "error_type": None,
    }


def test_a_stream_is_logged_only_after_its_last_byte_with_time_to_first_token(client, access):
    body = {"model": CLAUDE, "messages": [user("@@usage input=5 output=9\n@@words 4")], "stream": True}
    response = client.post(URL, json=body, headers=AUTH)
    assert access() == []
    response.get_data()
    response.close()
    [line] = access()
    assert (line["status"], line["input_tokens"], line["output_tokens"]) == (200, 5, 9)
    assert 0 <= line["ttfb_ms"] <= line["ttft_ms"] <= line["duration_ms"]


def test_an_abandoned_stream_is_logged_as_disconnected(client, access):
    body = {"model": CLAUDE, "messages": [user("@@words 50\n@@latency token=1")], "stream": True}
    response = client.post(URL, json=body, headers=AUTH)
    next(iter(response.response))
    response.close()
    [line] = access()
    assert line["disconnected"] is True


@pytest.mark.parametrize(
    ("path", "headers", "status", "level", "error_type"),
    [
        ("/v1/models/acme.nothing-v9:0", AUTH, 404, "warning", "model_not_found"),
        ("/v1/models", {}, 401, "warning", "missing_api_key"),
    ],
)
def test_client_errors_are_warnings_with_their_error_type(
    client, access, path, headers, status, level, error_type
):
    client.get(path, headers=headers).close()
    [line] = access()
    assert (line["status"], line["level"], line["error_type"]) == (status, level, error_type)


def test_a_bedrock_failure_is_an_error_line_naming_the_bedrock_exception(client, access):
    body = {"model": CLAUDE, "messages": [user("@@fault InternalServerException")]}
    client.post(URL, json=body, headers=AUTH).close()
    [line] = access()
    assert (line["status"], line["level"], line["error_type"]) == (502, "error", "InternalServerException")


@pytest.mark.parametrize("path", ["/health", "/"])
def test_health_checks_are_logged_at_debug_only(client, access, path):
    client.get(path).close()
    assert [line["level"] for line in access()] == ["debug"]


def test_every_line_of_a_request_carries_its_id(client, caplog):
    caplog.set_level(logging.INFO)
    prompt = "@@words 6\n@@fault ThrottlingException when=midstream after=3"
    body = {"model": CLAUDE, "messages": [user(prompt)]}
    response = client.post(URL, json={**body, "stream": True}, headers={**AUTH, "X-Request-Id": "ticket-7"})
    response.get_data()
    response.close()
    formatted = [json.loads(JsonFormatter().format(record)) for record in caplog.records]
    assert {line["logger"] for line in formatted} >= {"app.sse", "app.access"}
    assert {line.get("request_id") for line in formatted if line["logger"].startswith("app.")} == {"ticket-7"}


def test_structured_fields_are_kept_apart_from_the_message():
    record = logging.makeLogRecord({"msg": "request", "event": "request", "status": 200})
    assert fields_of(record) == {"event": "request", "status": 200}
