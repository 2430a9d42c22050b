"""The Responses API with real clients: openai-python, the OpenAI Agents SDK and LangChain.

The gateway runs under gunicorn+gevent against the emulator, whose ``@@`` directives
script the model: a function tool's output can script the model's next answer too.
"""

from __future__ import annotations

import asyncio
import json

import pytest
from pydantic import BaseModel

from app.local import free_port
from tests.conftest import API_KEY
from tests.e2e.conftest import open_stream, start_gunicorn, stop
from tests.http.helpers_chat import CLAUDE, CLAUDE_37, open_streams_after

pytestmark = pytest.mark.e2e

WEATHER = {
    "type": "function",
    "name": "get_weather",
    "description": "Weather for a city",
    "parameters": {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
        "additionalProperties": False,
    },
    "strict": True,
}


class Forecast(BaseModel):
    city: str
    forecast: str


class TestOpenAISDK:
    def test_create_returns_a_parsed_response(self, openai_client):
        response = openai_client.responses.create(model=CLAUDE, input="Hello there", instructions="Be brief.")
        assert response.status == "completed"
        assert response.output_text == "Echo: Hello there"
        assert response.usage.input_tokens_details.cached_tokens == 0
        assert response.usage.output_tokens_details.reasoning_tokens == 0

    def test_stream_and_get_final_response(self, openai_client):
        with openai_client.responses.stream(model=CLAUDE, input="@@reply Streaming works.") as stream:
            deltas = [event.delta for event in stream if event.type == "response.output_text.delta"]
            final = stream.get_final_response()
        assert "".join(deltas) == "Streaming works."
        assert final.output_text == "Streaming works."

    def test_stream_with_reasoning_and_a_tool_call(self, openai_client):
        with openai_client.responses.stream(
            model=CLAUDE_37,
            input='@@reasoning Need the weather.\n@@tool get_weather {"city": "Oslo"}',
            tools=[WEATHER],
            reasoning={"effort": "low"},
        ) as stream:
            final = stream.get_final_response()
        kinds = [item.type for item in final.output]
        assert kinds == ["reasoning", "function_call"]
        assert final.output[0].summary[0].text == "Need the weather."
        assert json.loads(final.output[1].arguments) == {"city": "Oslo"}

    def test_parse_gives_output_parsed(self, openai_client):
        response = openai_client.responses.parse(model=CLAUDE, input="Forecast?", text_format=Forecast)
        assert response.output_parsed == Forecast(city="city", forecast="forecast")

    def test_a_function_tool_loop(self, openai_client):
        history: list = [{"role": "user", "content": 'Weather?\n@@tool get_weather {"city": "Paris"}'}]
        first = openai_client.responses.create(model=CLAUDE, input=history, tools=[WEATHER])
        call = first.output[0]
        assert (call.type, call.name, json.loads(call.arguments)) == (
            "function_call",
            "get_weather",
            {"city": "Paris"},
        )
        history += [call, {"type": "function_call_output", "call_id": call.call_id, "output": "sunny"}]
        second = openai_client.responses.create(model=CLAUDE, input=history, tools=[WEATHER])
        assert second.output_text == f"Tool results: {call.call_id}=sunny"

    def test_async_stream_ends_with_the_completed_event(self, gateway_url):
        import openai

        async def run() -> list[str]:
            async with openai.AsyncOpenAI(base_url=gateway_url, api_key=API_KEY, max_retries=0) as client:
                stream = await client.responses.create(model=CLAUDE, input="@@words 3", stream=True)
                return [event.type async for event in stream]

        types = asyncio.run(run())
        assert (types[0], types[-1]) == ("response.created", "response.completed")


@pytest.fixture(scope="module")
def two_workers(gateway_env, tmp_path_factory):
    """A gateway of two gevent workers sharing one SQLite store."""
    port = free_port()
    data = tmp_path_factory.mktemp("responses-data")
    process = start_gunicorn({**gateway_env, "WEB_CONCURRENCY": "2", "DATA_DIR": str(data)}, port)
    yield f"http://127.0.0.1:{port}/v1"
    stop(process)


