"""What a chat answer says about how it was served: the tier, the guardrail's trace, n choices."""

from __future__ import annotations

from app.converse.call import ConverseCall
from app.converter.chat_response import converse_to_openai, merged_choices
from app.converter.chat_stream import converse_stream_to_chunks, interleaved_choices

PLAIN = ConverseCall(kwargs={})
IDS = {"model": "m", "call": PLAIN, "completion_id": "chatcmpl-1", "created": 1}
USAGE = {"inputTokens": 3, "outputTokens": 2, "totalTokens": 5}
TRACE = {"guardrail": {"actionReason": "blocked"}}


def answer(text: str, **served) -> dict:
    message = {"role": "assistant", "content": [{"text": text}]}
    return {"output": {"message": message}, "stopReason": "end_turn", "usage": USAGE, **served}


def events(text: str, **served) -> list[dict]:
    return [
        {"messageStart": {"role": "assistant"}},
        {"contentBlockDelta": {"delta": {"text": text}, "contentBlockIndex": 0}},
        {"messageStop": {"stopReason": "guardrail_intervened"}},
        {"metadata": {"usage": USAGE, "metrics": {"latencyMs": 1}, **served}},
    ]


def test_a_completion_reports_the_tier_served_and_the_trace():
    completion = converse_to_openai(answer("hi", serviceTier={"type": "priority"}, trace=TRACE), **IDS)
    assert (completion["service_tier"], completion["guardrail_trace"]) == ("priority", TRACE["guardrail"])


def test_without_either_the_completion_has_neither_key():
    assert {"service_tier", "guardrail_trace"} & set(converse_to_openai(answer("hi"), **IDS)) == set()


def test_the_finish_chunk_waits_for_metadata_and_carries_what_it_says():
    chunks = list(
        converse_stream_to_chunks(
            events("no", serviceTier={"type": "flex"}, trace=TRACE),
            include_usage=False,
            choice_index=2,
            **IDS,
        )
    )
    last = chunks[-1]
    assert (last["choices"], last["service_tier"], last["guardrail_trace"]) == (
        [{"index": 2, "delta": {}, "logprobs": None, "finish_reason": "content_filter"}],
        "flex",
        TRACE["guardrail"],
    )
    assert {chunk["choices"][0]["index"] for chunk in chunks} == {2}


def test_a_stream_without_metadata_still_finishes():
    chunks = list(converse_stream_to_chunks(events("no")[:-1], include_usage=False, **IDS))
    assert chunks[-1]["choices"][0]["finish_reason"] == "content_filter"


def test_n_completions_become_indexed_choices_with_usage_summed():
    merged = merged_choices([converse_to_openai(answer(text), **IDS) for text in ("a", "b")])
    assert [(c["index"], c["message"]["content"]) for c in merged["choices"]] == [(0, "a"), (1, "b")]
    assert (merged["usage"]["prompt_tokens"], merged["usage"]["total_tokens"]) == (6, 10)


def test_interleaved_choices_sum_the_usage_chunks_into_one_at_the_end():
    streams = [
        converse_stream_to_chunks(events(text), include_usage=True, choice_index=i, **IDS)
        for i, text in enumerate(("a", "b"))
    ]
    tagged = [(i, chunk) for i, stream in enumerate(streams) for chunk in stream]
    chunks = list(interleaved_choices(tagged, include_usage=True))
    assert [chunk["usage"] for chunk in chunks if not chunk["choices"]] == [chunks[-1]["usage"]]
    assert chunks[-1]["usage"]["completion_tokens"] == 4
    assert sum(1 for chunk in chunks if chunk["choices"]) == 6
