"""A Converse answer → an Anthropic ``message`` object; Anthropic's usage counts."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from app.converse.blocks import redacted_block

# Bedrock stop reasons not listed here (malformed_model_output, malformed_tool_use and any
# added later) end the answer without a better Anthropic equivalent: end_turn.
STOP_REASONS = {
    "end_turn": "end_turn",
    "tool_use": "tool_use",
    "max_tokens": "max_tokens",
    "stop_sequence": "stop_sequence",
    "content_filtered": "refusal",
    "guardrail_intervened": "refusal",
    "model_context_window_exceeded": "model_context_window_exceeded",
}
_CONVERSE_USAGE = {
    "inputTokens": "input_tokens",
    "outputTokens": "output_tokens",
    "cacheReadInputTokens": "cache_read_input_tokens",
    "cacheWriteInputTokens": "cache_creation_input_tokens",
}


@dataclass
class Usage:
    """Anthropic's counts; ``input_tokens`` excludes cache reads and writes, as Bedrock's do."""

    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_input_tokens: int = 0
    cache_creation_input_tokens: int = 0

    def update(self, counts: dict) -> None:
        """Take the non-null counts of an Anthropic usage object."""
        for name in (
            "input_tokens",
            "output_tokens",
            "cache_read_input_tokens",
            "cache_creation_input_tokens",
        ):
            if isinstance(counts.get(name), int):
                setattr(self, name, counts[name])

    @classmethod
    def from_converse(cls, usage: dict) -> Usage:
        return cls(**{name: usage.get(key) or 0 for key, name in _CONVERSE_USAGE.items()})

    def to_dict(self) -> dict:
        return {
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cache_creation_input_tokens": self.cache_creation_input_tokens,
            "cache_read_input_tokens": self.cache_read_input_tokens,
        }


def message_id() -> str:
    return f"msg_{secrets.token_hex(12)}"


def stop_reason(converse_reason: str | None) -> str:
    return STOP_REASONS.get(converse_reason or "", "end_turn")


def matched_stop_sequence(converse_reason: str | None, sent: list[str]) -> str | None:
    """The stop sequence that ended the answer, when it can be known.

    Converse says only that a stop sequence matched, not which: with one sequence sent it
    is that one; with several, Anthropic's ``null`` is the honest answer.
    """
    return sent[0] if converse_reason == "stop_sequence" and len(sent) == 1 else None


def converse_to_message(
    response: dict, *, model: str, message_id: str, stop_sequences: list[str] | tuple = ()
) -> dict:
    """The message for one Converse answer; ``model`` is the name the client asked for."""
    blocks = response["output"]["message"].get("content", [])
    content = [block for block in (content_block(block) for block in blocks) if block is not None]
    return {
        "id": message_id,
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": content,
        "stop_reason": stop_reason(response.get("stopReason")),
        "stop_sequence": matched_stop_sequence(response.get("stopReason"), list(stop_sequences)),
        "usage": Usage.from_converse(response.get("usage") or {}).to_dict(),
    }


def content_block(block: dict) -> dict | None:
    if "text" in block:
        return {"type": "text", "text": block["text"]}
    if "toolUse" in block:
        use = block["toolUse"]
        return {"type": "tool_use", "id": use["toolUseId"], "name": use["name"], "input": use["input"]}
    if "reasoningContent" in block:
        reasoning = block["reasoningContent"]
        if "redactedContent" in reasoning:
            return redacted_block(reasoning["redactedContent"])
        text = reasoning.get("reasoningText") or {}
        # Unsigned reasoning (models other than Claude) cannot be replayed: its signature is empty.
        return {"type": "thinking", "thinking": text.get("text", ""), "signature": text.get("signature", "")}
    return None
