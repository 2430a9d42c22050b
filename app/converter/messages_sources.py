"""Image and document sources of Anthropic content blocks, as the bytes Bedrock takes.

Bedrock does not fetch ``url`` sources, so the gateway does, with its SSRF-safe fetcher;
``file`` sources name Anthropic's Files API, which Bedrock does not have: a 400.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator
from typing import Protocol

from app.errors import InvalidRequestError

IMAGE_MEDIA_TYPES = {"png": "image/png", "jpeg": "image/jpeg", "gif": "image/gif", "webp": "image/webp"}
NO_FILES = (
    "`file` sources are not supported: this gateway has no Files API. "
    "Send the content as a base64 or url source."
)


class Loader(Protocol):
    """``app.images.ImageLoader``: an image URL → (bytes, format); ``fetch`` any URL's body."""

    def __call__(self, url: str) -> tuple[bytes, str]: ...

    def fetch(self, url: str) -> bytes: ...


def image_bytes(source: dict, loader: Loader, param: str) -> tuple[bytes, str]:
    """An image block's source as (bytes, Converse format)."""
    kind = source.get("type")
    if kind == "base64":
        fmt = str(source.get("media_type", "")).removeprefix("image/")
        if fmt not in IMAGE_MEDIA_TYPES:
            raise InvalidRequestError(
                "Image media_type must be image/jpeg, image/png, image/gif or image/webp.",
                param=f"{param}.media_type",
            )
        return decoded(source.get("data"), f"{param}.data"), fmt
    if kind == "url":
        try:
            return loader(str(source.get("url", "")))
        except InvalidRequestError as exc:
            raise InvalidRequestError(exc.message, param=f"{param}.url") from exc
    raise _unsupported(kind, param)


def document_bytes(source: dict, loader: Loader, param: str) -> tuple[bytes, str]:
    """A document block's source as (bytes, Converse format: pdf or txt)."""
    kind = source.get("type")
    if kind == "base64":
        return decoded(source.get("data"), f"{param}.data"), "pdf"
    if kind == "text":
        return str(source.get("data", "")).encode(), "txt"
    if kind == "url":
        try:
            return loader.fetch(str(source.get("url", ""))), "pdf"
        except InvalidRequestError as exc:
            raise InvalidRequestError(exc.message, param=f"{param}.url") from exc
    raise _unsupported(kind, param)


def decoded(data: object, param: str) -> bytes:
    try:
        return base64.b64decode(str(data or ""), validate=True)
    except (binascii.Error, ValueError):
        raise InvalidRequestError("Source data must be base64.", param=param) from None


def _unsupported(kind: object, param: str) -> InvalidRequestError:
    if kind == "file":
        return InvalidRequestError(NO_FILES, param=f"{param}.type")
    return InvalidRequestError(f"Unsupported source type `{kind}`.", param=f"{param}.type")


def inline_url_sources(messages: list[dict], loader: Loader) -> None:
    """Replace url sources in image and document blocks (tool results included) with base64."""
    for param, block in _media_blocks(messages):
        source = block.get("source") or {}
        if source.get("type") not in ("url", "file"):
            continue
        if block["type"] == "image":
            raw, fmt = image_bytes(source, loader, f"{param}.source")
            media_type = IMAGE_MEDIA_TYPES[fmt]
        else:
            raw, _ = document_bytes(source, loader, f"{param}.source")
            media_type = "application/pdf"
        data = base64.b64encode(raw).decode("ascii")
        block["source"] = {"type": "base64", "media_type": media_type, "data": data}


def _media_blocks(messages: list[dict]) -> Iterator[tuple[str, dict]]:
    for i, message in enumerate(messages):
        content = message.get("content")
        if not isinstance(content, list):
            continue
        for j, block in enumerate(content):
            param = f"messages[{i}].content[{j}]"
            if block.get("type") in ("image", "document"):
                yield param, block
            inner = block.get("content") if block.get("type") == "tool_result" else None
            for k, part in enumerate(inner if isinstance(inner, list) else []):
                if isinstance(part, dict) and part.get("type") in ("image", "document"):
                    yield f"{param}.content[{k}]", part
