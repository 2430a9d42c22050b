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
    if isinstance(thinking, dict) and thinking.get("type") == "enabled":
        return thinking
    return None


def check_thinking(model: Model, body: dict) -> None:
    """Reject requests that enable thinking in a way Anthropic refuses."""
    thinking = thinking_config(body)
    if thinking is None:
        return
    if not model.can("thinking"):
        raise validation("thinking: Extra inputs are not permitted")
    config = body.get("inferenceConfig") or {}
    _check_budget(thinking, config.get("maxTokens") or model.max_output)
    _check_sampling(config, body.get("additionalModelRequestFields") or {})
    _check_tool_choice(body)
    _check_tool_turn(body.get("messages") or [])


def _check_budget(thinking: dict, max_tokens: int) -> None:
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


def _check_sampling(config: dict, extra: dict) -> None:
    temperature, top_p = config.get("temperature"), config.get("topP")
    if temperature is not None and temperature != 1:
        raise validation("`temperature` may only be set to 1 when thinking is enabled.")
    if top_p is not None and top_p < 0.95:
        raise validation("`top_p` must be greater than or equal to 0.95 or unset when thinking is enabled.")
    if "top_k" in extra:
        raise validation("`top_k` may not be set when thinking is enabled.")


def _check_tool_choice(body: dict) -> None:
    choice = (body.get("toolConfig") or {}).get("toolChoice") or {}
    if "any" in choice or "tool" in choice:
        raise validation("Thinking may not be enabled when tool_choice forces tool use.")


def _check_tool_turn(messages: list[dict]) -> None:
    """The last assistant turn with toolUse, and a final assistant turn (a prefill), must
    open with a validly signed reasoning block (Anthropic's wording, Aider-AI/aider#3820)."""
    if messages and messages[-1].get("role") == "assistant":
        _check_opening_reasoning(len(messages) - 1, messages[-1].get("content") or [])
    for index in range(len(messages) - 1, -1, -1):
        message = messages[index]
        content = message.get("content") or []
        if message.get("role") == "assistant" and any("toolUse" in b for b in content):
            _check_opening_reasoning(index, content)
            return


def _check_opening_reasoning(index: int, content: list[dict]) -> None:
    first = content[0]
    where = f"messages.{index}.content.0"
    if "reasoningContent" not in first:
        kind = next(iter(first), "unknown")
        raise validation(
            f"{where}.type: Expected `thinking` or `redacted_thinking`, but found `{kind}`. "
            "When `thinking` is enabled, a final `assistant` message must start with a "
            "thinking block (preceding the lastmost set of `tool_use` and `tool_result` "
            "blocks). We recommend you include thinking blocks from previous turns."
        )
    text_block = first["reasoningContent"].get("reasoningText")
    if text_block is None:
        return  # redactedContent carries its own opaque payload
    signature = text_block.get("signature")
    if not signature:
        raise validation(f"{where}.thinking.signature: Field required")
    if not signature_valid(text_block.get("text", ""), signature):
        raise validation(f"{where}: Invalid `signature` in `thinking` block")
