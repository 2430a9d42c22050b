"""``n`` > 1: each choice is its own Converse call, made concurrently, answered as one.

Non-streaming calls run on the bounded pool embeddings use (``fan_out``); streams are read
at once (``fan_in``) and their chunks relayed as they arrive. The request's recorded usage
is the sum over its choices.
"""

from __future__ import annotations

from collections.abc import Iterator

from app.api.services import bedrock, settings
from app.api.upstream import converse_events
from app.catalogue import ModelInfo
from app.converse.call import ConverseCall
from app.converter.chat_response import converse_to_openai, merged_choices
from app.converter.chat_stream import converse_stream_to_chunks, interleaved_choices
from app.exchange import Exchange
from app.exchange import current as current_exchange
from app.fanout import fan_in, fan_out

_USAGE_KEYS = ("inputTokens", "outputTokens", "cacheReadInputTokens", "cacheWriteInputTokens")


def several_completions(call: ConverseCall, choices: int, ids: dict) -> dict:
    client = bedrock()  # the app context does not reach the workers
    answers = fan_out(
        lambda _: client.converse(call.kwargs), range(choices), settings().embedding_concurrency
    )
    _record(current_exchange(), [answer.get("usage") or {} for answer in answers])
    return merged_choices([converse_to_openai(answer, **ids) for answer in answers])


def several_streams(
    model: ModelInfo, call: ConverseCall, choices: int, ids: dict, include_usage: bool
) -> tuple[Iterator[dict], Iterator]:
    """The interleaved chunks, and the merged source to close when the relay ends."""
    usages: list[dict] = []
    merged = fan_in(_choice_streams(model, call, choices, ids, usages))
    chunks = _recorded(interleaved_choices(merged, include_usage), usages, current_exchange())
    return chunks, merged


def _choice_streams(
    model: ModelInfo, call: ConverseCall, choices: int, ids: dict, usages: list[dict]
) -> list[Iterator[dict]]:
    """One chunk stream per choice; if one cannot start, the ones started are released."""
    streams: list[Iterator[dict]] = []
    try:
        for i in range(choices):
            events = converse_events(model, call)
            chunks = converse_stream_to_chunks(
                _tapped(events, usages), include_usage=True, choice_index=i, **ids
            )
            streams.append(_releasing(chunks, events))
    except BaseException:
        for stream in streams:
            stream.close()
        raise
    return streams


def _tapped(events: Iterator[dict], usages: list[dict]) -> Iterator[dict]:
    for event in events:
        if "metadata" in event:
            usages.append(event["metadata"].get("usage") or {})
        yield event


def _releasing(chunks: Iterator[dict], events: Iterator[dict]) -> Iterator[dict]:
    """``chunks``, then the Bedrock stream they read released, however the reading ends."""
    try:
        yield from chunks
    finally:
        events.close()


def _recorded(chunks: Iterator[dict], usages: list[dict], exchange: Exchange) -> Iterator[dict]:
    yield from chunks
    _record(exchange, usages)


def _record(exchange: Exchange, usages: list[dict]) -> None:
    """Each call records its own usage as it ends; the request's is the sum."""
    exchange.record_usage(*(sum(usage.get(key, 0) for usage in usages) for key in _USAGE_KEYS))
