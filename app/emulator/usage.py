"""Emulated token usage: words in, words out, prompt-cache reads and writes.

Tokens are whitespace-separated words of directive-free text. totalTokens follows
Bedrock: inputTokens + outputTokens + cacheReadInputTokens + cacheWriteInputTokens
(inputTokens counts only the uncached part of the prompt).
"""

import hashlib
import json

from app.emulator.directives import Script, split_directives
from app.emulator.state import EmulatorState


def words(text: str) -> int:
    return len(split_directives(text)[0].split())


def block_words(block: dict) -> int:
    """Words a content, system or tool block contributes to the prompt."""
    if "text" in block:
        return words(block["text"])
    if "toolUse" in block:
        return words(block["toolUse"]["name"] + " " + json.dumps(block["toolUse"]["input"]))
    if "toolResult" in block:
        return sum(block_words(item) for item in block["toolResult"].get("content") or [])
    if "json" in block:
        return words(json.dumps(block["json"]))
    if "reasoningContent" in block:
        return words(block["reasoningContent"].get("reasoningText", {}).get("text", ""))
    if "toolSpec" in block:
        return words(json.dumps(block["toolSpec"]))
    return 0


def prompt_blocks(body: dict) -> list[dict]:
    """The prompt in the order a model reads it: tools, system, then messages."""
    blocks = list((body.get("toolConfig") or {}).get("tools", []))
    blocks.extend(body.get("system") or [])
    for message in body.get("messages") or []:
        blocks.extend(message.get("content") or [])
    return blocks


def prompt_tokens(body: dict) -> int:
    """The whole prompt's tokens, cached part included: what CountTokens answers."""
    return max(1, sum(block_words(b) for b in prompt_blocks(body)))


def cached_prefix(model_id: str, blocks: list[dict]) -> tuple[int, str] | None:
    """(words, key) of the prompt before the first cachePoint, or None without one."""
    for index, block in enumerate(blocks):
        if "cachePoint" in block:
            prefix = blocks[:index]
            key = hashlib.sha256(f"{model_id}\0{json.dumps(prefix)}".encode()).hexdigest()
            return sum(block_words(b) for b in prefix), key
    return None


def compute_usage(
    model_id: str, body: dict, output: list[dict], script: Script, state: EmulatorState
) -> dict:
    """Usage for one reply; @@usage overrides win, totalTokens is always the sum."""
    total_in = prompt_tokens(body)
    usage = {"inputTokens": total_in, "outputTokens": sum(block_words(b) for b in output)}
    prefix = cached_prefix(model_id, prompt_blocks(body))
    if prefix is not None:
        size, key = prefix
        hit = state.cache_hit(key)
        usage["inputTokens"] = max(0, total_in - size)
        usage["cacheReadInputTokens"] = size if hit else 0
        usage["cacheWriteInputTokens"] = 0 if hit else size
    usage.update(script.usage)
    return finish(usage)


def finish(usage: dict) -> dict:
    """Set totalTokens to the sum of input, output and cache counts."""
    parts = ("inputTokens", "outputTokens", "cacheReadInputTokens", "cacheWriteInputTokens")
    usage["totalTokens"] = sum(usage.get(k, 0) for k in parts)
    return usage
