"""What OpenAI clients commonly send, translated by the gateway and sent to the strict emulator.

Each case either reaches Bedrock and is accepted, or is refused by the gateway with a
400 (InvalidRequestError) before any call: never a Bedrock ValidationException.
"""

import base64

import pytest

from app.catalogue import ModelInfo
from app.converse.controls import Deployment
from app.converter.chat_request import openai_to_converse
from app.errors import InvalidRequestError
from app.images import ImageLoader
from app.schemas.chat import ChatCompletionRequest
from tests.unit.converter.image_bytes import png

VISION = frozenset({"TEXT", "IMAGE"})
HAIKU = ModelInfo(
    id="anthropic.claude-3-haiku-20240307-v1:0",
    foundation_id="anthropic.claude-3-haiku-20240307-v1:0",
    input_modalities=VISION,
)
SONNET_37 = ModelInfo(
    id="us.anthropic.claude-3-7-sonnet-20250219-v1:0",
    foundation_id="anthropic.claude-3-7-sonnet-20250219-v1:0",
    input_modalities=VISION,
)
NOVA = ModelInfo(id="amazon.nova-pro-v1:0", foundation_id="amazon.nova-pro-v1:0", input_modalities=VISION)
LLAMA = ModelInfo(id="meta.llama3-8b-instruct-v1:0", foundation_id="meta.llama3-8b-instruct-v1:0")
JURASSIC = ModelInfo(id="ai21.j2-ultra-v1", foundation_id="ai21.j2-ultra-v1")
TOOL = {"type": "function", "function": {"name": "lookup", "parameters": {"type": "object"}}}
SONNET_45 = ModelInfo(
    id="us.anthropic.claude-sonnet-4-5-20250929-v1:0",
    foundation_id="anthropic.claude-sonnet-4-5-20250929-v1:0",
    input_modalities=VISION,
)
OPUS_46 = ModelInfo(id="us.anthropic.claude-opus-4-6-v1", foundation_id="anthropic.claude-opus-4-6-v1")
NOVA_2 = ModelInfo(id="amazon.nova-2-lite-v1:0", foundation_id="amazon.nova-2-lite-v1:0")
GPT_OSS = ModelInfo(id="openai.gpt-oss-120b-1:0", foundation_id="openai.gpt-oss-120b-1:0")
PDF = "data:application/pdf;base64," + base64.b64encode(b"%PDF-1.4 report").decode()
STRICT_SCHEMA = {
    "type": "object",
    "properties": {"answer": {"type": "string"}},
    "required": ["answer"],
    "additionalProperties": False,
}
STRICT_FORMAT = {"type": "json_schema", "json_schema": {"name": "a", "schema": STRICT_SCHEMA, "strict": True}}
CACHED = {"type": "ephemeral", "ttl": "1h"}


def pdf(name: str = "report.pdf") -> dict:
    return {"type": "file", "file": {"file_data": PDF, "filename": name}}


def marked(text: str) -> dict:
    return {"type": "text", "text": text, "cache_control": CACHED}


def cached_tool(name: str) -> dict:
    return {"type": "function", "function": {"name": name}, "cache_control": CACHED}


def call(call_id: str, arguments: str = '{"q": "x"}') -> dict:
    return {"id": call_id, "type": "function", "function": {"name": "lookup", "arguments": arguments}}


def tool_round(call_id: str, arguments: str = '{"q": "x"}') -> list[dict]:
    return [
        {"role": "assistant", "content": None, "tool_calls": [call(call_id, arguments)]},
        {"role": "tool", "tool_call_id": call_id, "content": "found"},
    ]


def image_part(raw: bytes) -> dict:
    url = "data:image/png;base64," + base64.b64encode(raw).decode()
    return {"type": "image_url", "image_url": {"url": url}}


def images(count: int, raw: bytes = png(10, 10)) -> dict:
    return {"role": "user", "content": [{"type": "text", "text": "look"}, *[image_part(raw)] * count]}


Q = {"role": "user", "content": "question"}
OK = {"role": "assistant", "content": "ok"}

