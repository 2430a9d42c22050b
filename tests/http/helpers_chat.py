"""Shared pieces of the chat tests: model ids, requests, SSE parsing and real image bytes."""

from __future__ import annotations

import base64
import json
import struct
import time
import zlib

from tests.conftest import AUTH

URL = "/v1/chat/completions"

CLAUDE = "anthropic.claude-3-5-sonnet-20240620-v1:0"  # on-demand, images, tools, no caching
CLAUDE_37 = "us.anthropic.claude-3-7-sonnet-20250219-v1:0"  # extended thinking
CLAUDE_37_BARE = "anthropic.claude-3-7-sonnet-20250219-v1:0"  # profile-only: Bedrock refuses it
CLAUDE_45 = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
CACHING = "us.anthropic.claude-3-5-sonnet-20241022-v2:0"
NOVA_PRO = "amazon.nova-pro-v1:0"
NOVA_MICRO = "amazon.nova-micro-v1:0"  # text only
LLAMA = "meta.llama3-8b-instruct-v1:0"  # no tools
DEEPSEEK = "us.deepseek.r1-v1:0"
MISTRAL = "mistral.mistral-large-2402-v1:0"
JURASSIC = "ai21.j2-ultra-v1"  # no streaming, no system prompt
APP_PROFILE = "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/teamclaude01"

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather in a city",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    },
}
WEATHER_SPEC = {
    "toolSpec": {
        "name": "get_weather",
        "description": "Current weather in a city",
        "inputSchema": {
            "json": {
                "type": "object",
                "properties": {"city": {"type": "string"}},
                "required": ["city"],
            }
        },
    }
}


def user(text: str) -> dict:
    return {"role": "user", "content": text}


def post_chat(client, body: dict, headers: dict | None = None):
    return client.post(URL, json=body, headers=headers or AUTH)


def completion(client, **body) -> dict:
    """POST a non-streaming request that must succeed; the chat.completion object."""
    body.setdefault("model", CLAUDE)
    response = post_chat(client, body)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def message_of(client, **body) -> dict:
    return completion(client, **body)["choices"][0]["message"]


def converse_request(client, **body) -> dict:
    """The Converse request the emulator received, reflected by an ``@@echo`` directive."""
    return json.loads(message_of(client, **body)["content"])


def sse_payloads(raw: bytes) -> list:
    """Each ``data:`` payload of an SSE body: dicts, and the string ``[DONE]``."""
    payloads = []
    for event in raw.decode().split("\n\n"):
        if not event.strip():
            continue
        assert event.startswith("data: "), event
        data = event[len("data: ") :]
        payloads.append(data if data == "[DONE]" else json.loads(data))
    return payloads


def stream_payloads(client, **body) -> list:
    """POST a streaming request that must start with 200; all its SSE payloads."""
    body.setdefault("model", CLAUDE)
    response = post_chat(client, {**body, "stream": True})
    assert response.status_code == 200, response.get_data(as_text=True)
    return sse_payloads(b"".join(response.response))


def accumulate(chunks: list[dict]) -> dict:
    """Rebuild the message, finish reason and usage a client gets from the chunks."""
    message: dict = {"role": None, "content": None}
    calls: dict[int, dict] = {}
    finish = usage = None
    for chunk in chunks:
        if chunk.get("usage"):
            usage = chunk["usage"]
        for choice in chunk["choices"]:
            delta = choice["delta"]
            message["role"] = message["role"] or delta.get("role")
            for key in ("content", "reasoning_content", "refusal"):
                if delta.get(key):
                    message[key] = (message.get(key) or "") + delta[key]
            for call in delta.get("tool_calls") or []:
                entry = calls.setdefault(call["index"], {"function": {"arguments": ""}})
                for key in ("id", "type"):
                    if call.get(key):
                        entry[key] = call[key]
                function = call.get("function") or {}
                if function.get("name"):
                    entry["function"]["name"] = function["name"]
                entry["function"]["arguments"] += function.get("arguments") or ""
            for block in delta.get("thinking_blocks") or []:
                blocks = message.setdefault("thinking_blocks", [])
                assert block["index"] == len(blocks)  # one delta per block, numbered in order
                blocks.append({key: value for key, value in block.items() if key != "index"})
            finish = choice.get("finish_reason") or finish
    if calls:
        message["tool_calls"] = [
            {"id": c["id"], "type": c["type"], "function": c["function"]} for _, c in sorted(calls.items())
        ]
    return {"message": message, "finish_reason": finish, "usage": usage}


def arguments(tool_calls: list[dict]) -> list[tuple[str, dict]]:
    """(name, parsed arguments) of each tool call, so JSON spacing does not matter."""
    return [(c["function"]["name"], json.loads(c["function"]["arguments"])) for c in tool_calls]


def open_streams_after(control, seconds: float = 3.0) -> int:
    """The emulator's open ConverseStream count once closing streams had time to finish."""
    deadline = time.monotonic() + seconds
    while control.open_streams() and time.monotonic() < deadline:
        time.sleep(0.02)
    return control.open_streams()


# Real, decodable images, built byte by byte (no imaging library needed).


def png_bytes(width: int = 2, height: int = 2, rgb: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit truecolour
    rows = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def jpeg_bytes() -> bytes:
    """A baseline 8x8 grey JPEG: one block, DC difference 0 and end-of-block, Huffman codes of one bit."""

    def segment(marker: int, payload: bytes) -> bytes:
        return struct.pack(">BBH", 0xFF, marker, len(payload) + 2) + payload

    one_symbol_table = bytes([1] + [0] * 15) + b"\x00"  # one code of length 1 for symbol 0
    return (
        b"\xff\xd8"
        + segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")
        + segment(0xDB, b"\x00" + b"\x01" * 64)
        + segment(0xC0, struct.pack(">BHHB", 8, 8, 8, 1) + b"\x01\x11\x00")
        + segment(0xC4, b"\x00" + one_symbol_table)
        + segment(0xC4, b"\x10" + one_symbol_table)
        + segment(0xDA, b"\x01\x01\x00\x00\x3f\x00")
        + b"\x3f"  # bits 0 (DC category 0) and 0 (EOB), padded with ones
        + b"\xff\xd9"
    )


GIF_BYTES = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
WEBP_BYTES = base64.b64decode("UklGRhoAAABXRUJQVlA4TA0AAAAvAAAAEAcQERGIiP4HAA==")


def data_url(raw: bytes, mime: str = "image/png") -> str:
    return f"data:{mime};base64,{base64.b64encode(raw).decode()}"


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()
