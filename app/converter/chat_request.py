"""A validated Chat Completions body → the keyword arguments of Bedrock's Converse call.

Adaptations to Bedrock, each forced by what Converse or the model accepts:
- ``temperature`` above 1 is clamped to 1 (Converse takes 0–1, OpenAI 0–2).
- A family with ``exclusive_sampling`` gets temperature only when both are given.
- ``reasoning_effort`` turns on Anthropic extended thinking with a budget of 30/60/100 %
  of max tokens (at least 1024, below max tokens); ``minimal`` counts as low and
  ``xhigh``/``max`` as high. DeepSeek R1 always reasons and other families have no
  switch, so there it is ignored.
- While thinking, Anthropic refuses changed sampling and forced tool use: temperature,
  top_p and top_k are dropped and a forced tool choice becomes auto.
- With thinking on, Anthropic rejects a tool-use turn that does not start with its
  signed thinking block; when a client dropped it, thinking is off for that request.
- ``response_format`` json_schema becomes a tool the model must call (any tool, when the
  client also offers its own); the response side returns that tool's input as content.
- Past tool calls and results become text when the request sends no tools, since
  Converse refuses tool blocks without a toolConfig.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace

from app.catalogue import ModelInfo
from app.converter.content import (
    ImageLoad,
    Rendering,
    conversation,
    has_signed_reasoning,
    part_texts,
    tool_name,
)
from app.converter.tool_history import pair_tool_blocks
from app.errors import InvalidRequestError

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
GATEWAY_FIELDS = frozenset({"prompt_caching"})

_TOOL_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
MIN_THINKING_BUDGET = 1024
BUDGET_SHARE = {"minimal": 0.3, "low": 0.3, "medium": 0.6, "high": 1.0, "xhigh": 1.0, "max": 1.0}
JSON_OBJECT_INSTRUCTION = (
    "Respond with a single valid JSON object and nothing else: no prose, no code fences."
)
STRUCTURED_DESCRIPTION = "Give the final answer as this tool's input."
STRUCTURED_INSTRUCTION = (
    "When you have the final answer, give it by calling the `{name}` tool; its input is the answer."
)
# Claude on Bedrock takes at most 20 images a request ("too many images and documents:
# 21 + 0 > 20", cline/cline#1844; the Converse reference says "up to 20 images").


@dataclass(frozen=True)
class ConverseCall:
    """What the view sends to Bedrock, and what the response side must know about it."""

    kwargs: dict
    structured_tool: str | None = None
    json_object: bool = False


@dataclass(frozen=True)
class ToolPlan:
    """The toolConfig to send, and how the conversation's tool history is rendered."""

    specs: list[dict] = field(default_factory=list)
    choice: dict | None = None
    structured: str | None = None
    json_object: bool = False
    instructions: tuple[str, ...] = ()
    as_text: bool = True

    def config(self) -> dict | None:
        if not self.specs:
            return None
        config: dict = {"tools": self.specs}
        if self.choice is not None:
            config["toolChoice"] = self.choice
        return config


def openai_to_converse(
    body: dict, model: ModelInfo, load_image: ImageLoad, *, prompt_caching: bool
) -> ConverseCall:
    """Translate a validated Chat Completions body for ``model``."""
    plan = plan_tools(body, model)
    inference = inference_config(body, model)
    extra = passthrough(body, model)
    thinking = thinking_config(body, model, inference, extra)
    unsigned_tool_turn = not plan.as_text and _unsigned_tool_turn(body["messages"])
    if thinking and (unsigned_tool_turn or _unsigned_prefill(body["messages"])):
        thinking = None
        extra.pop("thinking", None)
    if thinking:
        plan = _relax_for_thinking(inference, extra, plan)
    elif not model.family.forced_tool_choice:
        plan = _unforced(plan)
    rendering = Rendering(model, load_image, plan.as_text, keep_reasoning=thinking is not None)
    system, turns = conversation(body["messages"], rendering)
    if not turns and system:
        # Only instructions were sent (OpenAI answers those): Bedrock needs a user turn.
        turns, system = [{"role": "user", "content": system}], []
    if not turns:
        raise InvalidRequestError(
            "messages must include a non-empty user or assistant message.", param="messages"
        )
    if not plan.as_text:
        pair_tool_blocks(turns)
    _check_image_count(turns, model)
    system.extend({"text": text} for text in plan.instructions)
    if system and not model.family.system:
        turns[0]["content"][:0] = system
        system = []
    _trim_prefill(turns)
    _add_cache_points(body, model, prompt_caching, system, turns)
    kwargs = _kwargs(model, turns, system, inference, plan, extra)
    return ConverseCall(kwargs, plan.structured, plan.json_object)


