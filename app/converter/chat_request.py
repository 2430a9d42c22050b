"""A validated Chat Completions body → the keyword arguments of Bedrock's Converse call.

The OpenAI-specific part: which fields mean what. The rules Bedrock enforces whatever the
dialect (sampling limits, thinking budgets, tool choice, structured output, turn order,
cache points) live in ``app.converse`` and are shared with the other dialects.
"""

from __future__ import annotations

from app.catalogue import ModelInfo
from app.converse.blocks import ImageLoad
from app.converse.caching import CachePlan, cache_marker
from app.converse.call import ConverseCall, Draft, assemble
from app.converse.controls import Deployment, guardrail_config, performance_config, service_tier
from app.converse.inference import inference_config, place_top_k
from app.converse.metadata import request_metadata
from app.converse.structured import with_json_object, with_json_schema
from app.converse.thinking import effort_fields, thinking_config
from app.converse.tools import ToolPlan, choose, require_tool_support, tool_spec
from app.converter.content import conversation

# Every key of openai-python's CompletionCreateParams: none of them is forwarded to Bedrock.
OPENAI_PARAMS = frozenset(
    {
        "audio", "frequency_penalty", "function_call", "functions", "logit_bias", "logprobs",
        "max_completion_tokens", "max_tokens", "messages", "metadata", "modalities", "model",
        "moderation", "n", "parallel_tool_calls", "prediction", "presence_penalty",
        "prompt_cache_key", "prompt_cache_options", "prompt_cache_retention",
        "reasoning_effort", "response_format", "safety_identifier", "seed", "service_tier",
        "stop", "store", "stream", "stream_options", "temperature", "tool_choice", "tools",
        "top_logprobs", "top_p", "user", "verbosity", "web_search_options",
    }
)  # fmt: skip
# The gateway's own fields, and the Converse fields a client may set (extra_body).
GATEWAY_FIELDS = frozenset({"prompt_caching", "guardrailConfig", "performanceConfig"})


def openai_to_converse(
    body: dict, model: ModelInfo, load_image: ImageLoad, *, deployment: Deployment
) -> ConverseCall:
    """Translate a validated Chat Completions body for ``model``."""
    plan = plan_tools(body, model)
    inference = inference_config(
        model,
        max_tokens=_max_tokens(body),
        temperature=body.get("temperature"),
        top_p=body.get("top_p"),
        stop=body.get("stop"),
    )
    extra = passthrough(body, model)
    param = _max_tokens_param(body)
    thinking = thinking_config(
        body.get("reasoning_effort"), extra.get("thinking"), model, inference, extra, param
    )
    system, turns = conversation(body["messages"], model, load_image)
    fields = {
        **effort_fields(body.get("reasoning_effort"), model, inference, extra),
        "requestMetadata": request_metadata(body.get("metadata"), user=body.get("user")),
        "serviceTier": service_tier(body.get("service_tier"), model, "service_tier"),
        "performanceConfig": performance_config(
            body.get("performanceConfig"), deployment, model, "performanceConfig"
        ),
        "guardrailConfig": guardrail_config(
            body.get("guardrailConfig"),
            deployment,
            stream=bool(body.get("stream")) and model.streaming,
            param="guardrailConfig",
        ),
    }
    draft = Draft(
        model,
        system,
        turns,
        inference,
        plan,
        thinking,
        extra,
        cache=_cache_plan(body, deployment.prompt_caching),
        fields=fields,
    )
    return assemble(draft)


def passthrough(body: dict, model: ModelInfo) -> dict:
    """Keys that are neither OpenAI parameters nor the gateway's own go to the model as-is."""
    extra = {
        key: value for key, value in body.items() if key not in OPENAI_PARAMS and key not in GATEWAY_FIELDS
    }
    return place_top_k(extra, model)


def _max_tokens(body: dict) -> int | None:
    if body.get("max_completion_tokens") is not None:
        return body["max_completion_tokens"]
    return body.get("max_tokens")


def _max_tokens_param(body: dict) -> str:
    return "max_completion_tokens" if body.get("max_completion_tokens") is not None else "max_tokens"


def plan_tools(body: dict, model: ModelInfo) -> ToolPlan:
    tools = body.get("tools") or []
    if tools:
        require_tool_support(model, "tools")
    specs: list[dict] = []
    for k, tool in enumerate(tools):
        function = tool["function"]
        param = f"tools[{k}].function"
        # Strict tool use is Bedrock's structured output for tool input: same families.
        strict = bool(function.get("strict")) and model.family.native_structured_output
        specs.append(
            tool_spec(
                function["name"],
                function.get("description"),
                function.get("parameters"),
                param,
                specs,
                strict=strict,
            )
        )
    plan = _choose(body.get("tool_choice"), specs)
    response_format = body.get("response_format") or {}
    kind = response_format.get("type", "text")
    if kind == "json_object":
        return with_json_object(plan, model)
    if kind == "json_schema":
        spec = response_format["json_schema"]
        param = "response_format.json_schema"
        return with_json_schema(
            plan,
            spec["name"],
            spec["schema"],
            spec.get("description"),
            model,
            param,
            strict=bool(spec.get("strict")),
        )
    return plan


def _choose(choice: str | dict | None, specs: list[dict]) -> ToolPlan:
    if choice is None or isinstance(choice, str):
        return choose(specs, {"required": "any"}.get(choice, choice))
    if choice["type"] == "function":
        return choose(specs, "tool", name=choice["function"]["name"], param="tool_choice.function.name")
    allowed = choice["allowed_tools"]
    names = [
        (ref["function"]["name"], f"tool_choice.allowed_tools.tools[{k}].function.name")
        for k, ref in enumerate(allowed["tools"])
    ]
    return choose(specs, "any" if allowed["mode"] == "required" else "auto", allowed=names)


def _cache_plan(body: dict, default: bool) -> CachePlan:
    """``prompt_caching``: true/false, or ``{"system": bool, "messages": bool}``; marked tools."""
    control = body.get("prompt_caching")
    if isinstance(control, bool):
        control = {"system": control, "messages": control}
    control = control or {}
    marked = {
        tool["function"]["name"]: cache_marker(tool.get("cache_control"))
        for tool in body.get("tools") or []
        if cache_marker(tool.get("cache_control"))
    }
    return CachePlan(
        system=control.get("system", default), messages=control.get("messages", default), after_tools=marked
    )
