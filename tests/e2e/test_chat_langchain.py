"""LangChain's ChatOpenAI pointed at the gateway (gunicorn+gevent, emulator behind it)."""

from __future__ import annotations

import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage
from pydantic import BaseModel, Field

from tests.http.helpers_chat import CLAUDE

pytestmark = pytest.mark.e2e


class GetWeather(BaseModel):
    """Current weather in a city."""

    city: str = Field(description="The city")


class Person(BaseModel):
    """A person the answer is about."""

    name: str
    age: int


ASK_WEATHER = 'Weather in Paris?\n@@tool GetWeather {"city": "Paris"}'
ASK_PERSON = 'Who wrote the first program?\n@@tool Person {"name": "Ada", "age": 36}'


@pytest.fixture
def llm(make_llm):
    return make_llm()


def test_invoke_returns_an_ai_message_with_usage(llm):
    answer = llm.invoke([SystemMessage("Be brief."), HumanMessage("Hello there")])
    assert isinstance(answer, AIMessage)
    assert answer.content == "Echo: Hello there"
    assert answer.response_metadata["finish_reason"] == "stop"
    assert answer.response_metadata["model_name"] == CLAUDE
    usage = answer.usage_metadata
    assert (usage["input_tokens"], usage["output_tokens"], usage["total_tokens"]) == (4, 3, 7)


def test_stream_yields_the_reply_in_pieces(llm):
    pieces = [chunk.content for chunk in llm.stream("@@reply One two three four.")]
    assert "".join(pieces) == "One two three four."
    assert len([p for p in pieces if p]) == 4


def test_stream_with_usage_reports_token_counts(make_llm):
    total = None
    for chunk in make_llm(stream_usage=True).stream("Hello there"):
        total = chunk if total is None else total + chunk
    assert total.content == "Echo: Hello there"
    assert (total.usage_metadata["input_tokens"], total.usage_metadata["output_tokens"]) == (2, 3)


def test_bind_tools_parses_the_tool_call_into_args(llm):
    answer = llm.bind_tools([GetWeather]).invoke(ASK_WEATHER)
    (call,) = answer.tool_calls
    assert call == {"name": "GetWeather", "args": {"city": "Paris"}, "id": call["id"], "type": "tool_call"}
    assert call["id"]


def test_bind_tools_while_streaming_assembles_the_tool_call(llm):
    total = None
    for chunk in llm.bind_tools([GetWeather]).stream(ASK_WEATHER):
        total = chunk if total is None else total + chunk
    assert [(c["name"], c["args"]) for c in total.tool_calls] == [("GetWeather", {"city": "Paris"})]


def test_a_tool_result_goes_back_as_a_tool_message(llm):
    with_tools = llm.bind_tools([GetWeather])
    question = HumanMessage(ASK_WEATHER)
    asked = with_tools.invoke([question])
    call_id = asked.tool_calls[0]["id"]
    answer = with_tools.invoke([question, asked, ToolMessage("Sunny, 22 C", tool_call_id=call_id)])
    assert answer.content == f"Tool results: {call_id}=Sunny, 22 C"
    assert answer.tool_calls == []


@pytest.mark.parametrize(
    "method", [None, "json_schema", "function_calling"], ids=["default", "json_schema", "function_calling"]
)
def test_with_structured_output_returns_the_pydantic_object(llm, method):
    kwargs = {} if method is None else {"method": method}
    person = llm.with_structured_output(Person, **kwargs).invoke(ASK_PERSON)
    assert person == Person(name="Ada", age=36)


def test_with_structured_output_include_raw_keeps_the_message(llm):
    result = llm.with_structured_output(Person, include_raw=True).invoke(ASK_PERSON)
    assert (result["parsed"], result["parsing_error"]) == (Person(name="Ada", age=36), None)
    assert result["raw"].tool_calls == []
