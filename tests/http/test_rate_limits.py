"""Per-key limits through the Flask app, with the store in memory and in a real Redis."""

import json
import logging
import time

import pytest
import redis

from app.exchange import current as current_exchange
from app.local import free_port
from tests.conftest import error_body
from tests.http.helpers_chat import CLAUDE

REGISTRY = {
    "keys": [
        {"name": "rpm", "key": "sk-rpm", "rpm": 2},
        {"name": "tpm", "key": "sk-tpm", "tpm": 100},
        {"name": "daily", "key": "sk-daily", "tokens_per_day": 100},
        {"name": "both", "key": "sk-both", "tpm": 1000, "tokens_per_day": 5000},
        {"name": "parallel", "key": "sk-parallel", "max_parallel": 1},
        {"name": "free", "key": "sk-free"},
    ]
}


@pytest.fixture(params=["memory", "redis"])
def storage_uri(request):
    if request.param == "memory":
        return "memory://"
    server = request.getfixturevalue("redis_server")
    redis.Redis.from_url(server.url).flushdb()
    return server.url


@pytest.fixture
def client(make_app, storage_uri):
    app = make_app(
        api_keys=(),
        api_keys_json=json.dumps(REGISTRY),
        rate_limit_storage_uri=storage_uri,
        rate_limit_window_seconds=30,
    )
    return app.test_client()


def closed(response):
    """Read and close a response, as a WSGI server does: that is when its tokens are charged."""
    response.get_data()
    response.close()
    return response


def chat(client, key: str, prompt: str = "hi", **extra):
    body = {"model": CLAUDE, "messages": [{"role": "user", "content": prompt}], "max_tokens": 20, **extra}
    return closed(client.post("/v1/chat/completions", json=body, headers={"Authorization": f"Bearer {key}"}))


def usage_prompt(input_tokens: int, output_tokens: int) -> str:
    return f"@@usage input={input_tokens} output={output_tokens}"


