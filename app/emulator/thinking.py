"""Anthropic extended-thinking rules and the emulator's reasoning signatures."""

import base64
import hashlib
import hmac

from app.emulator.catalogue import Model
from app.emulator.errors import validation

SIGNING_KEY = b"bedrock-emulator-reasoning-signature-v1"
MIN_BUDGET = 1024
DOCS = "https://docs.anthropic.com/en/docs/build-with-claude/extended-thinking"


def sign(text: str) -> str:
    """HMAC signature over reasoning text, so a tampered text is detectable later."""
    digest = hmac.new(SIGNING_KEY, text.encode(), hashlib.sha256).digest()
    return base64.b64encode(b"EmuSig" + digest).decode()


def signature_valid(text: str, signature: str) -> bool:
    return hmac.compare_digest(sign(text), signature)


def thinking_config(body: dict) -> dict | None:
    """The `thinking` object of additionalModelRequestFields when it enables thinking."""
    extra = body.get("additionalModelRequestFields") or {}
    thinking = extra.get("thinking") if isinstance(extra, dict) else None
    if isinstance(thinking, dict) and thinking.get("type") in ("enabled", "adaptive"):
        return thinking
    return None


def check_thinking(model: Model, body: dict) -> None:
    """Reject Converse requests that enable thinking in a way Anthropic refuses."""
    thinking = thinking_config(body)
    if thinking is None:
        return
    if not model.can("thinking"):
        raise validation("thinking: Extra inputs are not permitted")
    if thinking["type"] == "adaptive" and not model.can("adaptive_thinking"):
        raise validation(
            "thinking.type: Input tag 'adaptive' found using 'type' does not match any of "
            "the expected tags: 'disabled', 'enabled'"
        )
    config = body.get("inferenceConfig") or {}
    if thinking["type"] == "enabled":
        check_budget(thinking, config.get("maxTokens") or model.max_output)
    extra = body.get("additionalModelRequestFields") or {}
    check_sampling(config.get("temperature"), config.get("topP"), "top_k" in extra)
    choice = (body.get("toolConfig") or {}).get("toolChoice") or {}
    if "any" in choice or "tool" in choice:
        raise validation(FORCED_TOOL)
    messages = body.get("messages") or []
    for index in opening_turns(messages, lambda block: "toolUse" in block):
        _check_opening_reasoning(index, messages[index].get("content") or [])


FORCED_TOOL = "Thinking may not be enabled when tool_choice forces tool use."


def check_budget(thinking: dict, max_tokens: int) -> None:
    budget = thinking.get("budget_tokens")
    if not isinstance(budget, int) or isinstance(budget, bool):
        raise validation("thinking.enabled.budget_tokens: Field required")
    if budget < MIN_BUDGET:
        raise validation(
            f"thinking.enabled.budget_tokens: Input should be greater than or equal to {MIN_BUDGET}"
        )
    if budget >= max_tokens:
        raise validation(
            f"`max_tokens` must be greater than `thinking.budget_tokens`. Please consult our "
            f"documentation at {DOCS}#max-tokens-and-context-window-size"
        )


def check_sampling(temperature, top_p, has_top_k: bool) -> None:
    if temperature is not None and temperature != 1:
        raise validation("`temperature` may only be set to 1 when thinking is enabled.")
    if top_p is not None and top_p < 0.95:
        raise validation("`top_p` must be greater than or equal to 0.95 or unset when thinking is enabled.")
    if has_top_k:
        raise validation("`top_k` may not be set when thinking is enabled.")


def opening_turns(messages: list[dict], is_tool_use) -> list[int]:
    """The assistant turns that must open with a thinking block: a final assistant turn (a
    prefill) and the last one with a tool call (Anthropic's wording, Aider-AI/aider#3820)."""
    turns = []
    if messages and messages[-1].get("role") == "assistant":
        turns.append(len(messages) - 1)
    for index in range(len(messages) - 1, -1, -1):
        message = messages[index]
        content = message.get("content")
        if message.get("role") == "assistant" and isinstance(content, list):
            if any(is_tool_use(block) for block in content if isinstance(block, dict)):
                turns.append(index)
                break
    return turns


def missing_thinking(index: int, kind: str):
    return validation(
        f"messages.{index}.content.0.type: Expected `thinking` or `redacted_thinking`, but found "
        f"`{kind}`. When `thinking` is enabled, a final `assistant` message must start with a "
        "thinking block (preceding the lastmost set of `tool_use` and `tool_result` "
        "blocks). We recommend you include thinking blocks from previous turns."
    )


def check_signature(where: str, text: str, signature) -> None:
    """A thinking block's signature must be the one the emulator issued for its text."""
    if not signature:
        raise validation(f"{where}.thinking.signature: Field required")
    if not isinstance(signature, str) or not signature_valid(text, signature):
        raise validation(f"{where}: Invalid `signature` in `thinking` block")


def _check_opening_reasoning(index: int, content: list[dict]) -> None:
    first = content[0]
    if "reasoningContent" not in first:
        raise missing_thinking(index, next(iter(first), "unknown"))
    text_block = first["reasoningContent"].get("reasoningText")
    if text_block is None:
        return  # redactedContent carries its own opaque payload
    where = f"messages.{index}.content.0"
    check_signature(where, text_block.get("text", ""), text_block.get("signature"))
