"""Rules Claude's Messages API applies on Bedrock that botocore's shapes cannot express.

Bedrock relays them as ValidationException "The model returned the following errors: …".
Each rule cites a public report of the exact message:
- whitespace-only stop sequences: BerriAI/litellm#3286;
- a final assistant turn (prefill) ending in whitespace: aws/aws-sdk-net#4015,
  langchain-ai/langchain-aws#599;
- the same toolUse id twice in one conversation: anthropics/claude-code#28515,
  anomalyco/opencode#1279.
Image count and pixel limits live in media.py; extended-thinking rules in thinking.py.
"""

from app.emulator.catalogue import Model
from app.emulator.errors import validation
from app.emulator.media import MODEL_ERRORS

EXCLUSIVE_SAMPLING = "temperature and top_p cannot both be specified for this model. Please use only one."
TRAILING_WHITESPACE = "final assistant content cannot end with trailing whitespace"


def check_anthropic(model: Model, body: dict) -> None:
    if model.provider != "Anthropic":
        return
    messages = body.get("messages") or []
    check_stop_sequences((body.get("inferenceConfig") or {}).get("stopSequences") or [], MODEL_ERRORS)
    if messages:
        # A cachePoint marks the block before it; it is not content of its own.
        blocks = [b for b in messages[-1]["content"] if "cachePoint" not in b]
        check_final_assistant(messages[-1]["role"], blocks, lambda block: block.get("text"), MODEL_ERRORS)
    check_unique_tool_ids(messages, lambda block: block.get("toolUse", {}).get("toolUseId"), MODEL_ERRORS)


def check_stop_sequences(sequences: list[str], prefix: str = "") -> None:
    if any(not isinstance(s, str) or not s.strip() for s in sequences):
        raise validation(f"{prefix}stop_sequences: each stop sequence must contain non-whitespace")


def check_final_assistant(role: str, blocks: list[dict], text_of, prefix: str = "") -> None:
    """A final assistant turn (a prefill) may not end in text with trailing whitespace."""
    if role != "assistant" or not blocks:
        return
    text = text_of(blocks[-1])
    if isinstance(text, str) and text != text.rstrip():
        raise validation(f"{prefix}messages: {TRAILING_WHITESPACE}")


def check_unique_tool_ids(messages: list[dict], tool_id_of, prefix: str = "") -> None:
    seen: set[str] = set()
    for index, message in enumerate(messages):
        content = message["content"]
        for position, block in enumerate(content if isinstance(content, list) else []):
            tool_id = tool_id_of(block)
            if tool_id is None:
                continue
            if tool_id in seen:
                where = f"messages.{index}.content.{position}"
                raise validation(f"{prefix}{where}: `tool_use` ids must be unique")
            seen.add(tool_id)
