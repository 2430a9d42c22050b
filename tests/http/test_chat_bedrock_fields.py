"""Bedrock fields a Chat Completions request reaches: metadata, the answering model, overflow.

Each test goes through real boto3 to the emulator; ``@@echo`` returns the Converse request
it received.
"""

from __future__ import annotations

import pytest

from tests.conftest import error_body
from tests.http.helpers_chat import (
    CLAUDE,
    completion,
    converse_request,
    open_streams_after,
    post_chat,
    stream_payloads,
    user,
)


class TestRequestMetadata:
    def test_metadata_and_user_become_request_metadata(self, client):
        sent = converse_request(
            client,
            messages=[user("Hi\n@@echo")],
            metadata={"team": "search", "bad": 'no"quotes"'},
            user="alice@example.com",
        )
        assert sent["requestMetadata"] == {"user": "alice@example.com", "team": "search"}

    def test_without_metadata_none_is_sent(self, client):
        assert "requestMetadata" not in converse_request(client, messages=[user("Hi\n@@echo")])


class TestAnsweringModel:
    @pytest.mark.parametrize("stream", [False, True])
    def test_an_alias_is_answered_by_the_bedrock_model_behind_it(self, client, stream):
        body = {"model": "gpt-3.5-turbo", "messages": [user("Hi")]}
        if stream:
            chunks = [p for p in stream_payloads(client, **body) if p != "[DONE]"]
            assert {chunk["model"] for chunk in chunks} == {CLAUDE}
        else:
            assert completion(client, **body)["model"] == CLAUDE

    def test_an_alias_from_model_aliases_names_its_target(self, make_app):
        app = make_app(model_aliases={"fast": "amazon.nova-micro-v1:0"})
        answer = completion(app.test_client(), model="fast", messages=[user("Hi")])
        assert answer["model"] == "amazon.nova-micro-v1:0"

    @pytest.mark.parametrize(
        "model",
        [
            CLAUDE,
            "us.anthropic.claude-3-7-sonnet-20250219-v1:0",
            "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-5-sonnet-20240620-v1:0",
        ],
    )
    def test_an_id_sent_as_is_comes_back_as_is(self, client, model):
        assert completion(client, model=model, messages=[user("Hi")])["model"] == model


class TestContextOverflow:
    def test_input_too_long_is_context_length_exceeded(self, client):
        response = post_chat(
            client,
            {"model": CLAUDE, "messages": [user("A longer question than one token\n@@context 1 form=input")]},
        )
        assert (response.status_code, error_body(response)) == (
            400,
            {
                "error": {
                    "message": "Input is too long for requested model.",
                    "type": "invalid_request_error",
                    "param": None,
                    "code": "context_length_exceeded",
                }
            },
        )

    def test_a_full_context_window_finishes_with_length(self, client):
        answer = completion(client, messages=[user("Hi\n@@stop model_context_window_exceeded")])
        assert answer["choices"][0]["finish_reason"] == "length"


SONNET_45 = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
NOVA_PRO = "amazon.nova-pro-v1:0"
GUARDRAIL = {"guardrailIdentifier": "gr1", "guardrailVersion": "1", "trace": "enabled"}
STRICT_SCHEMA = {
    "type": "object",
    "properties": {"answer": {"type": "string"}},
    "required": ["answer"],
    "additionalProperties": False,
}
TRACE = {
    "inputAssessment": {
        "gr1": {
            "contentPolicy": {
                "filters": [
                    {
                        "type": "VIOLENCE",
                        "confidence": "HIGH",
                        "filterStrength": "HIGH",
                        "action": "BLOCKED",
                        "detected": True,
                    }
                ]
            }
        }
    },
    "actionReason": "Guardrail blocked.",
}


def chunks_of(client, **body) -> list[dict]:
    return [payload for payload in stream_payloads(client, **body) if payload != "[DONE]"]


