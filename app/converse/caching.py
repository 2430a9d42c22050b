"""Cache points, for the models that take them.

A dialect says where it wants them: after the system prompt, after the tools, at the end
of the newest user turn (``CachePlan``), and after any block or tool a client marked
(Anthropic's ``cache_control``, which many OpenAI clients also send: ``cache_marker``).
Models without prompt caching get none; a ``ttl`` goes only to the families that take
one; beyond Bedrock's maximum of cache points the earliest are dropped (the last ones
kept), never a refusal.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from app.catalogue import ModelInfo

MAX_CACHE_POINTS = 4
TTLS = ("5m", "1h")


def cache_point() -> dict:
    return {"cachePoint": {"type": "default"}}


def cache_marker(control: object) -> dict | None:
    """The cache point a ``cache_control`` marker asks for, or None without a marker."""
    if not isinstance(control, dict):
        return None
    point = cache_point()
    if control.get("ttl") in TTLS:
        point["cachePoint"]["ttl"] = control["ttl"]
    return point


@dataclass(frozen=True)
class CachePlan:
    system: bool = False
    messages: bool = False
    tools: bool = False
    # Tool name → the cache point its client marked, placed right after that tool.
    after_tools: dict = field(default_factory=dict)


def add_cache_points(
    model: ModelInfo, plan: CachePlan, system: list, turns: list, tool_config: dict | None
) -> None:
    if not model.family.prompt_caching:
        _remove_points(system, turns, tool_config)
        return
    if tool_config:
        _mark_tools(tool_config["tools"], plan.after_tools)
    if system and plan.system:
        system.append(cache_point())
    if tool_config and plan.tools:
        tool_config["tools"].append(cache_point())
    user_turns = [turn for turn in turns if turn["role"] == "user"]
    if user_turns and plan.messages:
        user_turns[-1]["content"].append(cache_point())
    _tidy(system, turns, tool_config, model.family.cache_ttl)


def _mark_tools(tools: list[dict], after: dict) -> None:
    for index in range(len(tools) - 1, -1, -1):
        name = tools[index].get("toolSpec", {}).get("name")
        if name in after:
            tools.insert(index + 1, after[name])


def _lists(system: list, turns: list, tool_config: dict | None) -> list[list]:
    """Every block list in the order Bedrock caches the prompt: tools, system, messages."""
    return [*([tool_config["tools"]] if tool_config else []), system, *(t["content"] for t in turns)]


def _remove_points(system: list, turns: list, tool_config: dict | None) -> None:
    for blocks in _lists(system, turns, tool_config):
        blocks[:] = [block for block in blocks if "cachePoint" not in block]


def _tidy(system: list, turns: list, tool_config: dict | None, ttl: bool) -> None:
    """No point opening a list or doubling another; no ttl where none is taken; at most the maximum."""
    kept: list[dict] = []
    for blocks in _lists(system, turns, tool_config):
        tidied = []
        for block in blocks:
            if "cachePoint" in block:
                if not tidied or "cachePoint" in tidied[-1]:
                    continue
                if not ttl:
                    block = cache_point()
                kept.append(block)
            tidied.append(block)
        blocks[:] = tidied
    surplus = {id(block) for block in kept[: max(0, len(kept) - MAX_CACHE_POINTS)]}
    if surplus:
        for blocks in _lists(system, turns, tool_config):
            blocks[:] = [block for block in blocks if id(block) not in surplus]
