"""Pixel dimensions of jpeg/png/gif/webp images, read from their headers (no decoding).

Bedrock's Converse reference: each image's "height, and width must be no more than …
8,000 px" (Claude answers "At least one of the image dimensions exceed max allowed size:
8000 pixels", anthropics/claude-code#4778), so the gateway checks before sending.
"""

from __future__ import annotations

import struct

MAX_PIXELS = 8000
# JPEG start-of-frame markers (C4, C8 and CC are other segments).
_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}


def dimensions(raw: bytes, fmt: str) -> tuple[int, int] | None:
    """(width, height), or None when the header is too short or odd to tell."""
    try:
        return _READERS[fmt](raw)
    except (struct.error, IndexError, KeyError, ValueError):
        return None


def _png(raw: bytes) -> tuple[int, int] | None:
    return struct.unpack(">II", raw[16:24]) if raw[12:16] == b"IHDR" else None


def _gif(raw: bytes) -> tuple[int, int]:
    return struct.unpack("<HH", raw[6:10])


def _webp(raw: bytes) -> tuple[int, int] | None:
    chunk = raw[12:16]
    if chunk == b"VP8 ":
        width, height = struct.unpack("<HH", raw[26:30])
        return width & 0x3FFF, height & 0x3FFF
    if chunk == b"VP8L":
        b0, b1, b2, b3 = raw[21:25]
        return 1 + (b0 | (b1 & 0x3F) << 8), 1 + (b1 >> 6 | b2 << 2 | (b3 & 0x0F) << 10)
    if chunk == b"VP8X":
        return 1 + int.from_bytes(raw[24:27], "little"), 1 + int.from_bytes(raw[27:30], "little")
    return None


def _jpeg(raw: bytes) -> tuple[int, int] | None:
    offset = 2
    while offset + 9 < len(raw):
        if raw[offset] != 0xFF:
            return None
        marker = raw[offset + 1]
        if marker in _SOF:
            height, width = struct.unpack(">HH", raw[offset + 5 : offset + 9])
            return width, height
        offset += 2 + struct.unpack(">H", raw[offset + 2 : offset + 4])[0]
    return None


_READERS = {"png": _png, "gif": _gif, "webp": _webp, "jpeg": _jpeg}
