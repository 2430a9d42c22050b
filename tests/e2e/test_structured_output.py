"""Structured output through the OpenAI SDK's parse() and LangChain, without scripting the answer.

The emulator calls a forced tool as Bedrock does, so a plain prompt gets the minimal
instance of the schema; with thinking on the tool is only asked for, and a text answer
comes back as JSON content or as a refusal.
"""

from __future__ import annotations

import pytest
from pydantic import BaseModel

pytestmark = pytest.mark.e2e

SONNET = "anthropic.claude-3-5-sonnet-20240620-v1:0"
SONNET_37 = "us.anthropic.claude-3-7-sonnet-20250219-v1:0"
THINKING = {"model": SONNET_37, "reasoning_effort": "low", "max_completion_tokens": 4096}


class Person(BaseModel):
    """A person the answer is about."""

    name: str
    age: int


def ask(text: str) -> list[dict]:
    return [{"role": "user", "content": text}]


class TestOpenAIParse:
    def test_a_forced_structured_tool_is_parsed(self, openai_client):
        completion = openai_client.chat.completions.parse(
            model=SONNET, messages=ask("Who wrote the first program?"), response_format=Person
        )
        choice = completion.choices[0]
        assert (choice.message.parsed, choice.message.refusal, choice.finish_reason) == (
            Person(name="name", age=0),
            None,
            "stop",
        )

    def test_a_text_answer_while_thinking_is_a_refusal(self, openai_client):
        completion = openai_client.chat.completions.parse(
            messages=ask("Who wrote the first program?\n@@reply not json"), response_format=Person, **THINKING
        )
        choice = completion.choices[0]
        assert (choice.message.parsed, choice.message.refusal, choice.message.content) == (
            None,
            "not json",
            None,
        )
        assert (choice.finish_reason, choice.message.reasoning_content) == (
            "stop",
            "Thinking about: Who wrote the first program?",
        )

    def test_a_json_text_answer_while_thinking_is_parsed(self, openai_client):
        text = 'Who?\n@@reply ```json\n@@reply {"name": "Ada", "age": 36}\n@@reply ```'
        completion = openai_client.chat.completions.parse(
            messages=ask(text), response_format=Person, **THINKING
        )
        assert completion.choices[0].message.parsed == Person(name="Ada", age=36)

    def test_a_streamed_text_answer_while_thinking_is_a_refusal(self, openai_client):
        with openai_client.chat.completions.stream(
            messages=ask("Who?\n@@reply not json"), response_format=Person, **THINKING
        ) as stream:
            kinds = {event.type for event in stream}
            final = stream.get_final_completion()
        message = final.choices[0].message
        assert (message.parsed, message.refusal, "refusal.done" in kinds) == (None, "not json", True)

    def test_a_refusal_sent_back_continues_the_conversation(self, openai_client):
        first = openai_client.chat.completions.parse(
            messages=ask("Who?\n@@reply not json"), response_format=Person, **THINKING
        )
        history = [*ask("Who?"), first.choices[0].message.model_dump(exclude={"parsed"}, exclude_none=True)]
        second = openai_client.chat.completions.create(
            messages=[*history, *ask("@@echo")], model=SONNET, max_completion_tokens=4096
        )
        assert '"text": "not json"' in second.choices[0].message.content


class TestLangChain:
    def test_with_structured_output_returns_the_model(self, make_llm):
        llm = make_llm(model=SONNET)
        assert llm.with_structured_output(Person).invoke("Who wrote the first program?") == Person(
            name="name", age=0
        )

    def test_with_structured_output_as_a_function_call_returns_the_model(self, make_llm):
        structured = make_llm(model=SONNET).with_structured_output(Person, method="function_calling")
        assert structured.invoke("Who wrote the first program?") == Person(name="name", age=0)
