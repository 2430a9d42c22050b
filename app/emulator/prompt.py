"""The parts of a Converse request the scripted model reads, with directives split off."""

import json
from dataclasses import dataclass, field

from app.emulator import directives
from app.emulator.directives import Script


@dataclass
class Prompt:
    """Directive-free view of the prompt plus the parsed script."""

    user_text: str = ""
    has_text: bool = False
    tool_results: list[tuple[str, str]] = field(default_factory=list)
    script: Script = field(default_factory=Script)


def collapse(text: str) -> str:
    return " ".join(text.split())


def last_user_message(messages: list[dict]) -> dict:
    return next((m for m in reversed(messages) if m.get("role") == "user"), {"content": []})


def tool_result_text(result: dict) -> str:
    parts = []
    for item in result.get("content") or []:
        if "text" in item:
            parts.append(item["text"])
        elif "json" in item:
            parts.append(json.dumps(item["json"]))
    return " ".join(parts)


def read_prompt(body: dict) -> Prompt:
    """Collect directive lines (system first, then the last user turn) and the clean text."""
    found: list[str] = []
    for block in body.get("system") or []:
        if "text" in block:
            found.extend(directives.split_directives(block["text"])[1])
    prompt = Prompt()
    texts: list[str] = []
    for block in last_user_message(body.get("messages") or [])["content"]:
        found.extend(_read_block(prompt, texts, block))
    prompt.user_text = collapse(" ".join(texts))
    prompt.has_text = bool(texts)
    prompt.script = directives.parse(found)
    return prompt


def _read_block(prompt: Prompt, texts: list[str], block: dict) -> list[str]:
    """Record one user content block's clean text; return its directive lines."""
    if "text" in block:
        clean, lines = directives.split_directives(block["text"])
        texts.append(clean)
        return lines
    if "toolResult" in block:
        result = block["toolResult"]
        clean, lines = directives.split_directives(tool_result_text(result))
        prompt.tool_results.append((result["toolUseId"], collapse(clean)))
        return lines
    return []
