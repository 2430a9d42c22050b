"""A Converse response → an OpenAI ``chat.completion`` object."""

from __future__ import annotations

import json

from app.converse.blocks import thinking_block
from app.converse.call import ConverseCall
from app.converse.controls import answered_tier
from app.converse.structured import checked_json, declined_structured
from app.tokens import count_tokens

SYSTEM_FINGERPRINT = "fp_bedrock"
# Bedrock stop reasons not listed here (malformed_model_output, malformed_tool_use and
# any added later) end the answer without a better OpenAI equivalent: "stop".
FINISH_REASONS = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "tool_calls",
    "content_filtered": "content_filter",
    "guardrail_intervened": "content_filter",
}


def converse_to_openai(
    response: dict, *, model: str, call: ConverseCall, completion_id: str, created: int
) -> dict:
    """The chat.completion for one Converse answer; ``model`` is the id the client asked for."""
    blocks = response["output"]["message"].get("content", [])
    message = assistant_message(blocks, call)
    # A truncated answer (finish_reason length) cannot parse; it is returned as it is.
    if "tool_calls" not in message and response.get("stopReason") != "max_tokens":
        if call.json_object:
            message["content"] = checked_json(message["content"])
        elif call.structured_tool and message["content"] and not _calls(blocks, call.structured_tool):
            message.update(declined_structured(message["content"]))
    choice = {
        "index": 0,
        "message": message,
        "logprobs": None,
        "finish_reason": finish_reason(response.get("stopReason"), "tool_calls" in message),
    }
    return {
        "id": completion_id,
        "object": "chat.completion",
        "created": created,
        "model": model,
        "system_fingerprint": SYSTEM_FINGERPRINT,
        "choices": [choice],
        "usage": usage_to_openai(response.get("usage") or {}, message.get("reasoning_content", "")),
        **served_with(response),
    }


def merged_choices(completions: list[dict]) -> dict:
    """n completions of one request as one, ``choices[i].index`` = i, usage summed."""
    choices = [{**completion["choices"][0], "index": i} for i, completion in enumerate(completions)]
    usage = summed_usage([completion["usage"] for completion in completions])
    return {**completions[0], "choices": choices, "usage": usage}


def summed_usage(usages: list[dict]) -> dict:
    def total(key: str, detail: str | None = None) -> int:
        return sum((usage[key][detail] if detail else usage[key]) for usage in usages)

    return {
        "prompt_tokens": total("prompt_tokens"),
        "completion_tokens": total("completion_tokens"),
        "total_tokens": total("total_tokens"),
        "prompt_tokens_details": {"cached_tokens": total("prompt_tokens_details", "cached_tokens")},
        "completion_tokens_details": {
            "reasoning_tokens": total("completion_tokens_details", "reasoning_tokens")
        },
    }


def served_with(answer: dict) -> dict:
    """The tier Bedrock served with, and the guardrail's trace, from a response or metadata event."""
    fields = {}
    tier = answered_tier(answer.get("serviceTier"))
    if tier:
        fields["service_tier"] = tier
    trace = (answer.get("trace") or {}).get("guardrail")
    if trace:
        fields["guardrail_trace"] = trace
    return fields


def _calls(blocks: list[dict], tool: str) -> bool:
    return any(block.get("toolUse", {}).get("name") == tool for block in blocks)


def assistant_message(blocks: list[dict], call: ConverseCall) -> dict:
    texts: list[str] = []
    tool_calls: list[dict] = []
    reasoning: list[str] = []
    thinking: list[dict] = []
    structured: str | None = None
    for block in blocks:
        if "text" in block:
            texts.append(block["text"])
        elif "toolUse" in block:
            use = block["toolUse"]
            if use["name"] == call.structured_tool:
                structured = json.dumps(use["input"])
            else:
                tool_calls.append(tool_call(use))
        elif "reasoningContent" in block:
            _add_reasoning(block["reasoningContent"], reasoning, thinking)
    content = structured if structured is not None else ("".join(texts) if texts else None)
    return _message(content, tool_calls, reasoning, thinking)


def _add_reasoning(block: dict, reasoning: list[str], thinking: list[dict]) -> None:
    if "reasoningText" in block:
        reasoning.append(block["reasoningText"].get("text", ""))
    signed = thinking_block(block)
    if signed is not None:
        thinking.append(signed)


def _message(content: str | None, tool_calls: list, reasoning: list, thinking: list) -> dict:
    message: dict = {"role": "assistant", "content": content}
    if tool_calls:
        message["tool_calls"] = tool_calls
    if reasoning:
        message["reasoning_content"] = "".join(reasoning)
    if thinking:
        message["thinking_blocks"] = thinking
    message["refusal"] = None
    return message


def tool_call(use: dict) -> dict:
    return {
        "id": use["toolUseId"],
        "type": "function",
        "function": {"name": use["name"], "arguments": json.dumps(use["input"])},
    }


def finish_reason(stop_reason: str | None, has_tool_calls: bool) -> str:
    reason = FINISH_REASONS.get(stop_reason or "", "stop")
    # A tool_use stop whose only call was the structured-output tool is a finished answer.
    return "stop" if reason == "tool_calls" and not has_tool_calls else reason


def usage_to_openai(usage: dict, reasoning_text: str) -> dict:
    """OpenAI counts cached input in prompt_tokens; Bedrock reports it apart."""
    cache_read = usage.get("cacheReadInputTokens", 0)
    prompt = usage.get("inputTokens", 0) + cache_read + usage.get("cacheWriteInputTokens", 0)
    completion = usage.get("outputTokens", 0)
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": {"cached_tokens": cache_read},
        # Bedrock gives no separate count of reasoning tokens.
        "completion_tokens_details": {
            "reasoning_tokens": count_tokens(reasoning_text) if reasoning_text else 0
        },
    }