def test_requests_over_rpm_get_429_with_openais_headers(client):
    first, second, third = (chat(client, "sk-rpm") for _ in range(3))
    assert (first.status_code, second.status_code, third.status_code) == (200, 200, 429)
    assert first.headers["x-ratelimit-limit-requests"] == "2"
    assert (
        first.headers["x-ratelimit-remaining-requests"],
        second.headers["x-ratelimit-remaining-requests"],
    ) == (
        "1",
        "0",
    )
    assert "x-ratelimit-limit-tokens" not in first.headers  # no token limit on this key
    assert error_body(third)["error"] == {
        "message": "Rate limit reached for requests per minute on key 'rpm': limit 2, used 2.",
        "type": "requests",
        "param": None,
        "code": "rate_limit_exceeded",
    }
    retry_ms = int(third.headers["retry-after-ms"])
    assert 0 < retry_ms <= 30_000
    assert third.headers["Retry-After"] == str(-(-retry_ms // 1000))
    assert third.headers["x-ratelimit-remaining-requests"] == "0"


def test_a_key_without_limits_gets_no_rate_limit_headers(client):
    response = chat(client, "sk-free")
    assert response.status_code == 200
    assert not [name for name in response.headers.keys() if name.lower().startswith("x-ratelimit")]


def test_tokens_are_charged_after_the_response_and_the_next_request_is_refused(client):
    # The request that crosses the limit completes (limits are checked before, charged after).
    crossing = chat(client, "sk-tpm", usage_prompt(90, 60))
    assert (crossing.status_code, crossing.headers["x-ratelimit-remaining-tokens"]) == (200, "100")
    refused = chat(client, "sk-tpm")
    assert refused.status_code == 429
    assert refused.get_json()["error"]["type"] == "tokens"
    assert error_body(refused)["error"]["message"] == (
        "Rate limit reached for tokens per minute on key 'tpm': limit 100, used 150."
    )
    assert refused.headers["x-ratelimit-remaining-tokens"] == "0"
    assert refused.headers["x-ratelimit-reset-tokens"].endswith("s")


def test_cache_tokens_count_toward_the_token_limits(client):
    chat(client, "sk-tpm", "@@usage input=10 output=10 cache_read=50 cache_write=30")
    assert chat(client, "sk-tpm").status_code == 429


def test_a_spent_daily_budget_is_insufficient_quota_and_says_not_to_retry(client):
    assert chat(client, "sk-daily", usage_prompt(70, 40)).status_code == 200
    refused = chat(client, "sk-daily")
    assert refused.status_code == 429
    assert error_body(refused)["error"] == {
        "message": "You exceeded the daily token budget of key 'daily': limit 100, used 110. "
        "It renews at 00:00 UTC.",
        "type": "insufficient_quota",
        "param": None,
        "code": "insufficient_quota",
    }
    assert refused.headers["x-should-retry"] == "false"
    assert refused.headers["x-ratelimit-limit-tokens"] == "100"


def test_the_token_headers_follow_tpm_when_a_key_has_both_token_limits(client):
    chat(client, "sk-both", usage_prompt(100, 20))
    response = chat(client, "sk-both")
    assert (
        response.headers["x-ratelimit-limit-tokens"],
        response.headers["x-ratelimit-remaining-tokens"],
    ) == (
        "1000",
        "880",
    )


def test_an_abandoned_stream_is_charged_the_offline_count(client):
    body = {
        "model": CLAUDE,
        "messages": [{"role": "user", "content": "@@words 400\n@@latency token=1"}],
        "stream": True,
    }
    response = client.post("/v1/chat/completions", json=body, headers={"Authorization": "Bearer sk-tpm"})
    chunks = iter(response.response)
    for _ in range(3):
        next(chunks)
    response.close()  # the client goes away before Bedrock's usage event
    assert chat(client, "sk-tpm").status_code == 200  # only a few dozen tokens so far
    used = 100 - int(chat(client, "sk-tpm").headers["x-ratelimit-remaining-tokens"])
    assert 5 < used < 100


def test_count_tokens_is_not_a_metered_call(client):
    body = {"model": CLAUDE, "messages": [{"role": "user", "content": "hi"}]}
    for _ in range(4):
        response = closed(
            client.post("/v1/messages/count_tokens", json=body, headers={"x-api-key": "sk-rpm"})
        )
        assert response.status_code == 200
    assert chat(client, "sk-rpm").status_code == 200


def test_messages_routes_answer_limits_in_anthropics_envelope(client):
    body = {"model": CLAUDE, "max_tokens": 5, "messages": [{"role": "user", "content": "hi"}]}
    answers = [
        closed(client.post("/v1/messages", json=body, headers={"x-api-key": "sk-rpm"})) for _ in range(3)
    ]
    assert [answer.status_code for answer in answers] == [200, 200, 429]
    refused = answers[2].get_json()
    assert (refused["type"], refused["error"]["type"]) == ("error", "rate_limit_error")
    assert "sk-rpm" not in answers[2].get_data(as_text=True)
    assert answers[2].headers["retry-after-ms"]


@pytest.fixture
def unreachable_store():
    return f"redis://127.0.0.1:{free_port()}/0"


def test_an_unreachable_store_fails_open_with_a_warning_and_a_count(make_app, unreachable_store, caplog):
    app = make_app(api_keys=(), api_keys_json=json.dumps(REGISTRY), rate_limit_storage_uri=unreachable_store)
    records = []
    app.before_request(lambda: current_exchange().on_close(records.append))
    with caplog.at_level(logging.WARNING, logger="app.rate_limits"):
        response = chat(app.test_client(), "sk-rpm")
    assert response.status_code == 200
    # Checking before the call, and recording the usage after it, each failed once.
    assert [(record.key_name, record.limit_store_errors) for record in records] == [("rpm", 2)]
    assert "rate-limit store unavailable while checking the limits of key 'rpm'" in caplog.text
    assert "serving anyway" in caplog.text


def test_an_unreachable_store_fails_closed_when_asked(make_app, unreachable_store):
    app = make_app(
        api_keys=(),
        api_keys_json=json.dumps(REGISTRY),
        rate_limit_storage_uri=unreachable_store,
        rate_limit_fail_open=False,
    )
    response = chat(app.test_client(), "sk-rpm")
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "rate_limit_store_unavailable"
    assert chat(app.test_client(), "sk-free").status_code == 200  # a key without limits is not checked


def test_usage_reports_the_keys_own_day_by_model_and_type(client):
    chat(client, "sk-both", "@@usage input=10 output=20 cache_read=3 cache_write=4")
    chat(client, "sk-both", usage_prompt(5, 6))
    body = {"model": "cohere.embed-english-v3", "input": "hello"}
    closed(client.post("/v1/embeddings", json=body, headers={"Authorization": "Bearer sk-both"}))
    chat(client, "sk-free", usage_prompt(1000, 1000))  # another key's usage is not shown
    response = client.get("/v1/usage", headers={"Authorization": "Bearer sk-both"})
    usage = response.get_json()
    embedding_input = usage["by_model"]["cohere.embed-english-v3"]["tokens"]["input"]
    assert embedding_input > 0
    assert usage == {
        "object": "usage",
        "key_name": "both",
        "date": usage["date"],
        "requests": 3,
        "tokens": {"input": 15 + embedding_input, "output": 26, "cache_read": 3, "cache_write": 4},
        "by_model": {
            CLAUDE: {"requests": 2, "tokens": {"input": 15, "output": 26, "cache_read": 3, "cache_write": 4}},
            "cohere.embed-english-v3": {
                "requests": 1,
                "tokens": {"input": embedding_input, "output": 0, "cache_read": 0, "cache_write": 0},
            },
        },
        "limits": {"rpm": None, "tpm": 1000, "tokens_per_day": 5000, "max_parallel": None},
        "remaining": {"tokens_today": 5000 - 48 - embedding_input},
    }
    assert usage["date"] == time.strftime("%Y-%m-%d", time.gmtime())


def test_usage_of_a_key_that_made_no_request(client):
    for path in ("/v1/usage", "/api/v1/usage"):
        usage = client.get(path, headers={"Authorization": "Bearer sk-free"}).get_json()
        assert {
            k: usage[k] for k in ("key_name", "requests", "tokens", "by_model", "limits", "remaining")
        } == {
            "key_name": "free",
            "requests": 0,
            "tokens": {"input": 0, "output": 0, "cache_read": 0, "cache_write": 0},
            "by_model": {},
            "limits": {"rpm": None, "tpm": None, "tokens_per_day": None, "max_parallel": None},
            "remaining": {"tokens_today": None},
        }


def test_usage_needs_a_key(client):
    assert client.get("/v1/usage").status_code == 401


def test_without_authentication_there_is_no_usage_to_show(make_app):
    response = make_app(api_keys=(), disable_auth=True).test_client().get("/v1/usage")
    assert (response.status_code, response.get_json()["error"]["code"]) == (404, "not_found")