def test_previous_response_id_chain_across_two_workers(two_workers):
    import openai

    previous = None
    for turn in range(6):
        # A client per turn: a new connection, which either worker may accept.
        with openai.OpenAI(base_url=two_workers, api_key=API_KEY, max_retries=0) as client:
            response = client.responses.create(
                model=CLAUDE, input=f"Turn {turn}", previous_response_id=previous
            )
        assert response.output_text == f"Echo: Turn {turn}"
        previous = response.id
    with openai.OpenAI(base_url=two_workers, api_key=API_KEY, max_retries=0) as client:
        items = client.responses.input_items.list(previous, order="asc", limit=100)
        assert [item.content[0].text for item in items.data if item.type == "message"][:3] == [
            "Turn 0",
            "Echo: Turn 0",
            "Turn 1",
        ]
        assert client.responses.retrieve(previous).output_text == "Echo: Turn 5"
        client.responses.delete(previous)


def _weather_agent(client):
    from agents import Agent, OpenAIResponsesModel, function_tool, set_tracing_disabled

    set_tracing_disabled(True)

    @function_tool
    def get_weather(city: str) -> str:
        """Weather for a city."""
        # The emulator reads directives in tool results: this scripts the model's final answer.
        return "@@reply " + json.dumps({"city": city, "forecast": "sunny"})

    model = OpenAIResponsesModel(model=CLAUDE, openai_client=client)
    return Agent(
        name="forecaster",
        instructions="Use the tool.",
        tools=[get_weather],
        output_type=Forecast,
        model=model,
    )


class TestAgentsSDK:
    def test_runner_run_calls_the_tool_and_parses_the_output_type(self, gateway_url):
        import openai
        from agents import Runner

        async def run():
            async with openai.AsyncOpenAI(base_url=gateway_url, api_key=API_KEY, max_retries=0) as client:
                return await Runner.run(_weather_agent(client), '@@tool get_weather {"city": "Paris"}')

        assert asyncio.run(run()).final_output == Forecast(city="Paris", forecast="sunny")

    def test_run_streamed_calls_the_tool_and_parses_the_output_type(self, gateway_url):
        import openai
        from agents import Runner

        async def run():
            async with openai.AsyncOpenAI(base_url=gateway_url, api_key=API_KEY, max_retries=0) as client:
                result = Runner.run_streamed(_weather_agent(client), '@@tool get_weather {"city": "Rome"}')
                kinds = [event.type async for event in result.stream_events()]
                return result, kinds

        result, kinds = asyncio.run(run())
        assert result.final_output == Forecast(city="Rome", forecast="sunny")
        assert "raw_response_event" in kinds


class TestLangChain:
    def test_invoke(self, make_llm):
        message = make_llm(use_responses_api=True).invoke("Hello there")
        assert message.text == "Echo: Hello there"
        assert message.usage_metadata["total_tokens"] > 0

    def test_stream(self, make_llm):
        chunks = list(make_llm(use_responses_api=True).stream("@@reply Streamed through LangChain."))
        assert "".join(chunk.text for chunk in chunks) == "Streamed through LangChain."

    def test_bind_tools(self, make_llm):
        llm = make_llm(use_responses_api=True).bind_tools([WEATHER])
        message = llm.invoke('Weather?\n@@tool get_weather {"city": "Lima"}')
        assert [(call["name"], call["args"]) for call in message.tool_calls] == [
            ("get_weather", {"city": "Lima"})
        ]

    def test_with_structured_output(self, make_llm):
        llm = make_llm(use_responses_api=True).with_structured_output(Forecast, method="json_schema")
        assert llm.invoke("Forecast?") == Forecast(city="city", forecast="forecast")


def test_a_client_disconnect_releases_the_bedrock_stream(gateway_url, bedrock_emulator):
    body = {"model": CLAUDE, "input": "@@words 500\n@@latency token=20", "stream": True}
    with open_stream(gateway_url, "/responses", body, b"event: response.output_text.delta"):
        assert bedrock_emulator.open_streams() == 1
    assert open_streams_after(bedrock_emulator) == 0
