"""Bedrock fields a Chat Completions request reaches: metadata, the answering model, overflow.

Each test goes through real boto3 to the emulator; ``@@echo`` returns the Converse request
it received.
"""

from __future__ import annotations

import pytest

from tests.http.helpers_chat import CLAUDE, completion, converse_request, post_chat, stream_payloads, user


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
        response = post_chat(client, {"model": CLAUDE, "messages": [user("Hi\n@@context 1 form=input")]})
        assert (response.status_code, response.get_json()) == (
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
