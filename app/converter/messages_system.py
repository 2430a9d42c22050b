"""System-role messages, which Claude Code sends mid-conversation, as part of the system prompt.

Bedrock's Claude and Converse take only user and assistant turns; the instructions in a
``{"role": "system"}`` message (the environment, reminders) join the top-level ``system``
blocks, in order.
"""

from __future__ import annotations


def hoist_system_messages(body: dict) -> dict:
    """``body`` with its system-role messages moved to the end of ``system``."""
    if not any(message["role"] == "system" for message in body["messages"]):
        return body
    system = body.get("system")
    blocks = [{"type": "text", "text": system}] if isinstance(system, str) and system else list(system or [])
    turns = []
    for message in body["messages"]:
        if message["role"] != "system":
            turns.append(message)
            continue
        content = message["content"]
        parts = [{"type": "text", "text": content}] if isinstance(content, str) else content
        blocks += [part for part in parts if part.get("type") == "text" and str(part.get("text", "")).strip()]
    return {**body, "system": blocks, "messages": turns}
