"""The soak mix: each kind of request, its weight, and what a correct answer looks like.

A check returns ``None`` for a correct answer, else a short error kind ("status 500",
"stream without [DONE]" …) that the report counts. Faults come from emulator
directives in the prompt; a unique ``id=`` makes each ``times=K`` fault independent.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

CHAT_MODEL = "anthropic.claude-3-5-sonnet-20240620-v1:0"
EMBEDDING_MODEL = "cohere.embed-english-v3"
Check = Callable[[int, httpx.Headers, bytes], str | None]


@dataclass(frozen=True)
class Call:
    kind: str
    method: str
    path: str
    check: Check
    body: dict | None = None
    authorized: bool = True
    stream: bool = False
    # Read this many SSE events, then hang up (a client going away mid-stream).
    disconnect_after: int | None = None
    headers: dict = field(default_factory=dict)


def words(n: int) -> str:
    return " ".join(f"word{i}" for i in range(1, n + 1))


def sse_events(body: bytes) -> list:
    events = []
    for block in body.decode().split("\n\n"):
        if block.strip():
            if not block.startswith("data: "):
                raise ValueError("not an SSE data event")
            data = block[len("data: ") :]
            events.append(data if data == "[DONE]" else json.loads(data))
    return events


def streamed_text(events: list) -> str:
    return "".join(
        choice["delta"].get("content") or ""
        for event in events
        if isinstance(event, dict) and "choices" in event
        for choice in event["choices"]
    )


def expect_json(status: int, valid: Callable[[dict], bool]) -> Check:
    def check(got: int, headers: httpx.Headers, body: bytes) -> str | None:
        if got != status:
            return f"status {got}"
        if not headers.get("content-type", "").startswith("application/json"):
            return "not json"
        return None if valid(json.loads(body)) else "wrong body"

    return check


def expect_error(status: int, type_: str, code: str | None = None) -> Check:
    def valid(body: dict) -> bool:
        error = body.get("error", {})
        shaped = set(error) == {"message", "type", "param", "code"}
        return shaped and error["type"] == type_ and (code is None or error["code"] == code)

    return expect_json(status, valid)


def expect_stream(text: str) -> Check:
    def check(got: int, headers: httpx.Headers, body: bytes) -> str | None:
        if got != 200:
            return f"status {got}"
        events = sse_events(body)
        if not events or events[-1] != "[DONE]":
            return "stream without [DONE]"
        return None if streamed_text(events) == text else "stream text differs"

    return check


def expect_stream_error(code: str) -> Check:
    """Some chunks, then an OpenAI error event in place of [DONE]."""

    def check(got: int, headers: httpx.Headers, body: bytes) -> str | None:
        if got != 200:
            return f"status {got}"
        events = sse_events(body)
        if not events or not isinstance(events[-1], dict) or "error" not in events[-1]:
            return "stream did not end with an error event"
        if "[DONE]" in events:
            return "error event after [DONE]"
        return (
            None if events[-1]["error"]["code"] == code else f"error event code {events[-1]['error']['code']}"
        )

    return check


def expect_stream_start(got: int, headers: httpx.Headers, body: bytes) -> str | None:
    return None if got == 200 and body.startswith(b"data: ") else f"status {got}"


def chat(prompt: str, **extra) -> dict:
    return {"model": CHAT_MODEL, "messages": [{"role": "user", "content": prompt}], **extra}


def _listed(body: dict) -> bool:
    return body.get("object") == "list" and CHAT_MODEL in {model["id"] for model in body["data"]}


def _three_vectors(body: dict) -> bool:
    return [item["index"] for item in body["data"]] == [0, 1, 2] and len(body["data"][0]["embedding"]) == 1024


def _completion_of(text: str) -> Callable[[dict], bool]:
    return lambda body: body["choices"][0]["message"]["content"] == text


# kind -> (weight, build(serial number) -> Call)
KINDS: dict[str, tuple[int, Callable[[int], Call]]] = {
    "chat": (20, lambda n: Call(
        "chat", "POST", "/v1/chat/completions", expect_json(200, _completion_of(words(20))),
        chat("@@words 20"))),
    "stream": (25, lambda n: Call(
        "stream", "POST", "/v1/chat/completions", expect_stream(words(30)),
        chat("@@words 30\n@@latency token=5", stream=True), stream=True)),
    "embeddings": (12, lambda n: Call(
        "embeddings", "POST", "/v1/embeddings", expect_json(200, _three_vectors),
        {"model": EMBEDDING_MODEL, "input": [f"text {n}", "second", "third"]})),
    "models": (8, lambda n: Call("models", "GET", "/v1/models", expect_json(200, _listed))),
    "model": (4, lambda n: Call(
        "model", "GET", f"/api/v1/models/{CHAT_MODEL}", expect_json(200, lambda b: b["id"] == CHAT_MODEL))),
    "throttled_then_ok": (8, lambda n: Call(
        "throttled_then_ok", "POST", "/v1/chat/completions", expect_stream(words(10)),
        chat(f"@@words 10\n@@fault ThrottlingException times=1 id=soak-{n}", stream=True), stream=True)),
    "throttled_out": (2, lambda n: Call(
        "throttled_out", "POST", "/v1/chat/completions", expect_error(429, "rate_limit_error"),
        chat("@@fault ThrottlingException"))),
    "unavailable_then_ok": (4, lambda n: Call(
        "unavailable_then_ok", "POST", "/v1/chat/completions", expect_json(200, _completion_of(words(5))),
        chat(f"@@words 5\n@@fault ServiceUnavailableException times=1 id=soak-{n}"))),
    "midstream_fault": (6, lambda n: Call(
        "midstream_fault", "POST", "/v1/chat/completions", expect_stream_error("model_stream_error"),
        chat("@@words 20\n@@fault ModelStreamErrorException when=midstream after=3", stream=True),
        stream=True)),
    "client_disconnect": (4, lambda n: Call(
        "client_disconnect", "POST", "/v1/chat/completions", expect_stream_start,
        chat("@@words 400\n@@latency token=10", stream=True), stream=True, disconnect_after=3)),
    "invalid": (4, lambda n: Call(
        "invalid", "POST", "/v1/chat/completions", expect_error(400, "invalid_request_error"),
        {"model": CHAT_MODEL, "messages": [{"role": "user", "content": n}]})),
    "unauthorized": (3, lambda n: Call(
        "unauthorized", "GET", "/v1/models", expect_error(401, "authentication_error"), authorized=False)),
}  # fmt: skip


def one_of_each() -> list[Call]:
    """One call of every kind, so that what loads on first use is in a warm-up's baseline."""
    return [make(n) for n, (_, make) in enumerate(KINDS.values())]


def plan(count: int, seed: int) -> list[Call]:
    """``count`` calls drawn from the weighted mix, reproducibly."""
    rng = random.Random(seed)
    names = list(KINDS)
    weights = [KINDS[name][0] for name in names]
    return [KINDS[name][1](n) for n, name in enumerate(rng.choices(names, weights, k=count))]
