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
            [[chunk] for chunk in chunks()],
            "claude-sonnet-4-5",
            on_usage=usages.append,
            on_first_token=lambda: marks.append(1),
        )
    )
    start = {**START, "message": {**START["message"], "model": "claude-sonnet-4-5"}}
    assert frames == [
        b"event: message_start\ndata: " + orjson.dumps(start) + b"\n\n",
        b"event: content_block_start\ndata: " + chunks()[1] + b"\n\n",
        b"event: content_block_delta\ndata: " + DELTA + b"\n\n",
        b"event: content_block_stop\ndata: " + chunks()[3] + b"\n\n",
        b"",  # message_delta is held back for message_stop's metrics
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
        + b"\n\n"
        + b'event: message_stop\ndata: {"type":"message_stop"}\n\n',
    ]
    assert usages == [Usage(input_tokens=12, output_tokens=3, cache_read_input_tokens=40)]
    assert marks == [1]


def test_a_stream_cut_before_message_stop_still_sends_the_held_delta():
    frames = list(invoke_stream_frames([chunks()[:5]], "m"))
    assert frames[-1].startswith(b"event: message_delta\n")
    assert frames[0].startswith(b"event: message_start\n")
    assert frames[0].endswith(b"event: content_block_stop\ndata: " + chunks()[3] + b"\n\n")


def test_chunks_read_together_go_out_as_one_write_and_a_tick_as_nothing():
    ticked = [[], chunks()[:2], [], [chunks()[2], chunks()[3]], chunks()[4:]]
    frames = list(invoke_stream_frames(ticked, "m"))
    assert len(frames) == 5
    assert frames[0] == b"" and frames[2] == b""
    assert frames[1].count(b"event: ") == 2
    assert frames[3] == (
        b"event: content_block_delta\ndata: "
        + DELTA
        + b"\n\nevent: content_block_stop\ndata: "
        + chunks()[3]
        + b"\n\n"
    )
    assert frames[4].startswith(b"event: message_delta\n") and frames[4].endswith(
        b'event: message_stop\ndata: {"type":"message_stop"}\n\n'
    )


def test_a_delta_written_with_other_key_order_is_still_relayed_as_a_delta():
    reordered = b'{"index":0,"type":"content_block_delta","delta":{"type":"text_delta","text":"Hi"}}'
    marks: list[int] = []
    frames = list(invoke_stream_frames([[reordered]], "m", on_first_token=lambda: marks.append(1)))
    assert frames == [b"event: content_block_delta\ndata: " + reordered + b"\n\n"]
    assert marks == [1]
