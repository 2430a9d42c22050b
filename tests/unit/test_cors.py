"""CORS: off unless ALLOWED_ORIGINS names origins; preflights answered without a key; never credentials."""

import pytest

from app.cors import allowed_origin
from tests.conftest import AUTH

SITE = "https://chat.example.com"
PREFLIGHT = {
    "Origin": SITE,
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "authorization, content-type",
}


@pytest.mark.parametrize(
    ("origin", "allowed", "expected"),
    [
        (SITE, (), None),
        (SITE, (SITE,), SITE),
        ("https://evil.example.com", (SITE,), None),
        (SITE + ".evil.com", (SITE,), None),
        ("", (SITE,), None),
        (SITE, ("*",), "*"),
        ("null", ("*",), "*"),
    ],
)
def test_allowed_origin(origin, allowed, expected):
    assert allowed_origin(origin, allowed) == expected


class TestOffByDefault:
    def test_no_cors_headers_on_an_answer(self, client):
        response = client.get("/v1/models", headers={**AUTH, "Origin": SITE})
        assert response.status_code == 200
        assert not [name for name in response.headers.keys() if name.lower().startswith("access-control-")]

    def test_a_preflight_gets_no_permission(self, client):
        response = client.options("/v1/chat/completions", headers=PREFLIGHT)
        assert "Access-Control-Allow-Origin" not in response.headers


class TestConfigured:
    @pytest.fixture
    def cors_client(self, make_app):
        return make_app(allowed_origins=(SITE,)).test_client()

    def test_a_preflight_is_answered_without_an_api_key(self, cors_client):
        response = cors_client.options("/v1/chat/completions", headers=PREFLIGHT)
        assert response.status_code == 204
        assert response.headers["Access-Control-Allow-Origin"] == SITE
        assert "POST" in response.headers["Access-Control-Allow-Methods"]
        assert "Authorization" in response.headers["Access-Control-Allow-Headers"]
        assert response.headers["Vary"] == "Origin"
        assert "Access-Control-Allow-Credentials" not in response.headers

    def test_answers_and_errors_both_carry_the_origin_so_browsers_can_read_them(self, cors_client):
        ok = cors_client.get("/v1/models", headers={**AUTH, "Origin": SITE})
        refused = cors_client.get("/v1/models", headers={"Origin": SITE})
        assert (ok.status_code, refused.status_code) == (200, 401)
        assert ok.headers["Access-Control-Allow-Origin"] == SITE
        assert refused.headers["Access-Control-Allow-Origin"] == SITE

    def test_a_stream_carries_the_origin(self, cors_client):
        body = {
            "model": "anthropic.claude-3-5-sonnet-20240620-v1:0",
            "messages": [{"role": "user", "content": "@@reply hi"}],
            "stream": True,
        }
        response = cors_client.post("/v1/chat/completions", json=body, headers={**AUTH, "Origin": SITE})
        assert response.headers["Access-Control-Allow-Origin"] == SITE
        assert response.get_data().endswith(b"data: [DONE]\n\n")

    def test_another_origin_gets_no_permission(self, cors_client):
        response = cors_client.options(
            "/v1/chat/completions", headers={**PREFLIGHT, "Origin": "https://evil.example.com"}
        )
        assert "Access-Control-Allow-Origin" not in response.headers

    def test_a_wildcard_never_comes_with_credentials(self, make_app):
        client = make_app(allowed_origins=("*",)).test_client()
        response = client.options("/v1/chat/completions", headers=PREFLIGHT)
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        assert "Access-Control-Allow-Credentials" not in response.headers
