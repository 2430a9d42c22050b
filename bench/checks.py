"""Is a response intact? One check per kind of answer, used by both client processes."""

from __future__ import annotations

import json


def chat(body: bytes, words: int) -> tuple[bool, int]:
    """A chat.completion whose message has the scripted number of words; (ok, chunks=1)."""
    message = json.loads(body)["choices"][0]["message"]
    return len((message.get("content") or "").split()) == words, 1


def sse(body: bytes, words: int) -> tuple[bool, int]:
    """A chat.completion.chunk stream: the scripted words, no error event, then [DONE]."""
    events = [line[6:] for line in body.split(b"\n") if line.startswith(b"data: ")]
    if not events or events[-1] != b"[DONE]":
        return False, len(events)
    text = []
    for raw in events[:-1]:
        chunk = json.loads(raw)
        if "error" in chunk:
            return False, len(events)
        text.extend(choice["delta"].get("content") or "" for choice in chunk.get("choices", []))
    return len("".join(text).split()) == words, len(events) - 1


def responses_sse(body: bytes, words: int) -> tuple[bool, int]:
    """A Responses event stream: every frame named, the scripted words, then response.completed."""
    frames = [frame for frame in body.split(b"\n\n") if frame.startswith(b"event: ")]
    events = [json.loads(frame.split(b"\ndata: ", 1)[1]) for frame in frames]
    if not events or events[-1]["type"] != "response.completed":
        return False, len(events)
    text = "".join(event["delta"] for event in events if event["type"] == "response.output_text.delta")
    return len(text.split()) == words, len(events)


def messages_sse(body: bytes, words: int) -> tuple[bool, int]:
    """An Anthropic Messages stream: the scripted words in text deltas, ending with message_stop."""
    events = [json.loads(line[6:]) for line in body.split(b"\n") if line.startswith(b"data: ")]
    if not events or events[-1].get("type") != "message_stop":
        return False, len(events)
    text = [e["delta"].get("text", "") for e in events if e.get("type") == "content_block_delta"]
    return len("".join(text).split()) == words, len(events)


def embeddings(body: bytes, count: int) -> tuple[bool, int]:
    data = json.loads(body)["data"]
    ok = len(data) == count and all(item["embedding"] for item in data)
    return ok, 1


def listing(body: bytes, count: int) -> tuple[bool, int]:
    return len(json.loads(body)["data"]) >= count, 1


def status_only(body: bytes, count: int) -> tuple[bool, int]:
    return True, 1


KINDS = {
    "chat": chat,
    "sse": sse,
    "responses_sse": responses_sse,
    "messages_sse": messages_sse,
    "embeddings": embeddings,
    "models": listing,
    "any": status_only,
}


def check(kind: str, status: int, body: bytes, expected: int) -> dict:
    """{"ok", "chunks"} for one response; a non-200 or unparsable body is not ok."""
    if status != 200:
        return {"ok": False, "chunks": 0, "error": f"HTTP {status}: {body[:300].decode('utf-8', 'replace')}"}
    try:
        ok, chunks = KINDS[kind](body, expected)
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        return {"ok": False, "chunks": 0, "error": f"{type(exc).__name__}: {exc}"}
    return (
        {"ok": ok, "chunks": chunks} if ok else {"ok": False, "chunks": chunks, "error": body[:300].decode()}
    )
