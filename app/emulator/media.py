"""Image rules of Converse: what the bytes are, how big, how many, how many pixels.

Limits from the Converse API reference (ImageBlock): "You can include up to 20 images.
Each image's size, height, and width must be no more than 3.75 MB, 8,000 px, and 8,000 px"
(quoted in experientiallabs/experiential#786). Claude enforces the count and the pixels
with its own wording: "too many images and documents: 21 + 0 > 20" (cline/cline#1844) and
"...image.source.base64.data: At least one of the image dimensions exceed max allowed size:
8000 pixels" (anthropics/claude-code#4778). The byte limit applies to every model.

The header readers repeat app/image_size.py on purpose: the emulator never imports
gateway code, so a bug in the gateway's reader cannot hide behind the same bug here.
"""

import base64
import struct

from app.emulator.catalogue import Model
from app.emulator.errors import validation

MAX_IMAGE_BYTES = 3_750_000
MAX_IMAGES = 20
MAX_PIXELS = 8000
MODEL_ERRORS = "The model returned the following errors: "
MAGIC = {
    "png": (b"\x89PNG\r\n\x1a\n",),
    "jpeg": (b"\xff\xd8\xff",),
    "gif": (b"GIF87a", b"GIF89a"),
}
# JPEG start-of-frame markers (C4, C8 and CC are other segments).
_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}


def media_blocks(messages: list[dict]):
    """(where, block) for every content block, toolResult contents included."""
    for index, message in enumerate(messages):
        for position, block in enumerate(message["content"]):
            nested = block.get("toolResult", {}).get("content", [])
            for item in (block, *nested):
                yield f"messages.{index}.content.{position}", item


def check_media(model: Model, messages: list[dict]) -> None:
    images = 0
    for where, block in media_blocks(messages):
        if "image" in block:
            if "IMAGE" not in model.inputs:
                raise validation(
                    "This model doesn't support the image content block that you provided. "
                    "Try again with a supported model."
                )
            images += 1
            _check_image(model, where, block["image"])
        if "video" in block and "VIDEO" not in model.inputs:
            raise validation("This model doesn't support the video content block.")
    if model.provider == "Anthropic" and images > MAX_IMAGES:
        raise validation(f"{MODEL_ERRORS}too many images and documents: {images} + 0 > {MAX_IMAGES}")


def sniff(raw: bytes) -> str | None:
    if raw[:4] == b"RIFF" and raw[8:12] == b"WEBP":
        return "webp"
    return next((f for f, sigs in MAGIC.items() if raw.startswith(sigs)), None)


def _check_image(model: Model, where: str, image: dict) -> None:
    encoded = image["source"].get("bytes")
    if encoded is None:
        return
    raw = base64.b64decode(encoded)
    actual = sniff(raw)
    declared = image["format"]
    if actual != declared:
        found = f"a image/{actual} image" if actual else "not a valid image"
        raise validation(
            f"{where}.image.source.bytes: The image was specified using the image/{declared} "
            f"media type, but the image appears to be {found}"
        )
    if len(raw) > MAX_IMAGE_BYTES:
        raise validation(
            f"{where}.image.source.bytes: The image is {len(raw)} bytes; each image must be "
            f"no more than 3.75 MB ({MAX_IMAGE_BYTES} bytes)."
        )
    size = dimensions(raw, actual)
    if model.provider == "Anthropic" and size and max(size) > MAX_PIXELS:
        raise validation(
            f"{MODEL_ERRORS}{where}.image.source.base64.data: At least one of the image "
            f"dimensions exceed max allowed size: {MAX_PIXELS} pixels"
        )


def dimensions(raw: bytes, fmt: str) -> tuple[int, int] | None:
    """(width, height) read from the header, or None when the header is too short to tell."""
    try:
        return _READERS[fmt](raw)
    except (struct.error, IndexError, KeyError):
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
