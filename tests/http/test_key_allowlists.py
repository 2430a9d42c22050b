"""Named keys: expired and disabled keys are unknown keys; models outside a key's list do not exist."""

import json

import pytest

from tests.conftest import error_body
from tests.http.helpers_chat import APP_PROFILE, CLAUDE, CLAUDE_37, NOVA_PRO

REGISTRY = {
    "keys": [
        {"name": "claude-team", "key": "sk-claude", "models": ["anthropic.claude-*", "cohere.embed-*"]},
        {"name": "nova-team", "key": "sk-nova", "models": ["amazon.nova-pro-*", "fast"]},
        {"name": "everything", "key": "sk-all"},
        {"name": "retired", "key": "sk-retired", "expires": "2020-01-01T00:00:00Z"},
        {"name": "paused", "key": "sk-paused", "disabled": True},
    ]
}


def bearer(key: str) -> dict:
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def client(make_app):
    app = make_app(api_keys=(), api_keys_json=json.dumps(REGISTRY), model_aliases={"fast": NOVA_PRO})
    return app.test_client()


def chat(client, key: str, model: str):
    body = {"model": model, "messages": [{"role": "user", "content": "hi"}], "max_tokens": 5}
    return client.post("/v1/chat/completions", json=body, headers=bearer(key))


@pytest.mark.parametrize("key", ["sk-retired", "sk-paused", "sk-unknown"])
def test_expired_and_disabled_keys_get_the_same_401_as_an_unknown_key(client, key):
    response = client.get("/v1/models", headers=bearer(key))
    assert (response.status_code, response.get_json()["error"]["code"]) == (401, "invalid_api_key")
    assert response.get_json()["error"]["message"].startswith("Incorrect API key provided.")


@pytest.mark.parametrize(
    ("key", "model", "status"),
    [
        ("sk-claude", CLAUDE, 200),
        ("sk-claude", CLAUDE_37, 200),  # a us.anthropic profile: its foundation model matches
        ("sk-claude", NOVA_PRO, 404),
        ("sk-nova", NOVA_PRO, 200),
        ("sk-nova", "fast", 200),
        ("sk-nova", CLAUDE, 404),
        ("sk-all", CLAUDE, 200),
    ],
)
def test_chat_is_allowed_only_for_models_in_the_keys_list(client, key, model, status):
    response = chat(client, key, model)
    assert response.status_code == status
    if status == 404:
        assert error_body(response)["error"] == {
            "message": f"The model `{model}` does not exist or you do not have access to it.",
            "type": "invalid_request_error",
            "param": "model",
            "code": "model_not_found",
        }


def test_an_unknown_model_and_a_forbidden_one_look_the_same(client):
    forbidden = error_body(chat(client, "sk-nova", CLAUDE))["error"]
    unknown = error_body(chat(client, "sk-nova", "anthropic.claude-nope"))["error"]
    assert forbidden["message"].replace(CLAUDE, "?") == unknown["message"].replace(
        "anthropic.claude-nope", "?"
    )
    assert (forbidden["code"], unknown["code"]) == ("model_not_found", "model_not_found")


def test_embeddings_follow_the_allowlist(client):
    body = {"model": "cohere.embed-english-v3", "input": "hello"}
    assert client.post("/v1/embeddings", json=body, headers=bearer("sk-claude")).status_code == 200
    refused = client.post("/v1/embeddings", json=body, headers=bearer("sk-nova"))
    assert (refused.status_code, refused.get_json()["error"]["code"]) == (404, "model_not_found")


def test_the_model_list_shows_only_the_keys_models(client):
    claude_ids = {m["id"] for m in client.get("/v1/models", headers=bearer("sk-claude")).get_json()["data"]}
    all_ids = {m["id"] for m in client.get("/v1/models", headers=bearer("sk-all")).get_json()["data"]}
    assert claude_ids and claude_ids < all_ids
    # The application profile routes to a Claude model, so Claude's pattern lists it too,
    # as it does Anthropic's names for Claude models (claude-sonnet-4-5).
    others = claude_ids - {APP_PROFILE}
    assert all("anthropic.claude-" in model_id or model_id.startswith("claude-") for model_id in others)
    assert {CLAUDE, CLAUDE_37, APP_PROFILE} <= claude_ids
    nova_ids = {m["id"] for m in client.get("/v1/models", headers=bearer("sk-nova")).get_json()["data"]}
    assert nova_ids == {model_id for model_id in all_ids if "amazon.nova-pro-" in model_id}
    assert nova_ids >= {NOVA_PRO, "us.amazon.nova-pro-v1:0"}


def test_one_model_outside_the_list_is_404(client):
    assert client.get(f"/v1/models/{CLAUDE}", headers=bearer("sk-claude")).status_code == 200
    response = client.get(f"/v1/models/{CLAUDE}", headers=bearer("sk-nova"))
    assert (response.status_code, response.get_json()["error"]["code"]) == (404, "model_not_found")


def test_anthropic_messages_follow_the_allowlist_in_anthropics_envelope(client):
    body = {"model": CLAUDE, "max_tokens": 5, "messages": [{"role": "user", "content": "hi"}]}
    assert client.post("/v1/messages", json=body, headers={"x-api-key": "sk-claude"}).status_code == 200
    refused = client.post("/v1/messages", json=body, headers={"x-api-key": "sk-nova"})
    assert refused.status_code == 404
    assert (refused.get_json()["type"], refused.get_json()["error"]["type"]) == ("error", "not_found_error")