def _kwargs(model: ModelInfo, turns, system, inference, plan: ToolPlan, extra: dict) -> dict:
    kwargs: dict = {"modelId": model.id, "messages": turns}
    optional = {
        "system": system,
        "inferenceConfig": inference,
        "toolConfig": plan.config(),
        "additionalModelRequestFields": extra,
    }
    kwargs.update((key, value) for key, value in optional.items() if value)
    return kwargs


def passthrough(body: dict, model: ModelInfo) -> dict:
    """Keys that are neither OpenAI parameters nor the gateway's own go to the model as-is."""
    extra = {
        key: value for key, value in body.items() if key not in OPENAI_PARAMS and key not in GATEWAY_FIELDS
    }
    *parents, leaf = model.family.top_k_path
    if parents and "top_k" in extra:
        target = extra
        for key in parents:
            target = target.setdefault(key, {})
            if not isinstance(target, dict):
                return extra  # the client sent its own shape there; leave both as sent
        target.setdefault(leaf, extra.pop("top_k"))
    return extra


def inference_config(body: dict, model: ModelInfo) -> dict:
    config: dict = {}
    max_tokens = _max_tokens(body)
    if max_tokens is not None:
        config["maxTokens"] = max_tokens
    if body.get("temperature") is not None:
        config["temperature"] = min(body["temperature"], 1.0)
    if body.get("top_p") is not None and not (model.family.exclusive_sampling and "temperature" in config):
        config["topP"] = body["top_p"]
    stop = body.get("stop")
    sequences = [stop] if isinstance(stop, str) else list(stop or [])
    # Converse refuses empty stop sequences; an empty one never matches anyway. Families that
    # refuse whitespace-only ones (Claude), such as the common ["\n"], do without them.
    kept = bool if model.family.whitespace_stop_sequences else (lambda s: s.strip())
    sequences = [sequence for sequence in sequences if kept(sequence)]
    if sequences:
        config["stopSequences"] = sequences
    return config


def _max_tokens(body: dict) -> int | None:
    if body.get("max_completion_tokens") is not None:
        return body["max_completion_tokens"]
    return body.get("max_tokens")


def _max_tokens_param(body: dict) -> str:
    return "max_completion_tokens" if body.get("max_completion_tokens") is not None else "max_tokens"


def thinking_config(body: dict, model: ModelInfo, inference: dict, extra: dict) -> dict | None:
    """Anthropic's thinking object, from a passthrough ``thinking`` or ``reasoning_effort``."""
    explicit = extra.get("thinking")
    if isinstance(explicit, dict):
        return explicit if explicit.get("type") != "disabled" else None
    effort = body.get("reasoning_effort")
    if effort in (None, "none") or model.family.reasoning != "anthropic":
        return None
    max_tokens = inference.get("maxTokens") or model.family.default_max_tokens
    param = _max_tokens_param(body)
    if max_tokens is None:
        raise InvalidRequestError(f"Set max_tokens to use reasoning_effort with `{model.id}`.", param=param)
    if max_tokens <= MIN_THINKING_BUDGET:
        raise InvalidRequestError(
            f"max_tokens must exceed {MIN_THINKING_BUDGET} when reasoning is enabled.", param=param
        )
    inference["maxTokens"] = max_tokens
    budget = max(int(max_tokens * BUDGET_SHARE[effort]), MIN_THINKING_BUDGET)
    thinking = {"type": "enabled", "budget_tokens": min(budget, max_tokens - 1)}
    extra["thinking"] = thinking
    return thinking


