"""ConverseStream events → Responses API stream events, in the order clients check.

``response.created`` and ``response.in_progress`` first (after Bedrock's first event, so
that an error before it is still a plain HTTP error); then, per output item,
``output_item.added``, its part's ``.added``, the deltas, their ``.done`` events and
``output_item.done``, with ``output_index`` counting items from 0 in the order they
open; then exactly one of ``response.completed``, ``response.incomplete`` or
``response.failed`` carrying the whole response, the same object the non-streaming call
returns. A Bedrock error after the first event ends the stream with ``response.failed``.
Every event has a ``sequence_number`` from 0.

Items group Bedrock's blocks as ``responses_response`` does: a run of reasoning blocks
is one reasoning item (a summary part per block), a run of text blocks one message, each
tool call one item. Custom and local shell calls arrive whole in ``output_item.done``;
with structured output, text is held until it is clear whether the schema tool is called.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from app.converter.openai_errors import stream_failure
from app.converter.responses_items import FUNCTION, call_item
from app.converter.responses_response import (
    ResponseContext,
    answer_text,
    item_id,
    message_item,
    reasoning_item,
    response_object,
    stop_status,
    usage_object,
)
from app.errors import GatewayError
from app.exchange import Exchange


class ResponsesStream:
    """The state of one streamed response between events."""

    def __init__(self, context: ResponseContext, exchange: Exchange | None = None):
        self.context = context
        self.exchange = exchange
        self.sequence = 0
        self.items: list[dict] = []  # finished output items
        self.kind: str | None = None  # the open item: message, reasoning, call, structured
        self.text: list[str] = []
        self.summaries: list[str] = []
        self.summary_open = False
        self.reasoning: list[dict] = []
        self.call: dict = {}
        self.message_id = ""
        self.held: list[str] | None = [] if context.call.structured_tool else None
        self.structured_called = False
        self.calls = 0
        self.stop_reason: str | None = None
        self.usage: dict = {}
        self.message_status = "completed"  # "incomplete": the answer's text was cut off by a limit

    # -- the event stream ----------------------------------------------------------

    def events(self, upstream: Iterable[dict]) -> Iterator[dict]:
        """One event at a time, from Bedrock's events one at a time."""
        for batch in self.batches([event] for event in upstream):
            yield from batch

    def batches(self, upstream: Iterable[list[dict]]) -> Iterator[list[dict]]:
        """The events for each batch of Bedrock events that arrived together.

        A batch that makes no event (an idle tick, or held text) comes out empty: the relay's
        keep-alive timer still sees it.
        """
        source = iter(upstream)
        first = next(source, [])  # an error here is raised before the first byte
        out = [
            self._event("response.created", response=self._snapshot()),
            self._event("response.in_progress", response=self._snapshot()),
        ]
        try:
            for event in first:
                out.extend(self._on(event))
            yield out
            out = []
            for batch in source:
                for event in batch:
                    # The hot path: one more text delta of the open message.
                    block = event.get("contentBlockDelta")
                    if block is not None and self.kind == "message":
                        text = block["delta"].get("text")
                        if text:
                            self.text.append(text)
                            out.append(
                                {
                                    "type": "response.output_text.delta",
                                    "sequence_number": self.sequence,
                                    "item_id": self.message_id,
                                    "output_index": len(self.items),
                                    "content_index": 0,
                                    "delta": text,
                                    "logprobs": [],
                                }
                            )
                            self.sequence += 1
                            continue
                    out.extend(self._on(event))
                yield out
                out = []
        except GatewayError as exc:
            yield [*out, self.failed(exc)]
            return
        yield list(self._finish())

    def keep_alive(self) -> dict:
        """``response.in_progress`` for a silent model: Codex's idle timer counts events, not comments."""
        return self._event("response.in_progress", response=self._snapshot())

    def _event(self, kind: str, **fields) -> dict:
        event = {"type": kind, "sequence_number": self.sequence, **fields}
        self.sequence += 1
        return event

    def _snapshot(self) -> dict:
        return response_object(self.context, [], "in_progress")

    def _on(self, event: dict) -> Iterator[dict]:
        if "contentBlockDelta" in event:
            delta = event["contentBlockDelta"]["delta"]
            if self.exchange is not None:
                self.exchange.mark_first_token()
            if "text" in delta:
                yield from self._text(delta["text"])
            elif "reasoningContent" in delta:
                yield from self._reasoning(delta["reasoningContent"])
            elif "toolUse" in delta:
                yield from self._arguments(delta["toolUse"].get("input", ""))
        elif "contentBlockStart" in event:
            use = event["contentBlockStart"].get("start", {}).get("toolUse")
            if use is not None:
                yield from self._tool_start(use)
        elif "contentBlockStop" in event:
            yield from self._block_stop()
        elif "messageStop" in event:
            self.stop_reason = event["messageStop"].get("stopReason")
        elif "metadata" in event:
            self.usage = event["metadata"].get("usage") or {}

    # -- items -------------------------------------------------------------------------

    def _open(self, kind: str) -> Iterator[dict]:
        if self.kind != kind:
            yield from self._close()
            self.kind = kind

    def _close(self) -> Iterator[dict]:
        kind, self.kind = self.kind, None
        if kind == "message":
            yield from self._close_message("".join(self.text), False)
        elif kind == "reasoning":
            yield from self._close_reasoning()
        elif kind in ("call", "structured"):
            yield from self._close_call(kind)

    def _index(self) -> int:
        return len(self.items)

    def _id(self, kind: str) -> str:
        return item_id(self.context, kind, self._index())

    # message

    def _text(self, text: str) -> Iterator[dict]:
        if not text:
            return
        if self.held is not None:
            if not self.structured_called:
                self.held.append(text)
            return
        if self.kind != "message":
            yield from self._open("message")
            yield from self._message_start(refusal=False)
        self.text.append(text)
        yield self._event(
            "response.output_text.delta",
            item_id=self._id("message"),
            output_index=self._index(),
            content_index=0,
            delta=text,
            logprobs=[],
        )

    def _message_start(self, refusal: bool) -> Iterator[dict]:
        self.text = []
        self.message_id = self._id("message")
        item = {"id": self._id("message"), "type": "message", "status": "in_progress", "role": "assistant"}
        yield self._event(
            "response.output_item.added", output_index=self._index(), item={**item, "content": []}
        )
        part = (
            {"type": "refusal", "refusal": ""}
            if refusal
            else {"type": "output_text", "text": "", "annotations": []}
        )
        yield self._part_event("response.content_part.added", part)

    def _part_event(self, kind: str, part: dict) -> dict:
        return self._event(
            kind, item_id=self._id("message"), output_index=self._index(), content_index=0, part=part
        )

    def _close_message(self, text: str, refusal: bool) -> Iterator[dict]:
        item = message_item(self._id("message"), text, self.message_status, refusal)
        ids = {"item_id": item["id"], "output_index": self._index(), "content_index": 0}
        if refusal:
            yield self._event("response.refusal.done", **ids, refusal=text)
        else:
            yield self._event("response.output_text.done", **ids, text=text, logprobs=[])
        yield self._part_event("response.content_part.done", item["content"][0])
        yield self._event("response.output_item.done", output_index=self._index(), item=item)
        self.items.append(item)

    def _release_held(self) -> Iterator[dict]:
        """Text written instead of (or before) a tool call, once it is clear which."""
        held, self.held = "".join(self.held or ()), ([] if self.held is not None else None)
        if not held or self.structured_called:
            return
        text, refusal = answer_text(held, self.context.call, self.stop_reason, self.calls > 0)
        yield from self._close()
        yield from self._message_start(refusal)
        ids = {"item_id": self._id("message"), "output_index": self._index(), "content_index": 0}
        if refusal:
            yield self._event("response.refusal.delta", **ids, delta=text)
        else:
            yield self._event("response.output_text.delta", **ids, delta=text, logprobs=[])
        yield from self._close_message(text, refusal)

    # reasoning

    def _reasoning(self, reasoning: dict) -> Iterator[dict]:
        if self.kind != "reasoning":
            yield from self._open("reasoning")
            self.summaries, self.reasoning = [], []
            item = reasoning_item(self._id("reasoning"), [], None)
            yield self._event("response.output_item.added", output_index=self._index(), item=item)
        if "text" in reasoning:
            if not self.summary_open:
                self.summary_open = True
                self.summaries.append("")
                self.reasoning.append({"reasoningText": {"text": ""}})
                yield self._summary_event("response.reasoning_summary_part.added", part=_summary(""))
            self.summaries[-1] += reasoning["text"]
            self.reasoning[-1]["reasoningText"]["text"] += reasoning["text"]
            yield self._summary_event("response.reasoning_summary_text.delta", delta=reasoning["text"])
        elif "signature" in reasoning:
            if not self.summary_open:
                self.reasoning.append({"reasoningText": {"text": ""}})
            self.reasoning[-1]["reasoningText"]["signature"] = reasoning["signature"]
        elif "redactedContent" in reasoning:
            self.reasoning.append({"redactedContent": reasoning["redactedContent"]})

    def _summary_event(self, kind: str, **fields) -> dict:
        index = len(self.summaries) - 1
        ids = {"item_id": self._id("reasoning"), "output_index": self._index(), "summary_index": index}
        return self._event(kind, **ids, **fields)

    def _close_summary(self) -> Iterator[dict]:
        if self.summary_open:
            self.summary_open = False
            text = self.summaries[-1]
            yield self._summary_event("response.reasoning_summary_text.done", text=text)
            yield self._summary_event("response.reasoning_summary_part.done", part=_summary(text))

    def _close_reasoning(self) -> Iterator[dict]:
        yield from self._close_summary()
        encrypted = self.context.codec.seal(self.reasoning, self.context.family)
        item = reasoning_item(self._id("reasoning"), self.summaries, encrypted)
        yield self._event("response.output_item.done", output_index=self._index(), item=item)
        self.items.append(item)

    # tool calls

    def _tool_start(self, use: dict) -> Iterator[dict]:
        structured = use["name"] == self.context.call.structured_tool
        if structured:
            self.structured_called = True
            yield from self._open("structured")
            yield from self._message_start(refusal=False)
            return
        yield from self._release_held()
        yield from self._open("call")
        self.calls += 1
        self.call = {"id": use["toolUseId"], "ref": self.context.toolbox.ref(use["name"]), "arguments": []}
        item = call_item(self._id("call"), use["toolUseId"], self.call["ref"], "", "in_progress")
        yield self._event("response.output_item.added", output_index=self._index(), item=item)

    def _arguments(self, fragment: str) -> Iterator[dict]:
        if not fragment or self.kind not in ("call", "structured"):
            return
        if self.kind == "structured":
            self.text.append(fragment)
            ids = {"item_id": self._id("message"), "output_index": self._index(), "content_index": 0}
            yield self._event("response.output_text.delta", **ids, delta=fragment, logprobs=[])
            return
        self.call["arguments"].append(fragment)
        if self.call["ref"].kind == FUNCTION:
            ids = {"item_id": self._id("call"), "output_index": self._index()}
            yield self._event("response.function_call_arguments.delta", **ids, delta=fragment)

    def _block_stop(self) -> Iterator[dict]:
        if self.kind == "reasoning":
            yield from self._close_summary()
        elif self.kind in ("call", "structured"):
            yield from self._close()

    def _close_call(self, kind: str) -> Iterator[dict]:
        if kind == "structured":
            yield from self._close_message("".join(self.text) or "{}", False)
            return
        arguments = "".join(self.call["arguments"]) or "{}"
        ref = self.call["ref"]
        item = call_item(self._id("call"), self.call["id"], ref, arguments, "completed")
        if ref.kind == FUNCTION:
            ids = {"item_id": item["id"], "output_index": self._index()}
            yield self._event(
                "response.function_call_arguments.done", **ids, name=ref.name, arguments=arguments
            )
        yield self._event("response.output_item.done", output_index=self._index(), item=item)
        self.items.append(item)

    # the end

    def _finish(self) -> Iterator[dict]:
        status, incomplete, error = stop_status(self.stop_reason)
        if status == "incomplete":
            self.message_status = "incomplete"  # the text still open is what the limit cut off
        yield from self._close()
        yield from self._release_held()
        usage = usage_object(self.usage, "".join(self._summaries()))
        response = response_object(self.context, self.items, status, usage, incomplete, error)
        yield self._event(f"response.{status}", response=response)

    def _summaries(self) -> list[str]:
        return [
            part["text"] for item in self.items if item["type"] == "reasoning" for part in item["summary"]
        ]

    def failed(self, exc: GatewayError) -> dict:
        """``response.failed`` for an error after the first byte, with the items finished so far."""
        response = response_object(self.context, self.items, "failed", None, None, stream_failure(exc))
        return self._event("response.failed", response=response)


def _summary(text: str) -> dict:
    return {"type": "summary_text", "text": text}
