"""A reasoning item's ``encrypted_content``: the signed thinking blocks it was made from.

Claude refuses a tool-use turn sent back while thinking unless the assistant turn starts
with the thinking blocks, signatures and redacted data exactly as it produced them. The
Responses API carries them in ``encrypted_content``, opaque to the client, so the gateway
puts them there: ``bgw1.<payload>.<mac>``, where the payload is the compressed JSON of
the model family and the blocks, and the MAC an HMAC-SHA256 under the gateway's key.
Anything else sent back (another provider's blob, an altered one, another family's) is
not replayed: the turn is then sent without thinking, never refused.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import zlib

from app.converse.blocks import signed_reasoning_blocks, thinking_block

PREFIX = "bgw1."


class ReasoningCodec:
    """Seals and opens the signed thinking blocks of one model family."""

    def __init__(self, key: bytes):
        self.key = key

    def seal(self, reasoning: list[dict], family: str) -> str:
        """``encrypted_content`` for Converse reasoningContent blocks (unsigned ones are left out)."""
        blocks = [block for block in map(thinking_block, reasoning) if block is not None]
        payload = zlib.compress(json.dumps({"f": family, "b": blocks}, separators=(",", ":")).encode())
        return PREFIX + _b64(payload) + "." + _b64(self._mac(payload))

    def open(self, sealed: object, family: str) -> list[dict] | None:
        """The reasoningContent blocks, or None when they cannot be replayed to ``family``."""
        if not isinstance(sealed, str) or not sealed.startswith(PREFIX):
            return None
        body, _, mac = sealed[len(PREFIX) :].partition(".")
        try:
            payload = _unb64(body)
            if not hmac.compare_digest(_unb64(mac), self._mac(payload)):
                return None
            content = json.loads(zlib.decompress(payload))
        except (binascii.Error, ValueError, zlib.error):
            return None
        if not isinstance(content, dict) or content.get("f") != family:
            return None
        blocks = content.get("b")
        return signed_reasoning_blocks(blocks, "input") if isinstance(blocks, list) else None

    def _mac(self, payload: bytes) -> bytes:
        return hmac.new(self.key, payload, hashlib.sha256).digest()


def derived_key(secret: str, key_digests: tuple[bytes, ...]) -> bytes:
    """The configured secret, else one derived from the API keys' digests (the same on every worker)."""
    material = secret.encode() if secret else b"\0".join(sorted(key_digests))
    return hashlib.sha256(b"bedrock-gateway reasoning v1\0" + material).digest()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