def _unsigned_tool_turn(messages: list[dict]) -> bool:
    """Whether the latest assistant tool call lacks the signed thinking it was made with."""
    for message in reversed(messages):
        if message["role"] == "assistant" and message.get("tool_calls"):
            return not has_signed_reasoning(message)
    return False


def _unsigned_prefill(messages: list[dict]) -> bool:
    """Whether the conversation ends in assistant text (a prefill) without signed thinking.

    Anthropic: "When `thinking` is enabled, a final `assistant` message must start with a
    thinking block" (Aider-AI/aider#3820), so such a request is sent without thinking.
    """
    trailing = []
    for message in reversed(messages):
        if message["role"] not in ("system", "developer", "assistant"):
            break
        if message["role"] == "assistant":
            trailing.append(message)
    prefill = any(m.get("tool_calls") or "".join(part_texts(m.get("content"))).strip() for m in trailing)
    return prefill and not any(has_signed_reasoning(m) for m in trailing)


def _check_image_count(turns: list[dict], model: ModelInfo) -> None:
    limit = model.family.max_images
    images = sum(1 for turn in turns for block in turn["content"] if "image" in block)
    if limit is not None and images > limit:
        raise InvalidRequestError(
            f"This request has {images} images; `{model.id}` takes at most {limit} "
            "per request, counting the whole conversation. Send fewer images.",
            param="messages",
        )


def _relax_for_thinking(inference: dict, extra: dict, plan: ToolPlan) -> ToolPlan:
    inference.pop("temperature", None)
    inference.pop("topP", None)
    extra.pop("top_k", None)
    return _unforced(plan)


def _unforced(plan: ToolPlan) -> ToolPlan:
    """Offer the tools with auto choice; a structured tool is then asked for in words."""
    choice = plan.choice if plan.choice is None or "auto" in plan.choice else {"auto": {}}
    instructions = plan.instructions
    if plan.structured:
        instructions += (STRUCTURED_INSTRUCTION.format(name=plan.structured),)
    return replace(plan, choice=choice, instructions=instructions)


def plan_tools(body: dict, model: ModelInfo) -> ToolPlan:
    specs = tool_specs(body.get("tools") or [], model)
    specs, choice = _tool_choice(body.get("tool_choice"), specs)
    plan = ToolPlan(specs=specs, choice=choice, as_text=not specs)
    return _with_response_format(plan, body.get("response_format"), model)


def tool_specs(tools: list[dict], model: ModelInfo) -> list[dict]:
    if tools and not model.family.tools:
        raise InvalidRequestError(f"The model `{model.id}` does not support tools.", param="tools")
    specs: list[dict] = []
    for k, tool in enumerate(tools):
        specs.append(_tool_spec(tool["function"], f"tools[{k}].function", specs))
    return specs


def _tool_spec(function: dict, param: str, earlier: list[dict]) -> dict:
    name = function["name"]
    if not _TOOL_NAME.match(name):
        raise InvalidRequestError(
            "Tool names must be 1-64 characters of a-z, A-Z, 0-9, underscore or dash.",
            param=f"{param}.name",
        )
    if any(spec["toolSpec"]["name"] == name for spec in earlier):
        raise InvalidRequestError(f"Duplicate tool name `{name}`.", param=f"{param}.name")
    spec: dict = {"name": name}
    if function.get("description"):
        spec["description"] = function["description"]
    spec["inputSchema"] = {"json": _object_schema(function.get("parameters"), f"{param}.parameters")}
    return {"toolSpec": spec}


def _object_schema(parameters: dict | None, param: str) -> dict:
    if not parameters:
        return {"type": "object", "properties": {}}
    if parameters.get("type", "object") != "object":
        raise InvalidRequestError("Tool parameters must be a JSON schema of type object.", param=param)
    # Bedrock's models want an explicit object type; a schema with only properties means one.
    return parameters if "type" in parameters else {"type": "object", **parameters}


