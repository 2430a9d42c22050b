"""An Anthropic Messages body → the body Bedrock's InvokeModel takes for Claude.

Bedrock's Claude refuses what Anthropic's own API takes and it does not: top-level
fields it does not know ("context_management: Extra inputs are not permitted"), betas it
does not offer ("invalid beta flag"), per-tool extensions (``defer_loading``,
``eager_input_streaming``, ``input_examples``), ``cache_control.scope``, more than four
cache breakpoints and Claude Code's ``x-anthropic-billing-header`` system block. What each
Claude generation takes is data (``GENERATIONS``); everything else is dropped, logged at
debug level, never refused. The rest goes through unchanged: thinking signatures,
redacted thinking, tool types, documents and cache ttls survive.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from app.catalogue import ModelInfo

log = logging.getLogger(__name__)

BEDROCK_VERSION = "bedrock-2023-05-31"
TOP_LEVEL = frozenset(
    {
        "anthropic_version", "anthropic_beta", "max_tokens", "messages", "system",
        "stop_sequences", "temperature", "top_p", "top_k", "tools", "tool_choice",
        "thinking", "metadata",
    }
)  # fmt: skip
CUSTOM_TOOL_FIELDS = frozenset({"type", "name", "description", "input_schema", "cache_control"})
# Tool fields Bedrock takes only with the beta that defines them; the rest are dropped.
TOOL_FIELD_BETAS = {
    "defer_loading": "tool-search-tool-2025-10-19",
    "input_examples": "tool-examples-2025-10-29",
}
TYPED_TOOLS = re.compile(r"^(bash|text_editor|computer|tool_search_tool_(regex|bm25))_\d{8}$")
# Anthropic's first-party beta names that Bedrock spells differently.
BETA_RENAMES = {"advanced-tool-use-2025-11-20": "tool-search-tool-2025-10-19"}
CONTEXT_MANAGEMENT_BETA = "context-management-2025-06-27"
CONTEXT_EDITS = frozenset({"clear_thinking_20251015", "clear_tool_uses_20250919"})
CONTEXT_1M_BETA = "context-1m-2025-08-07"
INTERLEAVED_BETA = "interleaved-thinking-2025-05-14"
BILLING_HEADER = "x-anthropic-billing-header"
MAX_CACHE_BREAKPOINTS = 4
MIN_THINKING_BUDGET = 1024
MAX_USER_ID = 256

CLAUDE_4_BETAS = frozenset(
    {
        INTERLEAVED_BETA,
        "dev-full-thinking-2025-05-14",
        "fine-grained-tool-streaming-2025-05-14",
        "token-efficient-tools-2025-02-19",
        "computer-use-2025-01-24",
    }
)


@dataclass(frozen=True)
class Generation:
    """What one Claude generation takes on Bedrock's InvokeModel beyond the common body.

    Cache ttls and adaptive thinking are the model family's (``cache_ttl``, ``reasoning``)."""

    name: str
    betas: frozenset[str] = frozenset()
    effort: bool = False  # output_config {"effort"}


# Bedrock user guide, "Anthropic Claude Messages API", supported beta headers; first match wins.
# Claude Opus 4.5 and later: context management, tool search and examples, effort.
CLAUDE_OPUS_45_BETAS = CLAUDE_4_BETAS | {
    CONTEXT_MANAGEMENT_BETA,
    "tool-search-tool-2025-10-19",
    "tool-examples-2025-10-29",
    "effort-2025-11-24",
    "computer-use-2025-11-24",
}

# Bedrock user guide, "Anthropic Claude Messages API", supported beta headers; first match wins.
GENERATIONS: tuple[tuple[str, Generation], ...] = (
    (
        r"anthropic\.claude-(opus|sonnet)-4-[6-9]",
        Generation(
            "claude-4.6",
            CLAUDE_OPUS_45_BETAS | {CONTEXT_1M_BETA},
            effort=True,
        ),
    ),
    (
        r"anthropic\.claude-opus-4-5",
        Generation("claude-opus-4.5", CLAUDE_OPUS_45_BETAS, effort=True),
    ),
    (
        r"anthropic\.claude-sonnet-4-5",
        Generation(
            "claude-sonnet-4.5",
            CLAUDE_4_BETAS | {CONTEXT_1M_BETA, CONTEXT_MANAGEMENT_BETA, "tool-search-tool-2025-10-19"},
        ),
    ),
    (
        r"anthropic\.claude-haiku-4-5",
        Generation("claude-haiku-4.5", CLAUDE_4_BETAS | {CONTEXT_MANAGEMENT_BETA}),
    ),
    (r"anthropic\.claude-sonnet-4", Generation("claude-sonnet-4", CLAUDE_4_BETAS | {CONTEXT_1M_BETA})),
    (r"anthropic\.claude-opus-4", Generation("claude-opus-4", CLAUDE_4_BETAS)),
    (
        r"anthropic\.claude-3-7-sonnet",
        Generation(
            "claude-3.7",
            frozenset(
                {"computer-use-2025-01-24", "token-efficient-tools-2025-02-19", "output-128k-2025-02-19"}
            ),
        ),
    ),
    (
        r"anthropic\.claude-3-5-sonnet-20241022",
        Generation("claude-3.5-v2", frozenset({"computer-use-2024-10-22"})),
    ),
    (r"anthropic\.claude", Generation("claude")),
)
_COMPILED = tuple((re.compile(pattern), generation) for pattern, generation in GENERATIONS)


