"""How requests may arrive: paths, methods, encodings and keys that real clients send."""

from __future__ import annotations

import gzip
import io
import json
import zlib

import pytest

from tests.conftest import API_KEY, AUTH, error_body
from tests.http.helpers_chat import CLAUDE, user

CHAT = {"model": CLAUDE, "messages": [user("@@reply framed")]}
EMBED = {"model": "cohere.embed-english-v3", "input": "framed"}


def assert_openai_error(response, status: int, code: str | None) -> dict:
    assert (response.status_code, response.content_type) == (status, "application/json")
    error = error_body(response)["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert error["code"] == code
    return error


def answer_of(response) -> str:
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["choices"][0]["message"]["content"]


class TestTrailingSlash:
    @pytest.mark.parametrize("prefix", ["/v1", "/api/v1"])
    def test_the_model_list_answers_with_a_trailing_slash(self, client, prefix):
        response = client.get(prefix + "/models/", headers=AUTH)
        assert response.status_code == 200
        assert response.get_json() == client.get(prefix + "/models", headers=AUTH).get_json()

    def test_one_model_answers_with_a_trailing_slash(self, client):
        response = client.get(f"/v1/models/{CLAUDE}/", headers=AUTH)
        assert (response.status_code, response.get_json()["id"]) == (200, CLAUDE)

    def test_chat_completions_answers_with_a_trailing_slash(self, client):
        assert answer_of(client.post("/v1/chat/completions/", json=CHAT, headers=AUTH)) == "framed"

    def test_embeddings_answers_with_a_trailing_slash(self, client):
        response = client.post("/v1/embeddings/", json=EMBED, headers=AUTH)
        assert (response.status_code, len(response.get_json()["data"])) == (200, 1)


class TestContentTypeAndEncoding:
    @pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded"])
    def test_a_json_body_is_read_whatever_its_content_type(self, client, content_type):
        headers = {**AUTH, **({"Content-Type": content_type} if content_type else {})}
        response = client.post("/v1/chat/completions", data=json.dumps(CHAT), headers=headers)
        assert answer_of(response) == "framed"

    def test_a_utf8_byte_order_mark_is_ignored(self, client):
        raw = b"\xef\xbb\xbf" + json.dumps(CHAT).encode()
        assert answer_of(client.post("/v1/chat/completions", data=raw, headers=AUTH)) == "framed"

    @pytest.mark.parametrize(
        ("encoding", "compress"),
        [
            ("gzip", gzip.compress),
            ("GZIP", gzip.compress),
            ("x-gzip", gzip.compress),
            ("deflate", zlib.compress),
            ("identity", lambda raw: raw),
        ],
    )
    def test_a_compressed_body_is_decoded(self, client, encoding, compress):
        raw = compress(json.dumps(CHAT).encode())
        headers = {**AUTH, "Content-Type": "application/json", "Content-Encoding": encoding}
        assert answer_of(client.post("/v1/chat/completions", data=raw, headers=headers)) == "framed"

    def test_a_gzipped_embeddings_body_is_decoded(self, client):
        headers = {**AUTH, "Content-Encoding": "gzip"}
        response = client.post(
            "/v1/embeddings", data=gzip.compress(json.dumps(EMBED).encode()), headers=headers
        )
        assert response.status_code == 200

    def test_an_unsupported_content_encoding_is_415(self, client):
        headers = {**AUTH, "Content-Encoding": "br"}
        response = client.post("/v1/chat/completions", data=json.dumps(CHAT), headers=headers)
        error = assert_openai_error(response, 415, "unsupported_media_type")
        assert error["message"] == (
            "Content-Encoding `br` is not supported: send the body as is, or gzip or deflate it."
        )

    @pytest.mark.parametrize(
        ("raw", "message"),
        [
            (json.dumps(CHAT).encode(), "The request body is not valid gzip data."),
            (gzip.compress(json.dumps(CHAT).encode())[:-12], "The request body is truncated gzip data."),
        ],
        ids=["not-gzip", "truncated"],
    )
    def test_a_broken_gzip_body_is_400(self, client, raw, message):
        headers = {**AUTH, "Content-Encoding": "gzip"}
        response = client.post("/v1/chat/completions", data=raw, headers=headers)
        assert assert_openai_error(response, 400, None)["message"] == message

    def test_a_body_inflating_past_max_request_bytes_is_413(self, make_app):
        client = make_app(max_request_bytes=10_000).test_client()
        bomb = gzip.compress(b" " * 1_000_000 + json.dumps(CHAT).encode())
        assert len(bomb) < 10_000
        response = client.post(
            "/v1/chat/completions", data=bomb, headers={**AUTH, "Content-Encoding": "gzip"}
        )
        error = assert_openai_error(response, 413, "request_too_large")
        assert error["message"] == "The request body is too large once decompressed."

    @pytest.mark.parametrize("size", [500, 20_000])
    def test_a_chunked_body_is_read_whole_and_past_max_request_bytes_is_413(self, make_app, size):
        # A chunked body has no Content-Length; gunicorn marks the stream terminated.
        client = make_app(max_request_bytes=10_000).test_client()
        body = {**CHAT, "user": "u" * size}
        response = client.post(
            "/v1/chat/completions",
            input_stream=io.BytesIO(json.dumps(body).encode()),
            headers={**AUTH, "Transfer-Encoding": "chunked"},
            environ_overrides={"wsgi.input_terminated": True},
        )
        if size < 10_000:
            assert answer_of(response) == "framed"
        else:
            assert_openai_error(response, 413, "request_too_large")


class TestOptionsAndHead:
    @pytest.mark.parametrize(
        ("path", "allowed"),
        [
            ("/v1/models", {"GET", "HEAD", "OPTIONS"}),
            ("/v1/chat/completions", {"POST", "OPTIONS"}),
            ("/api/v1/embeddings", {"POST", "OPTIONS"}),
        ],
    )
    def test_options_is_an_empty_204_listing_the_methods(self, client, path, allowed):
        response = client.options(path)
        assert (response.status_code, response.get_data()) == (204, b"")
        assert "Content-Type" not in response.headers
        assert set(response.allow) == allowed
        assert response.headers["X-Request-Id"].startswith("req_")

    def test_options_on_an_unknown_url_is_a_json_404(self, client):
        assert_openai_error(client.options("/v1/nothing"), 404, "not_found")

    def test_head_on_the_model_list_needs_the_key_and_has_no_body(self, client):
        assert client.head("/v1/models").status_code == 401
        response = client.head("/v1/models", headers=AUTH)
        assert (response.status_code, response.content_type, response.get_data()) == (
            200,
            "application/json",
            b"",
        )

    def test_head_on_chat_completions_is_a_json_405(self, client):
        response = client.head("/v1/chat/completions", headers=AUTH)
        assert (response.status_code, response.content_type) == (405, "application/json")


class TestApiKeyHeaders:
    @pytest.mark.parametrize(
        "headers",
        [
            {"Authorization": f"bearer {API_KEY}"},
            {"Authorization": f"BEARER {API_KEY}"},
            {"Authorization": f"Bearer    {API_KEY}   "},
            {"Authorization": f"Bearer\t{API_KEY}"},
            {"api-key": API_KEY},
            {"Api-Key": f" {API_KEY} "},
            {"Authorization": "", "api-key": API_KEY},
        ],
        ids=["lower", "upper", "extra-spaces", "tab", "api-key", "api-key-padded", "empty-authorization"],
    )
    def test_the_key_is_accepted(self, client, headers):
        assert client.get("/v1/models", headers=headers).status_code == 200

    @pytest.mark.parametrize(
        ("headers", "code"),
        [
            ({"api-key": "sk-wrong"}, "invalid_api_key"),
            ({"api-key": ""}, "missing_api_key"),
            ({"Authorization": "Bearer sk-wrong", "api-key": API_KEY}, "invalid_api_key"),
            ({"Authorization": API_KEY}, "missing_api_key"),
            ({"Authorization": f"Token {API_KEY}", "api-key": API_KEY}, "missing_api_key"),
        ],
        ids=["wrong-api-key", "empty-api-key", "bad-bearer-wins", "no-scheme", "other-scheme-wins"],
    )
    def test_the_key_is_refused(self, client, headers, code):
        response = client.get("/v1/models", headers=headers)
        error = assert_openai_error(response, 401, code)
        assert error["type"] == "authentication_error"
        assert "sk-wrong" not in error["message"]


class TestAzureDeploymentPaths:
    def test_chat_completions_takes_the_model_from_the_path(self, client):
        body = {"messages": [user("@@reply deployed")]}
        response = client.post(
            f"/v1/deployments/{CLAUDE}/chat/completions?api-version=2024-06-01",
            json=body,
            headers={"api-key": API_KEY},
        )
        assert answer_of(response) == "deployed"
        assert response.get_json()["model"] == CLAUDE

    def test_the_path_model_wins_over_the_body_model(self, client):
        body = {"model": "acme.nothing-v9:0", "messages": [user("@@reply deployed")]}
        response = client.post(f"/api/v1/deployments/{CLAUDE}/chat/completions", json=body, headers=AUTH)
        assert answer_of(response) == "deployed"

    def test_embeddings_take_the_model_from_the_path(self, client):
        response = client.post(
            "/v1/deployments/cohere.embed-english-v3/embeddings", json={"input": "x"}, headers=AUTH
        )
        assert (response.status_code, response.get_json()["model"]) == (200, "cohere.embed-english-v3")

    def test_an_unknown_deployment_is_404_model_not_found(self, client):
        response = client.post("/v1/deployments/acme.nothing-v9:0/chat/completions", json=CHAT, headers=AUTH)
        assert assert_openai_error(response, 404, "model_not_found")["param"] == "model"

    def test_the_deployment_paths_need_a_key(self, client):
        response = client.post(f"/v1/deployments/{CLAUDE}/chat/completions", json=CHAT)
        assert_openai_error(response, 401, "missing_api_key")


class TestBrowserClients:
    """The OpenAI JS SDK in a browser: its preflight names x-stainless-* headers."""

    SITE = "https://chat.example.com"

    @pytest.fixture
    def cors_client(self, make_app):
        return make_app(allowed_origins=(self.SITE,)).test_client()

    def test_a_preflight_allows_the_headers_it_asks_for(self, cors_client):
        asked = "authorization, content-type, x-stainless-os, x-stainless-retry-count"
        response = cors_client.options(
            "/v1/chat/completions",
            headers={
                "Origin": self.SITE,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": asked,
            },
        )
        assert response.status_code == 204
        allowed = [
            name.strip().lower() for name in response.headers["Access-Control-Allow-Headers"].split(",")
        ]
        assert {"authorization", "content-type", "x-stainless-os", "x-stainless-retry-count"} <= set(allowed)
        assert len(allowed) == len(set(allowed))
        assert response.headers["Access-Control-Allow-Origin"] == self.SITE

    def test_a_preflight_on_an_unknown_url_is_still_answered(self, cors_client):
        headers = {"Origin": self.SITE, "Access-Control-Request-Method": "POST"}
        response = cors_client.options("/v1/nothing", headers=headers)
        assert (response.status_code, response.headers["Access-Control-Allow-Origin"]) == (204, self.SITE)

    def test_retry_after_and_the_request_id_are_readable_by_the_page(self, cors_client):
        prompt = "@@fault ThrottlingException message=Slow down."
        response = cors_client.post(
            "/v1/chat/completions",
            json={"model": CLAUDE, "messages": [user(prompt)]},
            headers={**AUTH, "Origin": self.SITE},
        )
        assert (response.status_code, response.headers["Retry-After"]) == (429, "1")
        exposed = {name.strip() for name in response.headers["Access-Control-Expose-Headers"].split(",")}
        assert exposed == {"Retry-After", "X-Request-Id"}
