"""The scripted model: turns a validated Converse request into content, stop reason, usage."""

import base64
import hashlib
import json
import re
from dataclasses import dataclass, field

from app.emulator import features
from app.emulator.catalogue import Model
from app.emulator.directives import Script
from app.emulator.minimal_input import minimal_input
from app.emulator.prompt import Prompt, last_user_message, read_prompt
from app.emulator.state import EmulatorState
from app.emulator.thinking import sign, thinking_config
from app.emulator.usage import compute_usage


@dataclass
class Reply:
    """What the emulated model answered."""

    blocks: list[dict]
    stop_reason: str
    usage: dict
    script: Script
    stop_sequence: str | None = None
    trace: dict | None = None
    fields: dict = field(default_factory=dict)  # serviceTier, performanceConfig


def build_reply(
    model: Model, model_id: str, body: dict, state: EmulatorState, received: dict | None = None
) -> Reply:
    """The scripted answer to a Converse-shaped `body`; @@echo reflects `received` (default `body`)."""
    prompt = read_prompt(body)
    script = prompt.script
    if script.guardrail and body.get("guardrailConfig"):
        blocks = [{"text": features.GUARDRAIL_BLOCKED}]
        usage = compute_usage(model_id, body, blocks, script, state)
        trace = features.guardrail_trace(body)
        fields = features.response_fields(body)
        return Reply(blocks, "guardrail_intervened", usage, script, trace=trace, fields=fields)
    tools = _tool_blocks(prompt, _offered_tools(body)) or _forced_tool_block(body, prompt)
    echoed = {**(body if received is None else received), "modelId": model_id}
    texts = _texts(body, echoed, prompt, bool(tools))
    texts, cut, matched = (texts, None, None) if script.echo else _limit(texts, body)
    if cut:
        tools = []
    reasoning = _reasoning_block(model, body, prompt)
    blocks = [*reasoning, *({"text": t} for t in texts if t), *tools]
    stop = script.stop or cut or ("tool_use" if tools else "end_turn")
    usage = compute_usage(model_id, body, blocks, script, state)
    return Reply(blocks, stop, usage, script, matched, fields=features.response_fields(body))


def _texts(body: dict, echoed: dict, prompt: Prompt, has_tools: bool) -> list[str]:
    script = prompt.script
    if script.echo:
        return [json.dumps(echoed)]
    if script.replies:
        return list(script.replies)
    if script.words is not None:
        return [" ".join(f"word{i}" for i in range(1, script.words + 1))]
    if has_tools:
        return []
    text_format = (body.get("outputConfig") or {}).get("textFormat")
    if text_format is not None:
        return [json.dumps(minimal_input(features.json_schema(text_format)))]
    if prompt.tool_results and not prompt.has_text:
        results = "; ".join(f"{tool_id}={text}" for tool_id, text in prompt.tool_results)
        return [f"Tool results: {results}"]
    return [f"Echo: {prompt.user_text}".rstrip() + _documents_note(body)]


def _documents_note(body: dict) -> str:
    # Converse document blocks; the Messages view of InvokeModel carries none of their fields.
    found = [d for d in features.documents([last_user_message(body.get("messages") or [])]) if "source" in d]
    if not found:
        return ""
    named = (f"{d['name']} ({d['format']}, {len(features.document_bytes(d))} bytes)" for d in found)
    return f" [documents: {', '.join(named)}]"


def _offered_tools(body: dict) -> set[str]:
    tools = (body.get("toolConfig") or {}).get("tools") or []
    return {tool["toolSpec"]["name"] for tool in tools if "toolSpec" in tool}


def _tool_blocks(prompt: Prompt, offered: set[str]) -> list[dict]:
    """A model can only call the tools the request offers; other scripted calls are ignored."""
    blocks = []
    for index, (name, args) in enumerate(prompt.script.tools):
        if name in offered:
            blocks.append(_tool_use(index, name, args, prompt))
    return blocks


def _forced_tool_block(body: dict, prompt: Prompt) -> list[dict]:
    """Bedrock always calls a tool under toolChoice ``tool`` (that one) or ``any`` (here the
    first): unless a directive scripts the answer, call it with a minimal schema instance."""
    config = body.get("toolConfig") or {}
    choice = config.get("toolChoice") or {}
    script = prompt.script
    if script.tools or script.replies or script.echo or script.words is not None:
        return []
    specs = [tool["toolSpec"] for tool in config.get("tools") or [] if "toolSpec" in tool]
    if "tool" in choice:
        specs = [spec for spec in specs if spec["name"] == choice["tool"]["name"]]
    elif "any" not in choice:
        return []
    if not specs:
        return []
    spec = specs[0]
    args = minimal_input(spec.get("inputSchema", {}).get("json") or {})
    return [_tool_use(0, spec["name"], args, prompt)]


def _tool_use(index: int, name: str, args: dict, prompt: Prompt) -> dict:
    seed = f"{index}\0{name}\0{json.dumps(args)}\0{prompt.user_text}"
    tool_id = "tooluse_" + hashlib.sha256(seed.encode()).hexdigest()[:22]
    return {"toolUse": {"toolUseId": tool_id, "name": name, "input": args}}


def _reasoning_block(model: Model, body: dict, prompt: Prompt) -> list[dict]:
    script = prompt.script
    blocks = []
    if script.redacted is not None:
        opaque = base64.b64encode(script.redacted.encode()).decode()
        blocks.append({"reasoningContent": {"redactedContent": opaque}})
    text = script.reasoning
    asked = thinking_config(body) or features.reasoning_requested(model, body)
    if text is None and (asked or model.can("always_reasoning")):
        text = f"Thinking about: {prompt.user_text or 'the tool results'}"
    if text is None:
        return blocks
    reasoning = {"text": text}
    if model.provider == "Anthropic":
        reasoning["signature"] = sign(text)
    return [*blocks, {"reasoningContent": {"reasoningText": reasoning}}]


def _limit(texts: list[str], body: dict) -> tuple[list[str], str | None, str | None]:
    """Honour maxTokens (in words) and stopSequences across the text blocks, in order:
    (kept texts, why they were cut, the stop sequence that matched)."""
    config = body.get("inferenceConfig") or {}
    budget = config.get("maxTokens")
    sequences = config.get("stopSequences") or []
    kept: list[str] = []
    for text in texts:
        cut_text, reason, used, matched = _cut(text, budget, sequences)
        kept.append(cut_text)
        if reason:
            return kept, reason, matched
        budget = None if budget is None else budget - used
    return kept, None, None


def _cut(text: str, budget: int | None, sequences: list[str]):
    """(text up to the earliest cut, why it was cut, words used, matched stop sequence)."""
    spans = list(re.finditer(r"\S+", text))
    cuts = []
    if budget is not None and len(spans) > budget:
        cuts.append((spans[budget - 1].end() if budget else 0, "max_tokens", None))
    cuts.extend((text.find(s), "stop_sequence", s) for s in sequences if s in text)
    if not cuts:
        return text, None, len(spans), None
    end, reason, matched = min(cuts, key=lambda cut: cut[0])
    return text[:end], reason, len(text[:end].split()), matched