def _tool_choice(choice: str | dict | None, specs: list[dict]) -> tuple[list[dict], dict | None]:
    names = [spec["toolSpec"]["name"] for spec in specs]
    if choice is None or choice == "auto":
        return specs, ({"auto": {}} if choice and specs else None)
    if choice == "none":
        return [], None
    if choice == "required":
        _require_tools(specs)
        return specs, {"any": {}}
    if choice["type"] == "function":
        name = choice["function"]["name"]
        _require_known(name, names, "tool_choice.function.name")
        return specs, {"tool": {"name": name}}
    return _allowed_tools(choice["allowed_tools"], specs, names)


def _allowed_tools(allowed: dict, specs: list[dict], names: list[str]) -> tuple[list[dict], dict]:
    wanted = [ref["function"]["name"] for ref in allowed["tools"]]
    for k, name in enumerate(wanted):
        _require_known(name, names, f"tool_choice.allowed_tools.tools[{k}].function.name")
    kept = [spec for spec in specs if spec["toolSpec"]["name"] in wanted]
    _require_tools(kept)
    return kept, ({"any": {}} if allowed["mode"] == "required" else {"auto": {}})


def _require_tools(specs: list[dict]) -> None:
    if not specs:
        raise InvalidRequestError(
            "This tool_choice requires at least one tool in tools.", param="tool_choice"
        )


def _require_known(name: str, names: list[str], param: str) -> None:
    if name not in names:
        raise InvalidRequestError(f"tool_choice names `{name}`, which is not in tools.", param=param)


def _with_response_format(plan: ToolPlan, response_format: dict | None, model: ModelInfo) -> ToolPlan:
    kind = (response_format or {}).get("type", "text")
    if kind == "json_object":
        return replace(plan, json_object=True, instructions=(JSON_OBJECT_INSTRUCTION,))
    if kind != "json_schema":
        return plan
    spec = response_format["json_schema"]
    if not model.family.tools:
        # No tools to carry the schema: ask for JSON in words and check the answer parses.
        words = f"{JSON_OBJECT_INSTRUCTION} It must match this JSON schema: {json.dumps(spec['schema'])}"
        return replace(plan, json_object=True, instructions=(words,))
    return _structured_tool(plan, spec)


def _structured_tool(plan: ToolPlan, spec: dict) -> ToolPlan:
    name = tool_name(spec["name"])
    if any(tool["toolSpec"]["name"] == name for tool in plan.specs):
        raise InvalidRequestError(
            f"response_format name `{name}` is also a tool name.", param="response_format.json_schema.name"
        )
    tool = {
        "name": name,
        "description": spec.get("description") or STRUCTURED_DESCRIPTION,
        "inputSchema": {"json": _object_schema(spec["schema"], "response_format.json_schema.schema")},
    }
    # With the client's own tools on offer the model may still call one of them first.
    forced = plan.choice if plan.choice and "tool" in plan.choice else None
    choice = forced or ({"any": {}} if plan.specs else {"tool": {"name": name}})
    return replace(plan, specs=[*plan.specs, {"toolSpec": tool}], choice=choice, structured=name)


def _trim_prefill(turns: list[dict]) -> None:
    """Anthropic refuses a final assistant turn (a prefill) that ends in whitespace."""
    last = turns[-1]
    if last["role"] == "assistant" and "text" in last["content"][-1]:
        last["content"][-1] = {"text": last["content"][-1]["text"].rstrip()}


def _add_cache_points(body: dict, model: ModelInfo, default: bool, system: list, turns: list) -> None:
    """Cache points after the system prompt and/or at the end of the last user turn."""
    if not model.family.prompt_caching:
        return
    control = body.get("prompt_caching")
    if isinstance(control, bool):
        control = {"system": control, "messages": control}
    control = control or {}
    if system and control.get("system", default):
        system.append({"cachePoint": {"type": "default"}})
    user_turns = [turn for turn in turns if turn["role"] == "user"]
    if user_turns and control.get("messages", default):
        user_turns[-1]["content"].append({"cachePoint": {"type": "default"}})
