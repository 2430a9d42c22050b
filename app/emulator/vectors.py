"""Deterministic embedding vectors and token counts (importable by tests to predict output)."""

import hashlib
import math
import random
import struct


def _float32(x: float) -> float:
    return struct.unpack("f", struct.pack("f", x))[0]


def vector_for(model_id: str, text: str, dimensions: int) -> list[float]:
    """Deterministic unit vector for (model_id, text).

    Seeded from sha256(model_id + "\\0" + text); Gaussian components normalised to
    L2 norm 1, then each rounded to the nearest float32 so the values survive a JSON
    float round trip exactly (the norm is 1 to within float32 rounding, ~1e-6).
    """
    seed = hashlib.sha256(f"{model_id}\0{text}".encode()).digest()
    rng = random.Random(seed)
    raw = [rng.gauss(0.0, 1.0) for _ in range(dimensions)]
    norm = math.sqrt(sum(x * x for x in raw)) or 1.0
    return [_float32(x / norm) for x in raw]


def token_count(text: str) -> int:
    """Emulated token count: whitespace-separated words, at least 1."""
    return max(1, len(text.split()))


def to_int8(vector: list[float]) -> list[int]:
    return [max(-128, min(127, round(x * 127))) for x in vector]


def to_uint8(vector: list[float]) -> list[int]:
    return [max(0, min(255, round((x + 1) * 127.5))) for x in vector]


def to_bits(vector: list[float]) -> list[int]:
    """One 0/1 per dimension (Titan v2 `binary`)."""
    return [1 if x > 0 else 0 for x in vector]


def to_ubinary(vector: list[float]) -> list[int]:
    """Sign bits packed eight per byte, most significant first (Cohere `ubinary`)."""
    bits = to_bits(vector)
    return [int("".join(map(str, bits[i : i + 8])).ljust(8, "0"), 2) for i in range(0, len(bits), 8)]


def to_binary(vector: list[float]) -> list[int]:
    """Packed sign bits as signed bytes (Cohere `binary`)."""
    return [b - 256 if b > 127 else b for b in to_ubinary(vector)]


QUANTIZERS = {
    "float": lambda v: v,
    "int8": to_int8,
    "uint8": to_uint8,
    "binary": to_binary,
    "ubinary": to_ubinary,
}
