"""Every API request leaves one closed record of what it was and what Bedrock counted."""

from __future__ import annotations

import pytest

from app.exchange import Exchange, Usage
from tests.conftest import AUTH
from tests.http.helpers_chat import CLAUDE, URL


@pytest.fixture
def closed(make_app):
    """An app whose closed request records are collected in order."""
    records: list[Exchange] = []
    app = make_app()

    @app.before_request
    def collect() -> None:
        from app.exchange import current

        current().on_close(records.append)

    return app.test_client(), records


def _chat(text: str, **extra) -> dict:
    return {"model": CLAUDE, "messages": [{"role": "user", "content": text}], **extra}


def test_a_completion_records_its_operation_models_and_bedrock_usage(closed):
    client, records = closed
    prompt = "@@usage input=11 output=7 cache_read=3 cache_write=2\nhi"
    response = client.post(URL, json=_chat(prompt), headers=AUTH)
    response.close()
    assert response.status_code == 200
    [record] = records
    assert (record.operation, record.model, record.resolved_model) == ("chat", CLAUDE, CLAUDE)
    assert record.usage == Usage(input=11, output=7, cache_read=3, cache_write=2)
    assert (record.status, record.route, record.streamed, record.disconnected) == (
        200, "/v1/chat/completions", False, False,
    )  # fmt: skip
    assert record.attempts == 1 and record.upstream_request_id


def test_a_stream_records_usage_from_bedrocks_metadata_event_when_it_closes(closed):
    client, records = closed
    response = client.post(URL, json=_chat("@@usage input=5 output=9\nhi", stream=True), headers=AUTH)
    assert records == []  # nothing is reported before the stream has been read and closed
    body = response.get_data()
    response.close()
    assert body.endswith(b"data: [DONE]\n\n")
    [record] = records
    assert record.usage == Usage(input=5, output=9)
    assert record.streamed and record.first_byte_at is not None and not record.disconnected


def test_a_stream_the_client_abandons_is_marked_disconnected(closed):
    client, records = closed
    response = client.post(URL, json=_chat("@@words 50\n@@latency token=1", stream=True), headers=AUTH)
    next(response.response)
    response.close()
    [record] = records
    assert record.disconnected is True


def test_a_bedrock_error_records_the_bedrock_exception_name(closed):
    client, records = closed
    response = client.post(URL, json=_chat("@@fault ThrottlingException\nhi"), headers=AUTH)
    response.close()
    assert response.status_code == 429
    [record] = records
    assert (record.status, record.error_type) == (429, "ThrottlingException")


def test_a_refused_key_is_recorded_with_the_gateways_error_code(closed):
    client, records = closed
    response = client.post(URL, json=_chat("hi"), headers={"Authorization": "Bearer wrong"})
    response.close()
    [record] = records
    assert (record.status, record.error_type, record.usage) == (401, "invalid_api_key", None)


def test_embeddings_record_the_input_tokens_they_were_charged(closed):
    client, records = closed
    response = client.post(
        "/v1/embeddings", json={"model": "amazon.titan-embed-text-v2:0", "input": ["a b c"]}, headers=AUTH
    )
    response.close()
    [record] = records
    assert record.operation == "embeddings"
    assert record.usage is not None and record.usage.input == response.get_json()["usage"]["prompt_tokens"]


@pytest.mark.parametrize("stream", [False, True])
def test_n_choices_record_the_sum_of_their_calls_usage(closed, stream):
    client, records = closed
    body = _chat("@@usage input=5 output=9 cache_read=1 cache_write=2\nhi", n=3, stream=stream)
    response = client.post(URL, json=body, headers=AUTH)
    response.get_data()
    response.close()
    [record] = records
    assert record.usage == Usage(input=15, output=27, cache_read=3, cache_write=6)