def generation_of(model: ModelInfo) -> Generation:
    for pattern, generation in _COMPILED:
        if pattern.match(model.foundation_id):
            return generation
    return Generation("unknown")


def split_betas(header: str | None, body_betas: object = None) -> list[str]:
    """The ``anthropic-beta`` header's comma-separated names, then any the body lists."""
    names = [name.strip() for name in (header or "").split(",")]
    if isinstance(body_betas, list):
        names += [name for name in body_betas if isinstance(name, str)]
    return [name for name in names if name]


class Sanitizer:
    """One request's body made acceptable to Bedrock; what was dropped is logged."""

    def __init__(self, model: ModelInfo, betas: list[str]):
        self.model = model
        self.generation = generation_of(model)
        self.dropped: list[str] = []
        self.betas = self._betas(betas)

    def body(self, body: dict) -> dict:
        """The InvokeModel body for a validated Messages (or count_tokens) body."""
        # A null optional field means "not given", as on Anthropic's API.
        out = {k: v for k, v in body.items() if v is not None and self._keep_top_level(k)}
        out["anthropic_version"] = BEDROCK_VERSION
        out.pop("anthropic_beta", None)  # the client's list, already read into self.betas
        if self.betas:
            out["anthropic_beta"] = self.betas
        self._system(out)
        self._tools(out)
        self._sampling(out)
        self._thinking(out)
        self._context_management(out)
        self._output_config(out)
        self._metadata(out)
        out["messages"] = [dict(message) for message in out["messages"]]
        self._cache_controls(out, body.get("cache_control"))
        if self.dropped:
            log.debug("dropped for %s: %s", self.model.id, ", ".join(self.dropped))
        return out

    def _drop(self, what: str) -> None:
        self.dropped.append(what)

    def _betas(self, names: list[str]) -> list[str]:
        kept: list[str] = []
        for name in names:
            bedrock_name = BETA_RENAMES.get(name, name)
            if bedrock_name not in self.generation.betas:
                self._drop(f"beta {name}")
            elif bedrock_name not in kept:
                kept.append(bedrock_name)
        return kept

    def _keep_top_level(self, key: str) -> bool:
        optional = {"context_management", "output_config"}
        if key in TOP_LEVEL or key in optional:
            return True
        if key not in ("model", "stream", "anthropic_version", "cache_control"):
            self._drop(key)
        return False

    def _system(self, out: dict) -> None:
        system = out.get("system")
        if not isinstance(system, list):
            if isinstance(system, str) and system.startswith(BILLING_HEADER):
                self._drop("billing header system text")
                del out["system"]
            return
        kept = [block for block in system if not str(block.get("text", "")).startswith(BILLING_HEADER)]
        if len(kept) < len(system):
            self._drop("billing header system block")
        if kept:
            out["system"] = [dict(block) for block in kept]
        else:
            del out["system"]

    def _tools(self, out: dict) -> None:
        tools = out.get("tools")
        if tools is None:
            return
        kept = [tool for tool in (self._tool(tool) for tool in tools) if tool is not None]
        names = {tool.get("name") for tool in kept}
        choice = out.get("tool_choice") or {}
        if not kept:
            out.pop("tools")
            if choice.get("type") != "none":
                out.pop("tool_choice", None)
        else:
            out["tools"] = kept
        if choice.get("type") == "tool" and choice.get("name") not in names:
            self._drop("tool_choice for a dropped tool")
            out.pop("tool_choice", None)

    def _tool(self, tool: dict) -> dict | None:
        kind = tool.get("type", "custom")
        if kind != "custom":
            if TYPED_TOOLS.match(kind):
                return dict(tool)
            self._drop(f"tool type {kind}")
            return None
        kept = {}
        for key, value in tool.items():
            if key in CUSTOM_TOOL_FIELDS or TOOL_FIELD_BETAS.get(key) in self.betas:
                kept[key] = value
            else:
                self._drop(f"tools.{tool.get('name')}.{key}")
        return kept

    def _sampling(self, out: dict) -> None:
        if self.model.family.exclusive_sampling and out.get("temperature") is not None:
            if out.get("top_p") is not None:
                self._drop("top_p (this model takes temperature or top_p)")
                out.pop("top_p")
        sequences = out.get("stop_sequences")
        if sequences and not self.model.family.whitespace_stop_sequences:
            out["stop_sequences"] = [sequence for sequence in sequences if sequence.strip()]

    def _thinking(self, out: dict) -> None:
        thinking = out.get("thinking")
        if not thinking or thinking.get("type") == "disabled":
            return
        if not self.model.family.anthropic_thinking:
            self._drop("thinking (this model does not think)")
            out.pop("thinking")
            return
        thinking = {key: thinking[key] for key in ("type", "budget_tokens", "display") if key in thinking}
        if thinking["type"] == "adaptive" and self.model.family.reasoning != "adaptive":
            thinking = {"type": "enabled", "budget_tokens": out.get("max_tokens", 0) - 1}
        if thinking["type"] == "enabled":
            limit = out.get("max_tokens", 0) - 1 if INTERLEAVED_BETA not in self.betas else None
            budget = thinking.get("budget_tokens", MIN_THINKING_BUDGET)
            thinking["budget_tokens"] = budget if limit is None else min(budget, limit)
            if thinking["budget_tokens"] < MIN_THINKING_BUDGET:
                self._drop("thinking (max_tokens leaves no thinking budget)")
                out.pop("thinking")
                return
        if _unsigned_tool_turn(out["messages"]):
            # The client dropped the thinking its last tool call was made with: Bedrock would refuse.
            self._drop("thinking (the last tool-use turn has no thinking block)")
            out.pop("thinking")
            return
        out["thinking"] = thinking

    def _context_management(self, out: dict) -> None:
        config = out.pop("context_management", None)
        if not isinstance(config, dict):
            return
        if CONTEXT_MANAGEMENT_BETA not in self.betas:
            self._drop("context_management")
            return
        thinking = bool(out.get("thinking"))
        asked = config.get("edits") if isinstance(config.get("edits"), list) else []
        edits = [
            edit
            for edit in asked
            if isinstance(edit, dict)
            and edit.get("type") in CONTEXT_EDITS
            and (thinking or edit["type"] != "clear_thinking_20251015")
        ]
        if len(edits) < len(asked) or set(config) - {"edits"}:
            self._drop("context_management edits Bedrock does not take")
        if edits:
            out["context_management"] = {"edits": edits}

    def _output_config(self, out: dict) -> None:
        config = out.pop("output_config", None)
        if not isinstance(config, dict):
            return
        if self.generation.effort and "effort" in config:
            out["output_config"] = {"effort": config["effort"]}
        if set(config) - ({"effort"} if self.generation.effort else set()):
            self._drop("output_config")

    def _metadata(self, out: dict) -> None:
        metadata = out.pop("metadata", None)
        user_id = metadata.get("user_id") if isinstance(metadata, dict) else None
        if isinstance(user_id, str) and len(user_id) <= MAX_USER_ID:
            out["metadata"] = {"user_id": user_id}
        elif metadata:
            self._drop("metadata")

    def _cache_controls(self, out: dict, automatic: object) -> None:
        """Bedrock's cache_control: no scope, ttl where the model has it, at most four."""
        system = out.get("system")
        holders = [*out.get("tools", []), *(system if isinstance(system, list) else [])]
        in_messages: list[dict] = []
        for message in out["messages"]:
            content = message["content"]
            if isinstance(content, str):
                content = [{"type": "text", "text": content}] if content.strip() else []
            message["content"] = [dict(block) for block in content]
            in_messages += message["content"]
        if isinstance(automatic, dict) and in_messages:
            # Top-level cache_control asks Anthropic to place the breakpoint: the last block.
            in_messages[-1].setdefault("cache_control", automatic)
        for holder in [*holders, *in_messages]:
            if "cache_control" in holder and holder["cache_control"] is None:
                del holder["cache_control"]
        marked = [holder for holder in [*holders, *in_messages] if "cache_control" in holder]
        for holder in marked:
            holder["cache_control"] = self._cache_control(holder["cache_control"])
        excess = len(marked) - MAX_CACHE_BREAKPOINTS
        if excess > 0:
            self._drop(f"{excess} cache breakpoints over {MAX_CACHE_BREAKPOINTS}")
            # The earliest message breakpoints go first: the later ones cover a longer prefix.
            message_ids = {id(block) for block in in_messages}
            ordered = [h for h in marked if id(h) in message_ids] + [
                h for h in marked if id(h) not in message_ids
            ]
            for holder in ordered[:excess]:
                del holder["cache_control"]

    def _cache_control(self, control: dict) -> dict:
        kept = {"type": "ephemeral"}
        if self.model.family.cache_ttl and "ttl" in control:
            kept["ttl"] = control["ttl"]
        if set(control) - set(kept) - {"type"}:
            self._drop("cache_control fields")
        return kept


def _unsigned_tool_turn(messages: list[dict]) -> bool:
    """Whether the latest assistant turn with a tool call does not open with thinking."""
    for message in reversed(messages):
        content = message.get("content")
        if message.get("role") != "assistant" or not isinstance(content, list):
            continue
        if any(block.get("type") == "tool_use" for block in content):
            return content[0].get("type") not in ("thinking", "redacted_thinking")
    return False