class TestGuardrails:
    def test_a_request_guardrail_reaches_converse(self, client):
        sent = converse_request(client, messages=[user("Hi\n@@echo")], guardrailConfig=GUARDRAIL)
        assert sent["guardrailConfig"] == GUARDRAIL

    def test_a_literal_extra_body_guardrail_reaches_converse_stream_with_its_mode(
        self, client, bedrock_emulator
    ):
        guardrail = {**GUARDRAIL, "streamProcessingMode": "async"}
        chunks_of(client, messages=[user("Hi")], extra_body={"guardrailConfig": guardrail})
        assert bedrock_emulator.requests()[0]["body"]["guardrailConfig"] == guardrail

    def test_an_intervention_is_content_filter_with_the_trace(self, client):
        answer = completion(client, messages=[user("Hi\n@@guardrail")], guardrailConfig=GUARDRAIL)
        assert (answer["choices"][0], answer["guardrail_trace"]) == (
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": "Sorry, the model cannot answer this question.",
                    "refusal": None,
                },
                "logprobs": None,
                "finish_reason": "content_filter",
            },
            TRACE,
        )

    def test_a_streamed_intervention_carries_the_trace_in_the_last_chunk(self, client):
        chunks = chunks_of(client, messages=[user("Hi\n@@guardrail")], guardrailConfig=GUARDRAIL)
        assert chunks[-1]["choices"][0]["finish_reason"] == "content_filter"
        assert chunks[-1]["guardrail_trace"] == TRACE
        assert all("guardrail_trace" not in chunk for chunk in chunks[:-1])

    def test_the_deployment_guardrail_applies_and_cannot_be_swapped(self, make_app):
        client = make_app(guardrail_id="deploy1", guardrail_version="DRAFT").test_client()
        sent = converse_request(client, messages=[user("Hi\n@@echo")])
        assert sent["guardrailConfig"] == {
            "guardrailIdentifier": "deploy1",
            "guardrailVersion": "DRAFT",
            "trace": "disabled",
        }
        response = post_chat(
            client, {"model": CLAUDE, "messages": [user("Hi")], "guardrailConfig": GUARDRAIL}
        )
        assert (response.status_code, response.get_json()["error"]["param"]) == (400, "guardrailConfig")


class TestServiceTiers:
    @pytest.mark.parametrize("stream", [False, True])
    def test_the_tier_served_is_reported(self, client, stream):
        body = {"model": NOVA_PRO, "messages": [user("Hi")], "service_tier": "flex"}
        if stream:
            chunks = chunks_of(client, **body, stream_options={"include_usage": True})
            assert [chunk.get("service_tier") for chunk in chunks[-2:]] == ["flex", "flex"]
        else:
            assert completion(client, **body)["service_tier"] == "flex"

    def test_auto_sends_no_tier(self, client):
        assert "serviceTier" not in converse_request(
            client, messages=[user("Hi\n@@echo")], service_tier="auto"
        )

    def test_a_tier_the_model_lacks_is_a_400_naming_it(self, client):
        response = post_chat(client, {"model": CLAUDE, "messages": [user("Hi")], "service_tier": "priority"})
        assert response.status_code == 400
        assert error_body(response)["error"] == {
            "message": f"The model `{CLAUDE}` does not offer the priority service tier.",
            "type": "invalid_request_error",
            "param": "service_tier",
            "code": None,
        }

    @pytest.mark.parametrize("tier", [{}, ["flex"], 3])
    def test_a_tier_that_is_not_a_string_is_a_400(self, client, tier):
        response = post_chat(client, {"model": NOVA_PRO, "messages": [user("Hi")], "service_tier": tier})
        assert (response.status_code, error_body(response)["error"]["param"]) == (400, "service_tier")

    def test_bedrock_latency_optimized_applies_where_the_model_has_it(self, make_app):
        client = make_app(bedrock_latency="optimized").test_client()
        nova = converse_request(client, model=NOVA_PRO, messages=[user("Hi\n@@echo")])
        claude = converse_request(client, model=CLAUDE, messages=[user("Hi\n@@echo")])
        assert (nova["performanceConfig"], "performanceConfig" in claude) == ({"latency": "optimized"}, False)


class TestNativeStructuredOutput:
    FORMAT = {"type": "json_schema", "json_schema": {"name": "a", "schema": STRICT_SCHEMA, "strict": True}}

    def test_a_strict_schema_is_answered_as_json_text(self, client):
        answer = completion(client, model=SONNET_45, messages=[user("Hi")], response_format=self.FORMAT)
        assert (answer["choices"][0]["message"]["content"], answer["choices"][0]["finish_reason"]) == (
            '{"answer": "answer"}',
            "stop",
        )

    def test_streamed_json_arrives_as_content_deltas_and_ends_with_stop(self, client):
        chunks = chunks_of(client, model=SONNET_45, messages=[user("Hi")], response_format=self.FORMAT)
        content = "".join(chunk["choices"][0]["delta"].get("content") or "" for chunk in chunks)
        assert (content, chunks[-1]["choices"][0]["finish_reason"]) == ('{"answer": "answer"}', "stop")

    def test_json_object_always_parses(self, client):
        answer = completion(client, messages=[user("Hi")], response_format={"type": "json_object"})
        assert answer["choices"][0]["message"]["content"] == "{}"


