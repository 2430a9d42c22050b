"""The Converse call a request becomes, assembled from a dialect's blocks.

A dialect's request translator builds the system blocks, the turns (every block as the
client sent it: past reasoning, tool calls and results included), the inferenceConfig,
the ``ToolPlan`` and the thinking object; ``assemble`` then applies what Bedrock enforces
whatever the dialect:

- thinking is turned off for a request whose latest tool-use turn or final prefill lacks
  the signed thinking it was made with (Anthropic refuses it; the client dropped it);
- while thinking, no changed sampling and no forced tool use; families that take only
  ``auto`` tool choice get ``auto``, a structured tool then asked for in words;
- past reasoning is sent only while thinking; past tool blocks become text when no tools
  are offered (Converse refuses tool blocks without a toolConfig), and are otherwise paired;
- strictly alternating turns that open with the user; a request of instructions alone
  becomes the user turn; families without a system prompt get it in the first turn.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from app.catalogue import ModelInfo
from app.converse.caching import CachePlan, add_cache_points
from app.converse.documents import check_document_count
from app.converse.thinking import relax_for_thinking, thinking_off
from app.converse.tool_pairs import pair_tool_blocks
from app.converse.tools import ToolPlan, unforced
from app.converse.turns import (
    check_image_count,
    merge_turns,
    tool_blocks_as_text,
    trim_prefill,
    unsigned_prefill,
    unsigned_tool_turn,
    without_reasoning,
)
from app.errors import InvalidRequestError


@dataclass(frozen=True)
class ConverseCall:
    """What the view sends to Bedrock, and what the response side must know about it."""

    kwargs: dict
    structured_tool: str | None = None
    json_object: bool = False
    thinking: bool = False


@dataclass
class Draft:
    """A request in Converse blocks, before Bedrock's rules are applied."""

    model: ModelInfo
    system: list[dict]
    turns: list[dict]
    inference: dict = field(default_factory=dict)
    plan: ToolPlan = field(default_factory=ToolPlan)
    thinking: dict | None = None
    extra: dict = field(default_factory=dict)  # additionalModelRequestFields
    cache: CachePlan = field(default_factory=CachePlan)
    # Top-level Converse fields decided outside the conversation: requestMetadata,
    # serviceTier, performanceConfig, guardrailConfig, outputConfig.
    fields: dict = field(default_factory=dict)
    messages_param: str = "messages"  # names the conversation in the client's request


def assemble(draft: Draft) -> ConverseCall:
    model, plan, extra, inference = draft.model, draft.plan, draft.extra, draft.inference
    turns = merge_turns(draft.turns)
    thinking = draft.thinking
    if thinking and ((not plan.as_text and unsigned_tool_turn(turns)) or unsigned_prefill(turns)):
        thinking = None
        thinking_off(extra)
    if thinking:
        plan = relax_for_thinking(inference, extra, plan)
    else:
        turns = without_reasoning(turns)
        if not model.family.forced_tool_choice:
            plan = unforced(plan)
    turns = merge_turns(tool_blocks_as_text(turns) if plan.as_text else turns)
    system = list(draft.system)
    if not turns and system:
        # Only instructions were sent (OpenAI answers those): Bedrock needs a user turn.
        turns, system = [{"role": "user", "content": system}], []
    if not turns:
        raise InvalidRequestError(
            f"{draft.messages_param} must include a non-empty user or assistant message.",
            param=draft.messages_param,
        )
    if not plan.as_text:
        pair_tool_blocks(turns)
    check_image_count(turns, model, draft.messages_param)
    check_document_count(turns, draft.messages_param)
    system.extend({"text": text} for text in plan.instructions)
    if system and not model.family.system:
        turns[0]["content"][:0] = system
        system = []
    trim_prefill(turns)
    tool_config = plan.config()
    add_cache_points(model, draft.cache, system, turns, tool_config)
    kwargs: dict = {"modelId": model.id, "messages": turns}
    optional = {
        "system": system,
        "inferenceConfig": inference,
        "toolConfig": tool_config,
        "additionalModelRequestFields": extra,
    }
    kwargs.update((key, value) for key, value in optional.items() if value)
    fields = dict(draft.fields)
    if plan.text_format:
        fields["outputConfig"] = {**(fields.get("outputConfig") or {}), "textFormat": plan.text_format}
    kwargs.update((key, value) for key, value in fields.items() if value)
    return ConverseCall(kwargs, plan.structured, plan.json_object, thinking is not None)
