"""Reasoning effort → each family's own reasoning switch, and the rules that come with it.

- Claude (``anthropic``): extended thinking with a budget of 30/60/100 % of max tokens
  (at least 1024, below max tokens); ``minimal`` counts as low and ``xhigh``/``max`` as high.
- Claude with adaptive thinking (``adaptive``): ``thinking: {"type": "adaptive"}`` and the
  effort in Converse's ``outputConfig.effort`` (low, medium, high, max).
- Nova 2 (``nova``): ``reasoningConfig`` with ``maxReasoningEffort`` low/medium/high; at
  high Nova takes no temperature, top_p or max tokens, so those are left out.
- gpt-oss: its own ``reasoning_effort`` (low/medium/high).
DeepSeek R1 always reasons and other families have no switch, so there it is ignored.
While Claude thinks, Anthropic refuses changed sampling and forced tool use.
"""

from __future__ import annotations

from app.catalogue import ModelInfo
from app.converse.tools import ToolPlan, unforced
from app.errors import InvalidRequestError

MIN_THINKING_BUDGET = 1024
BUDGET_SHARE = {"minimal": 0.3, "low": 0.3, "medium": 0.6, "high": 1.0, "xhigh": 1.0, "max": 1.0}
ADAPTIVE_EFFORT = {
    "minimal": "low",
    "low": "low",
    "medium": "medium",
    "high": "high",
    "xhigh": "max",
    "max": "max",
}
THREE_LEVELS = {
    "minimal": "low",
    "low": "low",
    "medium": "medium",
    "high": "high",
    "xhigh": "high",
    "max": "high",
}


def thinking_config(
    effort: str | None, explicit: object, model: ModelInfo, inference: dict, extra: dict, param: str
) -> dict | None:
    """Anthropic's thinking object, from a client's own ``thinking`` object or an effort.

    ``param`` names the max-tokens field of the client's request; the chosen object is
    also put in ``extra`` (additionalModelRequestFields), where Converse takes it.
    """
    if isinstance(explicit, dict):
        return explicit if explicit.get("type") != "disabled" else None
    if effort in (None, "none") or effort not in BUDGET_SHARE:
        return None
    if model.family.reasoning == "adaptive":
        extra["thinking"] = {"type": "adaptive"}
        return extra["thinking"]
    if model.family.reasoning != "anthropic":
        return None
    max_tokens = inference.get("maxTokens") or model.family.default_max_tokens
    if max_tokens is None:
        raise InvalidRequestError(f"Set {param} to use reasoning with `{model.id}`.", param=param)
    if max_tokens <= MIN_THINKING_BUDGET:
        raise InvalidRequestError(
            f"{param} must exceed {MIN_THINKING_BUDGET} when reasoning is enabled.", param=param
        )
    inference["maxTokens"] = max_tokens
    budget = max(int(max_tokens * BUDGET_SHARE[effort]), MIN_THINKING_BUDGET)
    thinking = {"type": "enabled", "budget_tokens": min(budget, max_tokens - 1)}
    extra["thinking"] = thinking
    return thinking


def effort_fields(effort: str | None, model: ModelInfo, inference: dict, extra: dict) -> dict:
    """The effort for families that take it outside a thinking budget.

    Nova's and gpt-oss's switches go in ``extra`` (additionalModelRequestFields); the
    top-level Converse fields (outputConfig) are returned.
    """
    if effort in (None, "none") or effort not in BUDGET_SHARE:
        return {}
    style = model.family.reasoning
    if style == "adaptive":
        return {"outputConfig": {"effort": ADAPTIVE_EFFORT[effort]}}
    if style == "nova":
        level = THREE_LEVELS[effort]
        extra["reasoningConfig"] = {"type": "enabled", "maxReasoningEffort": level}
        if level == "high":
            for key in ("temperature", "topP", "maxTokens"):
                inference.pop(key, None)
    elif style == "gpt-oss":
        extra["reasoning_effort"] = THREE_LEVELS[effort]
    return {}


def relax_for_thinking(inference: dict, extra: dict, plan: ToolPlan) -> ToolPlan:
    """Anthropic, while thinking: no changed sampling, no forced tool use."""
    inference.pop("temperature", None)
    inference.pop("topP", None)
    extra.pop("top_k", None)
    return unforced(plan)


def thinking_off(extra: dict) -> None:
    extra.pop("thinking", None)
