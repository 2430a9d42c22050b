"""Past tool calls and results, made into pairs Bedrock accepts.

Converse wants every toolResult to answer a toolUse of the assistant turn just before it,
and every toolUse (except in a final turn) answered in the next user turn; Claude also
wants each toolUse id used once in a conversation ("`tool_use` ids must be unique").
Clients break these: histories trimmed to a window drop the call of a kept result, a user
interrupts before a tool answers, and some providers number calls per turn (``call_0``
in every turn). Unique ids are renamed; whatever stays unpaired is sent as text.
"""

from __future__ import annotations

from app.converse.turns import as_text


def pair_tool_blocks(turns: list[dict]) -> None:
    """Rename repeated toolUse ids, then turn unpaired toolUse/toolResult blocks into text."""
    _rename_repeated_ids(turns)
    for index, turn in enumerate(turns):
        if turn["role"] == "assistant" and index + 1 < len(turns):
            answered = _ids(turns[index + 1], "toolResult")
            turn["content"] = [_unless(block, "toolUse", answered) for block in turn["content"]]
        elif turn["role"] == "user":
            asked = _ids(turns[index - 1], "toolUse") if index else set()
            turn["content"] = [_unless(block, "toolResult", asked) for block in turn["content"]]


def _rename_repeated_ids(turns: list[dict]) -> None:
    seen: set[str] = set()
    for index, turn in enumerate(turns):
        if turn["role"] != "assistant":
            continue
        renamed: dict[str, str] = {}
        for block in turn["content"]:
            use = block.get("toolUse")
            if use is None:
                continue
            old = use["toolUseId"]
            if old in seen:
                use["toolUseId"] = renamed[old] = _fresh(old, seen)
            seen.add(use["toolUseId"])
        if renamed and index + 1 < len(turns):
            for block in turns[index + 1]["content"]:
                result = block.get("toolResult")
                if result is not None and result["toolUseId"] in renamed:
                    result["toolUseId"] = renamed[result["toolUseId"]]


def _fresh(tool_id: str, seen: set[str]) -> str:
    """``<id>_2``, ``<id>_3``, … kept within Bedrock's 64 characters."""
    n = 2
    while True:
        suffix = f"_{n}"
        candidate = tool_id[: 64 - len(suffix)] + suffix
        if candidate not in seen:
            return candidate
        n += 1


def _ids(turn: dict, kind: str) -> set[str]:
    return {block[kind]["toolUseId"] for block in turn["content"] if kind in block}


def _unless(block: dict, kind: str, partners: set[str]) -> dict:
    """The block itself when its id has a partner, else the same facts as text."""
    if kind not in block or block[kind]["toolUseId"] in partners:
        return block
    return as_text(block)