class TestDocuments:
    PDF = "data:application/pdf;base64,JVBERi0xLjQgcmVwb3J0"  # "%PDF-1.4 report"

    def part(self, **file) -> dict:
        return {"type": "file", "file": {"file_data": self.PDF, **file}}

    def test_a_pdf_file_part_becomes_a_document_block(self, client):
        content = [{"type": "text", "text": "Summarise"}, self.part(filename="q3.pdf")]
        answer = completion(client, messages=[{"role": "user", "content": content}])
        assert answer["choices"][0]["message"]["content"] == "Echo: Summarise [documents: q3 (pdf, 15 bytes)]"

    def test_a_model_without_documents_is_a_400_naming_it(self, client):
        llama = "meta.llama3-8b-instruct-v1:0"
        response = post_chat(
            client, {"model": llama, "messages": [{"role": "user", "content": [self.part()]}]}
        )
        assert (response.status_code, error_body(response)["error"]["message"]) == (
            400,
            f"The model `{llama}` does not accept documents.",
        )


class TestChoices:
    def test_n_choices_are_indexed_with_usage_summed(self, client, bedrock_emulator):
        answer = completion(client, messages=[user("Hi")], n=3)
        one = completion(client, messages=[user("Hi")])
        assert [(c["index"], c["message"]["content"]) for c in answer["choices"]] == [
            (0, "Echo: Hi"),
            (1, "Echo: Hi"),
            (2, "Echo: Hi"),
        ]
        assert answer["usage"]["total_tokens"] == 3 * one["usage"]["total_tokens"]
        assert bedrock_emulator.calls()["Converse"] == 4

    def test_streamed_choices_arrive_by_index_with_one_usage_chunk(self, client):
        chunks = chunks_of(client, messages=[user("Hi there")], n=3, stream_options={"include_usage": True})
        texts: dict[int, str] = {}
        for chunk in chunks:
            for choice in chunk["choices"]:
                texts[choice["index"]] = texts.get(choice["index"], "") + (
                    choice["delta"].get("content") or ""
                )
        usage_chunks = [chunk for chunk in chunks if not chunk["choices"]]
        single = chunks_of(client, messages=[user("Hi there")], stream_options={"include_usage": True})
        assert texts == {0: "Echo: Hi there", 1: "Echo: Hi there", 2: "Echo: Hi there"}
        assert usage_chunks == [chunks[-1]]
        assert chunks[-1]["usage"]["total_tokens"] == 3 * single[-1]["usage"]["total_tokens"]

    def test_a_client_that_goes_away_releases_every_choices_stream(self, client, bedrock_emulator):
        body = {
            "model": CLAUDE,
            "messages": [user("@@words 200\n@@latency token=20")],
            "stream": True,
            "n": 3,
        }
        response = post_chat(client, body)
        pieces = iter(response.response)
        next(pieces)
        next(pieces)
        assert bedrock_emulator.open_streams() == 3
        response.close()
        assert open_streams_after(bedrock_emulator) == 0

    def test_more_choices_than_max_choices_is_a_400(self, make_app):
        client = make_app(max_choices=2).test_client()
        response = post_chat(client, {"model": CLAUDE, "messages": [user("Hi")], "n": 3})
        assert (response.status_code, error_body(response)["error"]) == (
            400,
            {
                "message": "n is 3; this gateway answers at most 2 choices a request.",
                "type": "invalid_request_error",
                "param": "n",
                "code": None,
            },
        )


def test_a_deployment_guardrail_reaches_a_model_without_streaming_without_a_stream_mode(
    make_app, bedrock_emulator
):
    client = make_app(guardrail_id="deploy1", guardrail_version="1").test_client()
    chunks = chunks_of(client, model="ai21.j2-ultra-v1", messages=[user("Hi")])
    sent = bedrock_emulator.requests()[0]
    assert (sent["operation"], sent["body"]["guardrailConfig"]) == (
        "Converse",
        {"guardrailIdentifier": "deploy1", "guardrailVersion": "1", "trace": "disabled"},
    )
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"
