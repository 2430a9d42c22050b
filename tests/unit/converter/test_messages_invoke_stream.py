"""Claude's InvokeModel chunks re-framed as Anthropic SSE frames."""

from __future__ import annotations

import orjson

from app.converter.messages_invoke_stream import invoke_stream_frames
from app.converter.messages_response import Usage

START = {
    "type": "message_start",
    "message": {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "model": "claude-sonnet-4-5-20250929",
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "usage": {"input_tokens": 12, "output_tokens": 1},
    },
}
DELTA = b'{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi"}}'
METRICS = {
    "inputTokenCount": 12,
    "outputTokenCount": 3,
    "cacheReadInputTokenCount": 40,
    "cacheWriteInputTokenCount": 0,
}


def chunks() -> list[bytes]:
    return [
        orjson.dumps(START),
        b'{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}',
        DELTA,
        b'{"type":"content_block_stop","index":0}',
        b'{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":3}}',
        orjson.dumps({"type": "message_stop", "amazon-bedrock-invocationMetrics": METRICS}),
    ]


def test_chunks_are_relayed_byte_for_byte_and_only_three_events_touched():
    usages: list[Usage] = []
    marks: list[int] = []
    frames = list(
        invoke_stream_frames(
            chunks(), "claude-sonnet-4-5", on_usage=usages.append, on_first_token=lambda: marks.append(1)
        )
    )
    start = {**START, "message": {**START["message"], "model": "claude-sonnet-4-5"}}
    assert frames == [
        b"event: message_start\ndata: " + orjson.dumps(start) + b"\n\n",
        b"event: content_block_start\ndata: " + chunks()[1] + b"\n\n",
        b"event: content_block_delta\ndata: " + DELTA + b"\n\n",
        b"event: content_block_stop\ndata: " + chunks()[3] + b"\n\n",
        b"event: message_delta\ndata: "
        + orjson.dumps(
            {
                "type": "message_delta",
                "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                "usage": {
                    "output_tokens": 3,
                    "input_tokens": 12,
                    "cache_read_input_tokens": 40,
                    "cache_creation_input_tokens": 0,
                },
            }
        )
        + b"\n\n",
        b'event: message_stop\ndata: {"type":"message_stop"}\n\n',
    ]
    assert usages == [Usage(input_tokens=12, output_tokens=3, cache_read_input_tokens=40)]
    assert marks == [1]


def test_a_stream_cut_before_message_stop_still_sends_the_held_delta():
    frames = list(invoke_stream_frames(chunks()[:5], "m"))
    assert frames[-1].startswith(b"event: message_delta\n")
