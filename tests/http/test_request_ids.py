"""Request ids: a well-formed client id is kept, anything else replaced; echoed everywhere."""

from __future__ import annotations

import re

import pytest

from tests.conftest import AUTH
from tests.http.helpers_chat import CLAUDE, URL, user

GENERATED = re.compile(r"req_[0-9a-f]{32}")


@pytest.mark.parametrize(
    "presented",
    ["req-abc", "0af7651916cd43dd8448eb211c80319c", "trace:1.2_3-4", "x" * 128],
)
def test_a_well_formed_client_id_is_echoed_as_is(client, presented):
    response = client.get("/v1/models", headers={**AUTH, "X-Request-Id": presented})
    assert response.headers["X-Request-Id"] == presented


@pytest.mark.parametrize(
    "presented",
    ["", "x" * 129, "has space", 'quote"d', "new\\nline", "caf\u00e9", "a/b", "{json}"],
)
def test_a_malformed_client_id_is_replaced_by_a_generated_one(client, presented):
    response = client.get("/v1/models", headers={**AUTH, "X-Request-Id": presented})
    assert GENERATED.fullmatch(response.headers["X-Request-Id"])


@pytest.mark.parametrize(
    ("method", "path", "headers", "status"),
    [
        ("GET", "/v1/models", {}, 401),
        ("GET", "/v1/nothing", AUTH, 404),
        ("POST", URL, AUTH, 400),
        ("POST", URL, {"Authorization": "Bearer wrong"}, 401),
    ],
)
def test_errors_and_401s_carry_the_id_in_the_header_and_the_message(client, method, path, headers, status):
    response = client.open(path, method=method, json={}, headers={**headers, "X-Request-Id": "ticket-42"})
    assert response.status_code == status
    assert response.headers["X-Request-Id"] == "ticket-42"
    assert response.get_json()["error"]["message"].endswith(" (request id ticket-42)")


def test_a_mid_stream_error_event_names_the_request_id(client):
    prompt = "@@words 6\n@@fault ThrottlingException when=midstream after=3"
    body = {"model": CLAUDE, "messages": [user(prompt)], "stream": True}
    response = client.post(URL, json=body, headers={**AUTH, "X-Request-Id": "ticket-43"})
    text = response.get_data(as_text=True)
    response.close()
    assert '(request id ticket-43)"' in text
