"""The offline count of a Converse stream that ended before Bedrock's usage event."""

import json

from app.exchange import Usage
from app.tokens import count_tokens
from app.usage_estimate import estimate_converse_usage

REQUEST = {
    "system": [{"text": "Be brief."}],
    "messages": [
        {"role": "user", "content": [{"text": "Weather in Paris?"}, {"image": {"format": "png"}}]},
        {
            "role": "assistant",
            "content": [{"toolUse": {"toolUseId": "t1", "name": "w", "input": {"c": "Paris"}}}],
        },
        {"role": "user", "content": [{"toolResult": {"toolUseId": "t1", "content": [{"json": {"t": 21}}]}}]},
    ],
    "toolConfig": {"tools": [{"toolSpec": {"name": "w"}}]},
}


def test_the_prompt_and_the_streamed_deltas_are_counted_with_the_offline_tokenizer():
    deltas = [
        {"reasoningContent": {"text": "Sunny, "}},
        {"text": "It is "},
        {"text": "21 degrees."},
        {"toolUse": {"input": '{"c": '}},
    ]
    prompt = "\n".join(
        [
            "Be brief.",
            "Weather in Paris?",
            json.dumps({"c": "Paris"}),
            json.dumps({"t": 21}),
            json.dumps([{"toolSpec": {"name": "w"}}]),
        ]
    )
    assert estimate_converse_usage(REQUEST, deltas) == Usage(
        input=count_tokens(prompt), output=count_tokens('Sunny, It is 21 degrees.{"c": ')
    )


def test_nothing_streamed_yet_counts_the_prompt_only():
    assert estimate_converse_usage({"messages": [{"content": [{"text": "hello"}]}]}, []) == Usage(input=1)
