"""Whatever goes wrong, the client gets an OpenAI error object with the right status."""

import pytest

from tests.conftest import AUTH, error_body


def assert_openai_error(response, status, type_, code=None, param=None):
    assert response.status_code == status
    assert response.content_type == "application/json"
    error = error_body(response)["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert (error["type"], error["code"], error["param"]) == (type_, code, param)
    assert "Traceback" not in error["message"]
    return error


def test_unknown_route_is_404(client):
    error = assert_openai_error(
        client.get("/v1/nothing", headers=AUTH), 404, "invalid_request_error", "not_found"
    )
    assert error["message"] == "Unknown request URL: GET /v1/nothing."


def test_wrong_method_is_405(client):
    assert_openai_error(
        client.delete("/v1/chat/completions", headers=AUTH),
        405,
        "invalid_request_error",
        "method_not_allowed",
    )


@pytest.mark.parametrize(
    "body",
    [b"{not json", b"[1, 2]", b'"text"', b"", b"\xff\xfe"],
)
def test_a_body_that_is_not_a_json_object_is_400(client, body):
    response = client.post(
        "/v1/chat/completions", data=body, headers={**AUTH, "Content-Type": "application/json"}
    )
    assert_openai_error(response, 400, "invalid_request_error")


def test_deeply_nested_json_is_400_not_a_crash(client):
    body = b'{"model": "x", "messages": ' + b"[" * 50_000 + b"]" * 50_000 + b"}"
    assert_openai_error(
        client.post("/v1/chat/completions", data=body, headers=AUTH), 400, "invalid_request_error"
    )


def test_an_oversize_body_is_413(make_app):
    client = make_app(max_request_bytes=1024).test_client()
    response = client.post("/v1/chat/completions", data=b"{" + b" " * 4096 + b"}", headers=AUTH)
    assert_openai_error(response, 413, "invalid_request_error", "request_too_large")


def test_unexpected_failures_are_500_with_a_request_id_and_no_internals(app, monkeypatch):
    def explode():
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(app.extensions["catalogue"], "list_models", explode)
    response = app.test_client().get("/v1/models", headers={**AUTH, "X-Request-Id": "req-abc"})
    error = assert_openai_error(response, 500, "server_error")
    assert error["message"] == "The server had an error processing your request."
    assert "secret internal detail" not in response.get_data(as_text=True)
    assert response.headers["X-Request-Id"] == "req-abc"
