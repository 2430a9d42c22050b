"""Stored responses through the API: previous_response_id, GET, input_items, DELETE.

Each test runs against the SQLite store and against S3 (moto's real server).
"""

from __future__ import annotations

import json

import pytest

from tests.conftest import API_KEY, AUTH
from tests.http.helpers_chat import CLAUDE

URL = "/v1/responses"
OTHER_KEY = "sk-other-key"
OTHER = {"Authorization": f"Bearer {OTHER_KEY}"}


@pytest.fixture(params=["sqlite", "s3"])
def client(request, make_app, tmp_path):
    if request.param == "s3":
        request.getfixturevalue("s3")
        url = "s3://gw-responses/responses"
    else:
        url = f"sqlite:///{tmp_path}/responses.sqlite3"
    app = make_app(responses_store=url, api_keys=(API_KEY, OTHER_KEY))
    with app.test_client() as test_client:
        yield test_client


def create(client, headers=AUTH, **body) -> dict:
    response = client.post(URL, json={"model": CLAUDE, **body}, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def streamed(client, **body) -> dict:
    response = client.post(URL, json={"model": CLAUDE, "stream": True, **body}, headers=AUTH)
    frames = b"".join(response.response).decode().strip().split("\n\n")
    return json.loads(frames[-1].split("data: ", 1)[1])["response"]


def test_previous_response_id_puts_the_stored_chain_before_the_new_input(client):
    first = create(client, input="My name is Ada.", instructions="Old rules.")
    second = create(client, input="And my city is Paris.", previous_response_id=first["id"])
    third = create(client, input="@@echo", previous_response_id=second["id"], instructions="New rules.")
    sent = json.loads(third["output"][0]["content"][0]["text"])
    assert sent["system"] == [{"text": "New rules."}]
    assert sent["messages"] == [
        {"role": "user", "content": [{"text": "My name is Ada."}]},
        {"role": "assistant", "content": [{"text": "Echo: My name is Ada."}]},
        {"role": "user", "content": [{"text": "And my city is Paris."}]},
        {"role": "assistant", "content": [{"text": "Echo: And my city is Paris."}]},
        {"role": "user", "content": [{"text": "@@echo"}]},
    ]
    assert (third["previous_response_id"], third["store"]) == (second["id"], True)


def test_a_streamed_response_is_stored_as_completed(client):
    response = streamed(client, input="Hello")
    stored = client.get(f"{URL}/{response['id']}", headers=AUTH)
    assert stored.status_code == 200
    assert stored.get_json() == response


def test_get_input_items_and_delete(client):
    first = create(client, input="One")
    second = create(client, input=[{"role": "user", "content": "Two"}], previous_response_id=first["id"])
    assert client.get(f"{URL}/{second['id']}", headers=AUTH).get_json() == second
    page = client.get(f"{URL}/{second['id']}/input_items?order=asc&limit=2", headers=AUTH).get_json()
    assert [item.get("role") or item["type"] for item in page["data"]] == ["user", "assistant"]
    assert page["has_more"] is True
    assert page["data"][1]["id"] == first["output"][0]["id"]
    deleted = client.delete(f"{URL}/{second['id']}", headers=AUTH)
    assert deleted.get_json() == {"id": second["id"], "object": "response", "deleted": True}
    assert client.get(f"{URL}/{second['id']}", headers=AUTH).status_code == 404


def test_another_key_sees_nothing(client):
    first = create(client, input="Secret")
    assert client.get(f"{URL}/{first['id']}", headers=OTHER).status_code == 404
    assert client.delete(f"{URL}/{first['id']}", headers=OTHER).status_code == 404
    response = client.post(
        URL, json={"model": CLAUDE, "input": "Hi", "previous_response_id": first["id"]}, headers=OTHER
    )
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "previous_response_not_found"


def test_store_false_is_not_kept(client):
    response = create(client, input="Hi", store=False)
    assert response["store"] is False
    assert client.get(f"{URL}/{response['id']}", headers=AUTH).status_code == 404


def test_with_no_store_responses_report_store_false(make_app):
    with make_app(responses_store="none").test_client() as client:
        response = create(client, input="Hi")
        assert response["store"] is False
        follow = client.post(
            URL, json={"model": CLAUDE, "input": "Hi", "previous_response_id": response["id"]}, headers=AUTH
        )
        assert (follow.status_code, follow.get_json()["error"]["param"]) == (400, "previous_response_id")
        assert client.get(f"{URL}/{response['id']}", headers=AUTH).status_code == 404


def test_an_unreachable_store_costs_the_chain_not_the_answer(make_app, s3):
    with make_app(responses_store="s3://gw-absent/responses").test_client() as client:
        assert create(client, input="Hi")["output"][0]["content"][0]["text"] == "Echo: Hi"
        assert streamed(client, input="Hi")["status"] == "completed"


PNG = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk"
    "+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


def test_listed_input_items_are_valid_openai_response_items(client):
    from openai.types.responses import ResponseItem
    from pydantic import TypeAdapter

    tools = [{"type": "function", "name": "f", "parameters": {"type": "object"}}]
    items = [
        {"role": "user", "content": "a"},
        {"role": "assistant", "content": "b"},
        {"type": "function_call", "call_id": "c1", "name": "f", "arguments": "{}"},
        {"type": "function_call_output", "call_id": "c1", "output": "ok"},
        {
            "role": "user",
            "content": [{"type": "input_text", "text": "c"}, {"type": "input_image", "image_url": PNG}],
        },
    ]
    response = create(client, input=items, tools=tools)
    page = client.get(f"{URL}/{response['id']}/input_items?order=asc", headers=AUTH).get_json()
    listed = [TypeAdapter(ResponseItem).validate_python(item) for item in page["data"]]
    assert [(item.type, getattr(item, "status", None)) for item in listed] == [
        ("message", "completed"),
        ("message", "completed"),
        ("function_call", "completed"),
        ("function_call_output", "completed"),
        ("message", "completed"),
    ]
    assert listed[4].content[1].detail == "auto"
