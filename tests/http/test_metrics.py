"""``GET /metrics``: OpenTelemetry GenAI histograms and the gateway's counters, in one process.

The several-worker case (multiprocess mode under gunicorn) is in tests/e2e/test_operability.py.
"""

from __future__ import annotations

import uuid

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import API_KEY, AUTH
from tests.http.helpers_chat import CLAUDE, URL, user
from tests.http.test_errors import assert_openai_error

TOKEN = "metrics-scraper-token"
GENAI = {"gen_ai_operation_name": "chat", "gen_ai_provider_name": "aws.bedrock"}


def parse(text: str) -> dict[tuple, float]:
    """Every sample of a scrape, keyed by (name, sorted labels), read by prometheus_client's parser."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def samples(client, headers: dict | None = None) -> dict[tuple, float]:
    response = client.get("/metrics", headers=headers or {})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.content_type == "text/plain; version=0.0.4; charset=utf-8"
    return parse(response.get_data(as_text=True))


def total(scrape: dict, name: str, **labels: str) -> float:
    """The sum of ``name``'s samples whose labels include ``labels``."""
    return sum(
        value
        for (sample, sample_labels), value in scrape.items()
        if sample == name and labels.items() <= dict(sample_labels).items()
    )


@pytest.fixture
def metered(make_app):
    return make_app(metrics_enabled=True).test_client()


def chat(client, text: str, **extra):
    response = client.post(URL, json={"model": CLAUDE, "messages": [user(text)], **extra}, headers=AUTH)
    response.get_data()
    response.close()
    return response


def test_metrics_are_404_unless_enabled(client):
    assert_openai_error(client.get("/metrics"), 404, "invalid_request_error", "not_found")


def test_a_metrics_token_is_required_when_set_and_an_api_key_does_not_replace_it(make_app):
    client = make_app(metrics_enabled=True, metrics_token=TOKEN).test_client()
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Bearer {API_KEY}"}):
        assert_openai_error(
            client.get("/metrics", headers=headers), 401, "authentication_error", "invalid_api_key"
        )
    assert samples(client, {"Authorization": f"Bearer {TOKEN}"}) is not None


def test_requests_are_counted_by_route_method_status_and_key(metered):
    chat(metered, "hi")
    chat(metered, "hi")
    metered.get("/v1/models").close()  # no key: 401
    metered.get("/v1/nothing", headers=AUTH).close()
    scrape = samples(metered)
    counted = {
        (dict(labels)["route"], dict(labels)["method"], dict(labels)["status_code"]): value
        for (name, labels), value in scrape.items()
        if name == "bedrock_gateway_requests_total"
    }
    assert counted == {
        ("/v1/chat/completions", "POST", "200"): 2.0,
        ("/v1/models", "GET", "401"): 1.0,
        ("_unmatched", "GET", "404"): 1.0,
    }
    assert total(scrape, "bedrock_gateway_requests_in_flight") == 1.0  # the scrape itself


def test_token_counters_and_histograms_equal_bedrocks_usage(metered):
    chat(metered, "@@usage input=11 output=7 cache_read=3 cache_write=2\nhi")
    chat(metered, "@@usage input=5 output=9\n@@words 9", stream=True, stream_options={"include_usage": True})
    scrape = samples(metered)
    tokens = {
        dict(labels)["gen_ai_token_type"]: value
        for (name, labels), value in scrape.items()
        if name == "bedrock_gateway_tokens_total" and dict(labels)["gen_ai_request_model"] == CLAUDE
    }
    assert tokens == {"input": 16.0, "output": 16.0, "cache_read": 3.0, "cache_write": 2.0}
    models = {"gen_ai_request_model": CLAUDE, "gen_ai_response_model": CLAUDE, **GENAI}
    assert total(scrape, "gen_ai_client_token_usage_sum", gen_ai_token_type="input", **models) == 21.0
    assert total(scrape, "gen_ai_client_token_usage_sum", gen_ai_token_type="output", **models) == 16.0
    assert total(scrape, "gen_ai_client_token_usage_count", gen_ai_token_type="output", **models) == 2.0
    assert total(scrape, "gen_ai_server_request_duration_seconds_count", error_type="", **models) == 2.0
    assert total(scrape, "gen_ai_server_time_to_first_token_seconds_count", **models) == 1.0
    assert total(scrape, "gen_ai_server_time_per_output_token_seconds_count", **models) == 1.0


def test_local_refusals_are_counted_but_not_timed_and_bedrock_errors_carry_their_name(metered):
    metered.post(URL, json={"model": CLAUDE, "messages": []}, headers=AUTH).close()  # 400 from the schema
    chat(metered, "@@fault ThrottlingException")
    scrape = samples(metered)
    durations = {
        dict(labels)["error_type"]: value
        for (name, labels), value in scrape.items()
        if name == "gen_ai_server_request_duration_seconds_count"
    }
    assert durations == {"ThrottlingException": 1.0}
    assert total(scrape, "bedrock_gateway_requests_total", status_code="400") == 1.0


def test_a_model_outside_the_catalogue_is_labelled_other(metered):
    metered.post(URL, json={"model": "acme.nothing-v9:0", "messages": [user("hi")]}, headers=AUTH).close()
    chat(metered, "hi")
    scrape = samples(metered)
    labels = {
        dict(key)["gen_ai_request_model"] for name, key in scrape if name == "bedrock_gateway_tokens_total"
    }
    assert labels == {CLAUDE}
    assert not any("acme" in str(key) for key in scrape)


def test_every_genai_instrument_names_the_convention_version_in_its_help(metered):
    text = metered.get("/metrics").get_data(as_text=True)
    helps = [line for line in text.splitlines() if line.startswith("# HELP gen_ai_")]
    assert len(helps) == 4
    assert all("OpenTelemetry GenAI semantic conventions v1.37.0" in line for line in helps)


def test_retries_are_counted_by_the_error_that_caused_them(make_app):
    client = make_app(metrics_enabled=True, bedrock_max_attempts=3).test_client()
    answer = chat(client, f"@@fault ThrottlingException times=2 id={uuid.uuid4().hex}\nhi")
    assert answer.status_code == 200
    scrape = samples(client)
    assert total(scrape, "bedrock_gateway_upstream_retries_total", error_type="ThrottlingException") == 2.0
    assert total(scrape, "bedrock_gateway_upstream_retries_total") == 2.0
