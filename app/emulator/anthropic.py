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

TRAILING_WHITESPACE = "final assistant content cannot end with trailing whitespace"


def check_anthropic(model: Model, body: dict) -> None:
    if model.provider != "Anthropic":
        return
    messages = body.get("messages") or []
    _check_stop_sequences((body.get("inferenceConfig") or {}).get("stopSequences") or [])
    _check_final_assistant(messages)
    _check_unique_tool_ids(messages)


def _check_stop_sequences(sequences: list[str]) -> None:
    if any(not sequence.strip() for sequence in sequences):
        raise validation(f"{MODEL_ERRORS}stop_sequences: each stop sequence must contain non-whitespace")


def _check_final_assistant(messages: list[dict]) -> None:
    if not messages or messages[-1]["role"] != "assistant":
        return
    # A cachePoint marks the block before it; it is not content of its own.
    blocks = [b for b in messages[-1]["content"] if "cachePoint" not in b]
    if blocks and "text" in blocks[-1] and blocks[-1]["text"] != blocks[-1]["text"].rstrip():
        raise validation(f"{MODEL_ERRORS}messages: {TRAILING_WHITESPACE}")


def _check_unique_tool_ids(messages: list[dict]) -> None:
    seen: set[str] = set()
    for index, message in enumerate(messages):
        for position, block in enumerate(message["content"]):
            tool_id = block.get("toolUse", {}).get("toolUseId")
            if tool_id is None:
                continue
            if tool_id in seen:
                raise validation(
                    f"{MODEL_ERRORS}messages.{index}.content.{position}: `tool_use` ids must be unique"
                )
            seen.add(tool_id)