ACCEPTED = {
    "anthropic tool id": (HAIKU, {"messages": [Q, *tool_round("toolu_01A09q90qw90lq9")], "tools": [TOOL]}),
    "tool id with pipes and dots": (HAIKU, {"messages": [Q, *tool_round("fc|abc.1:2")], "tools": [TOOL]}),
    "tool id over 64 characters": (HAIKU, {"messages": [Q, *tool_round("c" * 100)], "tools": [TOOL]}),
    "empty tool id": (HAIKU, {"messages": [Q, *tool_round("")], "tools": [TOOL]}),
    "empty tool arguments": (HAIKU, {"messages": [Q, *tool_round("call_1", "")], "tools": [TOOL]}),
    "call_0 in every turn": (
        HAIKU,
        {"messages": [Q, *tool_round("call_0"), Q, *tool_round("call_0")], "tools": [TOOL]},
    ),
    "history trimmed to a tool result": (
        HAIKU,
        {"messages": [Q, {"role": "tool", "tool_call_id": "gone", "content": "x"}, Q], "tools": [TOOL]},
    ),
    "interrupted tool call": (HAIKU, {"messages": [Q, *tool_round("call_1")[:1], Q], "tools": [TOOL]}),
    "tool history without tools": (HAIKU, {"messages": [Q, *tool_round("call_1"), Q]}),
    "newline stop on claude": (HAIKU, {"messages": [Q], "stop": ["\n", "END"]}),
    "only whitespace stops on claude": (HAIKU, {"messages": [Q], "stop": ["\n\n"]}),
    "newline stop on llama": (LLAMA, {"messages": [Q], "stop": "\n"}),
    "prefill ending in a space": (HAIKU, {"messages": [Q, {"role": "assistant", "content": "Answer: "}]}),
    "prefill while reasoning": (
        SONNET_37,
        {"messages": [Q, {"role": "assistant", "content": "{"}], "reasoning_effort": "low"},
    ),
    "assistant opens the conversation": (HAIKU, {"messages": [{"role": "assistant", "content": "Hi!"}, Q]}),
    "blank turns": (
        HAIKU,
        {"messages": [{"role": "user", "content": " "}, Q, {"role": "assistant", "content": ""}, Q]},
    ),
    "system prompt on a model without one": (
        JURASSIC,
        {"messages": [{"role": "system", "content": "Be brief."}, Q]},
    ),
    "nova top_k": (NOVA, {"messages": [Q], "top_k": 20}),
    "twenty images": (HAIKU, {"messages": [images(20)]}),
    "twenty-five images on nova": (NOVA, {"messages": [images(25)]}),
    "structured output with a dotted name": (
        HAIKU,
        {
            "messages": [Q],
            "response_format": {"type": "json_schema", "json_schema": {"name": "my.answer", "schema": {}}},
        },
    ),
    "json object on claude": (HAIKU, {"messages": [Q], "response_format": {"type": "json_object"}}),
    "native structured output": (SONNET_45, {"messages": [Q], "response_format": STRICT_FORMAT}),
    "strict tool": (
        SONNET_45,
        {"messages": [Q], "tools": [{**TOOL, "function": {**TOOL["function"], "strict": True}}]},
    ),
    "pdf document": (HAIKU, {"messages": [{"role": "user", "content": [pdf("Q3 report, final!.pdf")]}]}),
    "two documents of one name": (SONNET_45, {"messages": [{"role": "user", "content": [pdf(), pdf()]}]}),
    "metadata and user": (HAIKU, {"messages": [Q], "metadata": {"a": "b", "bad": "é"}, "user": "u@x.com"}),
    "guardrail": (
        HAIKU,
        {"messages": [Q], "guardrailConfig": {"guardrailIdentifier": "gr1", "guardrailVersion": "1"}},
    ),
    "flex tier on nova": (NOVA, {"messages": [Q], "service_tier": "flex"}),
    "default tier on claude": (HAIKU, {"messages": [Q], "service_tier": "default"}),
    "latency optimized on nova pro": (NOVA, {"messages": [Q], "performanceConfig": {"latency": "optimized"}}),
    "adaptive effort": (OPUS_46, {"messages": [Q], "reasoning_effort": "xhigh", "temperature": 0.2}),
    "nova 2 high effort": (NOVA_2, {"messages": [Q], "reasoning_effort": "high", "max_tokens": 100}),
    "gpt-oss effort": (GPT_OSS, {"messages": [Q], "reasoning_effort": "minimal"}),
    "six cache markers with ttl": (
        SONNET_45,
        {
            "messages": [
                {"role": "system", "content": [marked("be brief")]},
                {"role": "user", "content": [marked("one"), marked("two"), marked("three")]},
            ],
            "tools": [cached_tool("a"), cached_tool("b")],
        },
    ),
    "cache markers on a model without caching": (
        HAIKU,
        {"messages": [{"role": "user", "content": [marked("hi")]}]},
    ),
    "cache ttl on a model without ttl": (
        SONNET_37,
        {"messages": [{"role": "user", "content": [marked("hi")]}]},
    ),
}
REFUSED = {
    "pdf on llama": (LLAMA, {"messages": [{"role": "user", "content": [pdf()]}]}),
    "six documents": (SONNET_45, {"messages": [{"role": "user", "content": [pdf()] * 6}]}),
    "flex tier on claude": (HAIKU, {"messages": [Q], "service_tier": "flex"}),
    "latency optimized on claude 3 haiku": (
        HAIKU,
        {"messages": [Q], "performanceConfig": {"latency": "optimized"}},
    ),
    "guardrail without a version": (
        HAIKU,
        {"messages": [Q], "guardrailConfig": {"guardrailIdentifier": "gr1"}},
    ),
    "twenty-one images": (HAIKU, {"messages": [images(12), OK, images(9)]}),
    "image wider than 8000 px": (HAIKU, {"messages": [images(1, png(8001, 10))]}),
    "tool name over 64 characters": (
        HAIKU,
        {"messages": [Q], "tools": [{"type": "function", "function": {"name": "t" * 65}}]},
    ),
    "tool name with a dot": (
        HAIKU,
        {"messages": [Q], "tools": [{"type": "function", "function": {"name": "mcp.search"}}]},
    ),
}


def translate(model: ModelInfo, body: dict, settings) -> dict:
    loaded = ChatCompletionRequest().load({"model": model.id, **body})
    return openai_to_converse(loaded, model, ImageLoader(settings), deployment=Deployment()).kwargs


@pytest.mark.parametrize(("model", "body"), list(ACCEPTED.values()), ids=list(ACCEPTED))
def test_translated_request_is_accepted_by_strict_bedrock(raw_runtime, settings, model, body):
    response = raw_runtime.converse(**translate(model, body, settings))
    assert response["stopReason"] in ("end_turn", "tool_use")


@pytest.mark.parametrize(("model", "body"), list(REFUSED.values()), ids=list(REFUSED))
def test_request_bedrock_would_refuse_is_a_gateway_400(settings, model, body):
    with pytest.raises(InvalidRequestError):
        translate(model, body, settings)
