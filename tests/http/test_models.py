"""GET /models and /models/<id> against the emulator's catalogue, through real boto3."""

import time

import pytest

from app.emulator.serve import start_in_thread
from tests.conftest import AUTH, error_body

APP_ARN = "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/teamclaude01"


@pytest.fixture
def listed(client):
    response = client.get("/api/v1/models", headers=AUTH)
    assert response.status_code == 200
    return response.get_json()


def test_lists_chat_models_and_profiles_in_openai_shape(listed):
    ids = [model["id"] for model in listed["data"]]
    assert listed["object"] == "list"
    assert {
        "anthropic.claude-3-5-sonnet-20240620-v1:0",
        "us.anthropic.claude-3-5-sonnet-20240620-v1:0",
        "us.anthropic.claude-3-7-sonnet-20250219-v1:0",
        "global.anthropic.claude-sonnet-4-20250514-v1:0",
        "us.deepseek.r1-v1:0",
        "anthropic.claude-v2:1",
        APP_ARN,
    } <= set(ids)
    first = listed["data"][0]
    assert first == {
        "id": ids[0],
        "object": "model",
        "created": first["created"],
        "owned_by": "bedrock",
        "type": "model",
        "display_name": ids[0],
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(first["created"])),
    }


def test_the_list_also_serves_anthropic_clients(listed):
    ids = [model["id"] for model in listed["data"]]
    assert {"claude-sonnet-4-5", "claude-sonnet-4-5-20250929", "claude-opus-4-6", "claude-haiku-4-5"} <= set(
        ids
    )
    assert (listed["has_more"], listed["first_id"], listed["last_id"]) == (False, ids[0], ids[-1])


@pytest.mark.parametrize(
    "excluded",
    [
        "anthropic.claude-3-7-sonnet-20250219-v1:0",  # profile-only: the bare id cannot be invoked
        "cohere.embed-english-v3",  # embedding output
        "stability.sd3-5-large-v1:0",  # image output
        "ai21.j2-ultra-v1",  # no streaming
    ],
)
def test_does_not_list_models_chat_clients_cannot_stream_from(listed, excluded):
    assert excluded not in [model["id"] for model in listed["data"]]


def test_v1_prefix_serves_the_same_list(client, listed):
    assert client.get("/v1/models", headers=AUTH).get_json() == listed


@pytest.mark.parametrize(
    "model_id",
    ["us.anthropic.claude-3-7-sonnet-20250219-v1:0", APP_ARN, "anthropic.claude-3-5-sonnet-20240620-v1:0"],
)
def test_retrieves_one_model_even_with_colons_and_slashes_in_its_id(client, model_id):
    response = client.get(f"/api/v1/models/{model_id}", headers=AUTH)
    assert response.status_code == 200
    assert response.get_json()["id"] == model_id


def test_unknown_model_is_404_model_not_found(client):
    response = client.get("/api/v1/models/acme.nothing-v9:0", headers=AUTH)
    assert response.status_code == 404
    assert error_body(response) == {
        "error": {
            "message": "The model `acme.nothing-v9:0` does not exist or you do not have access to it.",
            "type": "invalid_request_error",
            "param": "model",
            "code": "model_not_found",
        }
    }


def test_a_burst_of_list_calls_reaches_bedrock_once(make_app, bedrock_emulator):
    client = make_app().test_client()
    for _ in range(20):
        assert client.get("/v1/models", headers=AUTH).status_code == 200
    assert bedrock_emulator.calls().get("ListFoundationModels") == 1


def test_last_good_catalogue_survives_bedrock_going_away(make_app, monkeypatch):
    own = start_in_thread()
    monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK", own.url)
    client = make_app(model_refresh_interval=0, bedrock_connect_timeout=0.5).test_client()
    before = client.get("/v1/models", headers=AUTH).get_json()
    own.stop()
    time.sleep(1.1)  # past the one-second floor between list attempts
    after = client.get("/v1/models", headers=AUTH)
    assert (after.status_code, after.get_json()) == (200, before)
    assert len(before["data"]) > 10


def test_an_anthropic_name_from_the_list_works_for_chat_too(client):
    body = {"model": "claude-haiku-4-5", "messages": [{"role": "user", "content": "Hello there"}]}
    response = client.post("/v1/chat/completions", json=body, headers=AUTH)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["model"] == "claude-haiku-4-5"
