"""Converse output → the Responses API's ``response`` object and its output items.

The stream translator builds the same object from the same pieces (``response_object``,
the item builders, ``item_id``), so a streamed answer's ``response.completed`` carries
exactly what the non-streaming call returns. Item ids are derived from the response id
and the item's place in ``output``.

Output items, in the order of Bedrock's content blocks: consecutive reasoning blocks are
one ``reasoning`` item (a summary part each, their signed blocks sealed in
``encrypted_content``), consecutive text blocks one ``message``, each toolUse one call
item (``responses_items.call_item``). With structured output the schema tool's input is
the message's text; text the model wrote instead becomes the answer when it is JSON and
a refusal otherwise, as in Chat Completions.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from app.converse.call import ConverseCall
from app.converse.structured import checked_json, declined_structured
from app.converter.reasoning_codec import ReasoningCodec
from app.converter.responses_items import Toolbox, call_item
from app.tokens import count_tokens

# Bedrock stop reason → (status, incomplete reason, error code); others complete.
STOPS: dict[str, tuple[str, str | None, str | None]] = {
    "max_tokens": ("incomplete", "max_output_tokens", None),
    "content_filtered": ("incomplete", "content_filter", None),
    "guardrail_intervened": ("incomplete", "content_filter", None),
    "model_context_window_exceeded": ("failed", None, "context_length_exceeded"),
    "malformed_model_output": ("failed", None, "server_error"),
    "malformed_tool_use": ("failed", None, "server_error"),
}
_FAILURE_MESSAGES = {
    "context_length_exceeded": "The conversation exceeds the model's context window.",
    "server_error": "The model produced output that could not be read.",
}
_PREFIXES = {"message": "msg", "reasoning": "rs", "call": "fc"}


@dataclass(frozen=True)
class ResponseContext:
    """What every response object of one request repeats, and how its items are built."""

    response_id: str
    created_at: int
    model: str  # as the client asked
    body: dict
    call: ConverseCall
    toolbox: Toolbox
    codec: ReasoningCodec
    family: str
    store: bool
    previous_response_id: str | None = None


def item_id(context: ResponseContext, kind: str, index: int) -> str:
    return f"{_PREFIXES[kind]}_{context.response_id.removeprefix('resp_')}{index:03d}"


def message_item(item: str, text: str, status: str, refusal: bool = False) -> dict:
    part = (
        {"type": "refusal", "refusal": text}
        if refusal
        else {"type": "output_text", "text": text, "annotations": [], "logprobs": []}
    )
    return {"id": item, "type": "message", "status": status, "role": "assistant", "content": [part]}


def reasoning_item(item: str, summaries: list[str], encrypted: str | None) -> dict:
    summary = [{"type": "summary_text", "text": text} for text in summaries]
    result = {"id": item, "type": "reasoning", "summary": summary}
    if encrypted is not None:
        result["encrypted_content"] = encrypted
    return result


def stop_status(stop_reason: str | None) -> tuple[str, dict | None, dict | None]:
    """(status, incomplete_details, error) for a Bedrock stop reason."""
    status, reason, code = STOPS.get(stop_reason or "", ("completed", None, None))
    incomplete = {"reason": reason} if reason else None
    error = {"code": code, "message": _FAILURE_MESSAGES[code]} if code else None
    return status, incomplete, error


def response_object(
    context: ResponseContext,
    output: list[dict],
    status: str,
    usage: dict | None = None,
    incomplete: dict | None = None,
    error: dict | None = None,
) -> dict:
    body = context.body
    text_format = (body.get("text") or {}).get("format") or {"type": "text"}
    reasoning = body.get("reasoning") or {}
    return {
        "id": context.response_id,
        "object": "response",
        "created_at": context.created_at,
        "status": status,
        "background": False,
        "error": error,
        "incomplete_details": incomplete,
        "instructions": body.get("instructions"),
        "max_output_tokens": body.get("max_output_tokens"),
        "max_tool_calls": body.get("max_tool_calls"),
        "model": context.model,
        "output": output,
        "parallel_tool_calls": body.get("parallel_tool_calls", True),
        "previous_response_id": context.previous_response_id,
        "prompt_cache_key": body.get("prompt_cache_key"),
        "reasoning": {"effort": reasoning.get("effort"), "summary": reasoning.get("summary")},
        "safety_identifier": body.get("safety_identifier"),
        "service_tier": "default",
        "store": context.store,
        "temperature": body.get("temperature", 1.0),
        "text": {"format": text_format, "verbosity": (body.get("text") or {}).get("verbosity", "medium")},
        "tool_choice": body.get("tool_choice", "auto"),
        "tools": body.get("tools") or [],
        "top_logprobs": 0,
        "top_p": body.get("top_p", 1.0),
        "truncation": "disabled",
        "usage": usage,
        "user": body.get("user"),
        "metadata": body.get("metadata") or {},
    }


def usage_object(usage: dict, reasoning_text: str) -> dict:
    """Responses counts cached input in input_tokens; Bedrock reports it apart."""
    cache_read = usage.get("cacheReadInputTokens", 0)
    cache_write = usage.get("cacheWriteInputTokens", 0)
    input_tokens = usage.get("inputTokens", 0) + cache_read + cache_write
    output_tokens = usage.get("outputTokens", 0)
    return {
        "input_tokens": input_tokens,
        "input_tokens_details": {"cached_tokens": cache_read, "cache_write_tokens": cache_write},
        "output_tokens": output_tokens,
        # Bedrock gives no separate count of reasoning tokens.
        "output_tokens_details": {"reasoning_tokens": count_tokens(reasoning_text) if reasoning_text else 0},
        "total_tokens": input_tokens + output_tokens,
    }


def answer_text(text: str, call: ConverseCall, stop_reason: str | None, has_calls: bool) -> tuple[str, bool]:
    """(the message's text, whether it is a refusal): JSON modes check and unwrap the text.

    Beside tool calls, or cut short, the text is returned as the model wrote it.
    """
    if stop_reason == "max_tokens" or has_calls:
        return text, False
    if call.json_object:
        return checked_json(text), False
    if call.structured_tool:
        answer = declined_structured(text)
        return (text, True) if answer["content"] is None else (answer["content"], False)
    return text, False


def converse_to_response(output: dict, context: ResponseContext) -> dict:
    """The response object for one Converse answer."""
    blocks = output["output"]["message"].get("content", [])
    stop_reason = output.get("stopReason")
    builder = _OutputBuilder(context)
    items, reasoning_text = builder.build(blocks, stop_reason)
    status, incomplete, error = stop_status(stop_reason)
    if status == "incomplete" and items and items[-1] is builder.last_text:
        items[-1]["status"] = "incomplete"  # the answer's text the limit cut off (as streamed)
    usage = usage_object(output.get("usage") or {}, reasoning_text)
    return response_object(context, items, status, usage, incomplete, error)


class _OutputBuilder:
    def __init__(self, context: ResponseContext):
        self.context = context
        self.items: list[dict] = []
        self.reasoning: list[dict] = []  # the open run of reasoning blocks
        self.texts: list[str] | None = None  # the open run of text blocks
        self.reasoning_text: list[str] = []
        self.last_text: dict | None = None  # the message item the last run of text blocks made

    def build(self, blocks: list[dict], stop_reason: str | None) -> tuple[list[dict], str]:
        structured = self.context.call.structured_tool
        answer = next(
            (b["toolUse"] for b in blocks if b.get("toolUse", {}).get("name") == structured and structured),
            None,
        )
        has_calls = any("toolUse" in b and b["toolUse"]["name"] != structured for b in blocks)
        for block in blocks:
            if "reasoningContent" in block:
                self._close_text(stop_reason, has_calls)
                self.reasoning.append(block["reasoningContent"])
            elif "text" in block and answer is None:
                self._close_reasoning()
                self.texts = [*(self.texts or []), block["text"]]
            elif "toolUse" in block:
                self._close_reasoning()
                self._close_text(stop_reason, has_calls)
                use = block["toolUse"]
                if use is answer:
                    self._add_message(json.dumps(use["input"]))
                elif use["name"] != structured:
                    self._add_call(use)
        self._close_reasoning()
        self._close_text(stop_reason, has_calls)
        return self.items, "".join(self.reasoning_text)

    def _close_reasoning(self) -> None:
        if not self.reasoning:
            return
        summaries = [r["reasoningText"].get("text", "") for r in self.reasoning if "reasoningText" in r]
        self.reasoning_text.extend(summaries)
        encrypted = self.context.codec.seal(self.reasoning, self.context.family)
        index = len(self.items)
        self.items.append(reasoning_item(item_id(self.context, "reasoning", index), summaries, encrypted))
        self.reasoning = []

    def _close_text(self, stop_reason: str | None, has_calls: bool) -> None:
        if self.texts is None:
            return
        text, self.texts = "".join(self.texts), None
        self._add_message(*answer_text(text, self.context.call, stop_reason, has_calls))
        self.last_text = self.items[-1]

    def _add_message(self, text: str, refusal: bool = False) -> None:
        index = len(self.items)
        self.items.append(message_item(item_id(self.context, "message", index), text, "completed", refusal))

    def _add_call(self, use: dict) -> None:
        index = len(self.items)
        ref = self.context.toolbox.ref(use["name"])
        arguments = json.dumps(use["input"])
        self.items.append(
            call_item(item_id(self.context, "call", index), use["toolUseId"], ref, arguments, "completed")
        )
