"""Bearer keys guard the API; /health stays open."""

import pytest

from app.settings import ConfigError
from tests.conftest import AUTH


@pytest.mark.parametrize(
    ("headers", "code"),
    [
        ({}, "missing_api_key"),
        ({"Authorization": "Bearer "}, "missing_api_key"),
        ({"Authorization": "Basic c2stdGVzdC1rZXk="}, "missing_api_key"),
        ({"Authorization": "Bearer sk-wrong"}, "invalid_api_key"),
    ],
)
def test_requests_without_a_valid_key_get_401(client, headers, code):
    response = client.get("/api/v1/models", headers=headers)
    assert response.status_code == 401
    body = response.get_json()
    assert body["error"]["type"] == "authentication_error"
    assert body["error"]["code"] == code
    assert "sk-wrong" not in response.get_data(as_text=True)


def test_the_scheme_is_case_insensitive(client):
    assert client.get("/v1/models", headers={"Authorization": "bearer sk-test-key"}).status_code == 200


def test_any_of_several_keys_works(make_app):
    client = make_app(api_keys=("sk-a", "sk-b")).test_client()
    assert client.get("/v1/models", headers={"Authorization": "Bearer sk-b"}).status_code == 200
    assert client.get("/v1/models", headers=AUTH).status_code == 401


@pytest.mark.parametrize("path", ["/health", "/"])
def test_health_needs_no_key(client, path):
    response = client.get(path)
    assert (response.status_code, response.get_json()) == (200, {"status": "ok"})


def test_auth_can_be_disabled_explicitly(make_app):
    client = make_app(api_keys=(), disable_auth=True).test_client()
    assert client.get("/v1/models").status_code == 200


def test_a_secret_source_that_cannot_be_read_stops_startup(make_app, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL_SECRETS_MANAGER", "http://127.0.0.1:9")
    with pytest.raises(ConfigError, match="could not load the API key"):
        make_app(
            api_keys=(),
            api_key_secret_arn="arn:aws:secretsmanager:us-east-1:123456789012:secret:k",
            bedrock_connect_timeout=0.2,
        )
