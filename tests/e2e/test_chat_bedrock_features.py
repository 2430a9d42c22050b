"""Bedrock features through real clients and gunicorn: native structured output, documents,
json_object always parsing, and the model that answered."""

from __future__ import annotations

import base64

import pytest

from tests.e2e.test_structured_output import Person, ask
from tests.http.helpers_chat import CLAUDE

pytestmark = pytest.mark.e2e

SONNET_45 = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
PDF = b"%PDF-1.4 quarterly report"


class TestNativeStructuredOutput:
    def test_parse_gets_the_schema_enforced_by_bedrock(self, openai_client, bedrock_emulator):
        completion = openai_client.chat.completions.parse(
            model=SONNET_45, messages=ask("Who wrote the first program?"), response_format=Person
        )
        sent = bedrock_emulator.requests()[0]["body"]
        assert (completion.choices[0].message.parsed, completion.choices[0].finish_reason) == (
            Person(name="name", age=0),
            "stop",
        )
        assert ("toolConfig" in sent, sent["outputConfig"]["textFormat"]["type"]) == (False, "json_schema")

    def test_a_streamed_parse_gets_the_json_as_content(self, openai_client):
        with openai_client.chat.completions.stream(
            model=SONNET_45, messages=ask("Who?"), response_format=Person
        ) as stream:
            final = stream.get_final_completion()
        assert (final.choices[0].message.parsed, final.model) == (Person(name="name", age=0), SONNET_45)


class TestDocuments:
    def test_a_pdf_file_part_reaches_bedrock_as_a_document(self, openai_client):
        data = "data:application/pdf;base64," + base64.b64encode(PDF).decode()
        completion = openai_client.chat.completions.create(
            model=CLAUDE,
            messages=[
                {
                    "role": "user",
                    "content": [
                        {"type": "text", "text": "Summarise this"},
                        {"type": "file", "file": {"file_data": data, "filename": "Q3 report.pdf"}},
                    ],
                }
            ],
        )
        assert completion.choices[0].message.content == (
            f"Echo: Summarise this [documents: Q3 report (pdf, {len(PDF)} bytes)]"
        )


class TestJsonObject:
    def test_langchain_json_mode_gets_the_forced_tools_object(self, make_llm):
        schema = {"title": "Answer", "type": "object", "properties": {"name": {"type": "string"}}}
        structured = make_llm(model=CLAUDE).with_structured_output(schema, method="json_mode")
        assert structured.invoke('Who?\n@@tool json_answer {"name": "Ada"}') == {"name": "Ada"}

    def test_the_sdk_gets_json_content_and_the_answering_model(self, openai_client):
        completion = openai_client.chat.completions.create(
            model="gpt-4o", messages=ask("Who?"), response_format={"type": "json_object"}
        )
        assert (completion.choices[0].message.content, completion.model) == ("{}", CLAUDE)


class TestChoices:
    def test_three_choices(self, openai_client):
        completion = openai_client.chat.completions.create(model=CLAUDE, messages=ask("Hi"), n=3)
        assert [(c.index, c.message.content) for c in completion.choices] == [
            (0, "Echo: Hi"),
            (1, "Echo: Hi"),
            (2, "Echo: Hi"),
        ]

    def test_three_streamed_choices_accumulate_by_index(self, openai_client):
        with openai_client.chat.completions.stream(model=CLAUDE, messages=ask("Hi there"), n=3) as stream:
            final = stream.get_final_completion()
        assert [(c.index, c.message.content, c.finish_reason) for c in final.choices] == [
            (0, "Echo: Hi there", "stop"),
            (1, "Echo: Hi there", "stop"),
            (2, "Echo: Hi there", "stop"),
        ]
