"""ConverseStream: event order and content, pacing, mid-stream faults, stream accounting."""

import time
from itertools import pairwise

import pytest
from botocore.exceptions import EventStreamError
from emulator_helpers import HAIKU, SONNET_37, get_json, user

from app.emulator.thinking import sign

TOOLS = {"tools": [{"toolSpec": {"name": "lookup", "inputSchema": {"json": {"type": "object"}}}}]}


def stream(client, text: str, model: str = HAIKU, **kwargs):
    return client.converse_stream(modelId=model, messages=[user(text)], **kwargs)["stream"]


def events(client, text: str, **kwargs) -> list[tuple[str, dict]]:
    return [next(iter(e.items())) for e in stream(client, text, **kwargs)]


def test_text_reply_streams_start_word_deltas_stop_and_metadata(runtime):
    got = events(runtime, "Hello world")
    assert got[:-1] == [
        ("messageStart", {"role": "assistant"}),
        ("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": "Echo:"}}),
        ("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": " Hello"}}),
        ("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": " world"}}),
        ("contentBlockStop", {"contentBlockIndex": 0}),
        ("messageStop", {"stopReason": "end_turn"}),
    ]
    kind, metadata = got[-1]
    assert kind == "metadata"
    assert metadata["usage"] == {"inputTokens": 2, "outputTokens": 3, "totalTokens": 5}
    assert metadata["metrics"]["latencyMs"] >= 0


def test_tool_use_streams_block_start_and_ten_character_input_fragments(runtime):
    got = events(runtime, '@@tool lookup {"query": "emulators"}', toolConfig=TOOLS)
    start = got[1]
    assert start[0] == "contentBlockStart"
    assert start[1]["start"]["toolUse"]["name"] == "lookup"
    assert start[1]["start"]["toolUse"]["toolUseId"].startswith("tooluse_")
    fragments = [e[1]["delta"]["toolUse"]["input"] for e in got if e[0] == "contentBlockDelta"]
    assert "".join(fragments) == '{"query": "emulators"}'
    assert [len(f) for f in fragments] == [10, 10, 2]
    assert got[-2] == ("messageStop", {"stopReason": "tool_use"})


def test_reasoning_streams_word_deltas_then_signature_before_text(runtime):
    got = events(
        runtime,
        "go",
        model=SONNET_37,
        inferenceConfig={"maxTokens": 3000},
        additionalModelRequestFields={"thinking": {"type": "enabled", "budget_tokens": 2000}},
    )
    reasoning = [
        e[1]["delta"]["reasoningContent"]
        for e in got
        if e[0] == "contentBlockDelta" and e[1]["contentBlockIndex"] == 0
    ]
    assert reasoning == [
        {"text": "Thinking"},
        {"text": " about:"},
        {"text": " go"},
        {"signature": sign("Thinking about: go")},
    ]
    kinds = [e[0] for e in got]
    assert (
        kinds.index("contentBlockStop")
        < [i for i, e in enumerate(got) if e[1].get("contentBlockIndex") == 1][0]
    )


def test_multiple_text_blocks_get_increasing_indexes(runtime):
    got = events(runtime, "@@reply one\n@@reply two")
    stops = [e[1]["contentBlockIndex"] for e in got if e[0] == "contentBlockStop"]
    assert stops == [0, 1]


def test_deltas_arrive_incrementally_paced_by_token_latency(runtime):
    arrivals = []
    for event in stream(runtime, "@@words 4\n@@latency first=200 token=150"):
        arrivals.append((next(iter(event)), time.monotonic()))
    delta_times = [t for kind, t in arrivals if kind == "contentBlockDelta"]
    gaps = [b - a for a, b in pairwise(delta_times)]
    assert len(gaps) == 3
    assert all(gap >= 0.12 for gap in gaps), gaps


def test_first_latency_delays_the_first_event(runtime):
    started = time.monotonic()
    event_stream = stream(runtime, "@@latency first=300")
    first = next(iter(event_stream))
    event_stream.close()
    assert "messageStart" in first
    assert time.monotonic() - started >= 0.3


@pytest.mark.parametrize(
    ("shape", "code"),
    [
        ("ThrottlingException", "throttlingException"),
        ("ModelStreamErrorException", "modelStreamErrorException"),
        ("ValidationException", "validationException"),
        ("InternalServerException", "internalServerException"),
        ("ServiceUnavailableException", "serviceUnavailableException"),
        ("AccessDeniedException", "AccessDeniedException"),
    ],
)
def test_midstream_fault_raises_event_stream_error_after_n_deltas(runtime, shape, code):
    received = []
    event_stream = stream(runtime, f"@@words 5\n@@fault {shape} when=midstream after=2 message=boom")
    with pytest.raises(EventStreamError) as info:
        for event in event_stream:
            received.append(next(iter(event)))
    event_stream.close()
    assert info.value.response["Error"] == {"Code": code, "Message": "boom"}
    assert received == ["messageStart", "contentBlockDelta", "contentBlockDelta"]


def test_before_fault_on_stream_is_an_http_error(runtime):
    with pytest.raises(runtime.exceptions.ModelNotReadyException):
        stream(runtime, "@@fault ModelNotReadyException")


def test_non_streaming_model_rejects_converse_stream(runtime):
    with pytest.raises(runtime.exceptions.ValidationException, match="unsupported for streaming"):
        stream(runtime, "hi", model="ai21.j2-ultra-v1")


def test_open_streams_counts_unfinished_streams_and_drops_on_disconnect(runtime, emulator):
    event_stream = stream(runtime, "@@words 200\n@@latency token=20")
    next(iter(event_stream))
    assert get_json(f"{emulator.url}/_emulator/stats")["open_streams"] == 1
    event_stream.close()  # closes the HTTP connection, like a client going away
    deadline = time.monotonic() + 5
    while get_json(f"{emulator.url}/_emulator/stats")["open_streams"] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert get_json(f"{emulator.url}/_emulator/stats")["open_streams"] == 0


def test_finished_stream_is_no_longer_open(runtime, emulator):
    list(stream(runtime, "hi"))
    stats = get_json(f"{emulator.url}/_emulator/stats")
    assert stats["open_streams"] == 0
    assert stats["calls"]["ConverseStream"] == 1
