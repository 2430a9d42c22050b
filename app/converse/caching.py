"""Cache points, for the models that take them.

A dialect says where it wants them (after the system prompt, after the tools, at the end
of the newest user turn); models without prompt caching get none.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.catalogue import ModelInfo


def cache_point() -> dict:
    return {"cachePoint": {"type": "default"}}


@dataclass(frozen=True)
class CachePlan:
    system: bool = False
    messages: bool = False
    tools: bool = False


def add_cache_points(
    model: ModelInfo, plan: CachePlan, system: list, turns: list, tool_config: dict | None
) -> None:
    if not model.family.prompt_caching:
        return
    if system and plan.system:
        system.append(cache_point())
    if tool_config and plan.tools:
        tool_config["tools"].append(cache_point())
    user_turns = [turn for turn in turns if turn["role"] == "user"]
    if user_turns and plan.messages:
        user_turns[-1]["content"].append(cache_point())
